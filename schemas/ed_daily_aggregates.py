"""ED daily aggregates (domain.md §2.2): a provider that cannot send attendances sends counts per site, day and type."""

from __future__ import annotations

from datetime import date

import pandera.polars as pa
import polars as pl

from schemas.canonical import Canonical, FeedSpec, Reference
from schemas.checks import is_partition_day, row_rule, said_day, unique_in_file
from schemas.ed_attendances import DEPARTMENT_TYPES

# The three counts check one another (over 12 hours within over 4 hours within attendances): when they
# disagree no single one can be called the wrong one, so the row is quarantined, never half-used.
# A trust that can split type 1 from its other departments sends one row per department type.
SPEC = FeedSpec(
    feed="ed_daily_aggregates",
    key=("date", "site_code", "department_type"),
    columns=(
        Canonical("date", "date", required=True),
        Canonical("site_code", "text", required=True),
        Canonical("department_type", "integer", required=True),
        Canonical("attendances", "integer", required=True),
        Canonical("over_4h", "integer", required=True),
        Canonical("over_12h", "integer", required=True),
    ),
)


# `contract(reference, None)` checks each row against its own file's day: a run's days are checked at once.
CONTRACT_FOR_ANY_DAY = True


def contract(reference: Reference, day: date | None) -> pa.DataFrameSchema:
    """Counts whole, non-negative and nested (over 12 hours <= over 4 hours <= attendances), at a known site."""
    count = pa.Check.ge(0, error="not negative")
    return pa.DataFrameSchema(
        {
            "date": is_partition_day(day, f"date is the partition day {said_day(day)}"),
            "site_code": pa.Column(
                str,
                [
                    pa.Check.isin(reference.sites, error="known site code (ref.sites)"),
                    unique_in_file(
                        ["date", "site_code", "department_type"], "duplicate: one row per site, day and type"
                    ),
                ],
            ),
            "department_type": pa.Column(pl.Int64, pa.Check.isin(DEPARTMENT_TYPES, error="department type 1-4")),
            "attendances": pa.Column(pl.Int64, count),
            "over_4h": pa.Column(
                pl.Int64,
                [count, row_rule(pl.col("over_4h") <= pl.col("attendances"), "over 4 hours not more than attendances")],
            ),
            "over_12h": pa.Column(
                pl.Int64,
                [count, row_rule(pl.col("over_12h") <= pl.col("over_4h"), "over 12 hours not more than over 4 hours")],
            ),
            "extracted_at_utc": pa.Column(pl.Datetime("us", "UTC")),
        },
        name="ed_daily_aggregates",
        strict=False,
    )
