"""NHS England's monthly A&E attendances and emergency admissions return (per provider, department type and month).

One row per organisation, month and department type ('1' type 1 major ED, '2' single specialty, 'other' types 3-4).
The organisation, month and type place a row: without any of them it is quarantined whole. Every count that fails is
set to unknown and the row still counts (docs/domain.md §7.2), listed in ops.quarantine as 'value set to unknown':

- A negative count is unknown (and not compared with the others).
- Breaches over 4 hours are part of the attendances: more breaches than attendances makes the breaches unknown (the
  attendances are the month's activity, counted on their own; the breaches are the figure that cannot be right).

NHS England's own CSV prints the types as columns ("A&E attendances Type 1", "Attendances over 4hrs Type 1",
"Emergency admissions via A&E - Type 1", ...); its layout unpivots them to one row per type before mapping.
"""

from __future__ import annotations

from datetime import date

import pandera.polars as pa
import polars as pl

from schemas.canonical import Canonical, FeedSpec, Reference
from schemas.checks import row_rule

DEPARTMENT_TYPES = ("1", "2", "other")
COUNTS = ("attendances", "breaches", "admissions")

SPEC = FeedSpec(
    feed="ae_monthly",
    key=("org_code", "period", "department_type"),
    columns=(
        Canonical("org_code", "text", required=True),
        Canonical("org_name", "text", unknown_on_fault=True),
        Canonical("region", "text", unknown_on_fault=True),
        Canonical("period", "date", required=True),
        Canonical("department_type", "text", required=True),
        *(Canonical(name, "integer", unknown_on_fault=True) for name in COUNTS),
    ),
)


def contract(reference: Reference, period_start: date) -> pa.DataFrameSchema:
    """Counts whole and not negative, breaches within attendances; the month is a first day; the type is known."""
    del reference, period_start  # a return's rows are any provider's, in any month of the file
    count = pa.Check.ge(0, error="not negative")
    return pa.DataFrameSchema(
        {
            "org_code": pa.Column(str, pa.Check.str_length(min_value=1, error="organisation code given")),
            "org_name": pa.Column(str, nullable=True),
            "region": pa.Column(str, nullable=True),
            "period": pa.Column(pl.Date, row_rule(pl.col("period").dt.day() == 1, "period is a month's first day")),
            "department_type": pa.Column(str, pa.Check.isin(DEPARTMENT_TYPES, error="department type 1, 2 or other")),
            "attendances": pa.Column(pl.Int64, count, nullable=True),
            "breaches": pa.Column(
                pl.Int64,
                [
                    count,
                    row_rule(
                        # A negative count is unknown already: not compared, so its fault is named once.
                        (
                            (pl.col("breaches") <= pl.col("attendances"))
                            | (pl.col("attendances") < 0)
                            | (pl.col("breaches") < 0)
                        ).fill_null(True),
                        "breaches not more than attendances",
                    ),
                ],
                nullable=True,
            ),
            "admissions": pa.Column(pl.Int64, count, nullable=True),
        },
        name="ae_monthly",
        strict=False,
    )
