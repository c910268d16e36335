"""NHS England's daily ambulance collection (handovers per trust and day, as published) and its contract.

Only the organisation and the day place a row: without either it is quarantined whole. Every other value that fails
is set to unknown and the row still counts (docs/domain.md §7.2), listed in ops.quarantine with action
'value set to unknown'. The rules, decided here:

- A negative count is unknown (and is not compared with the others: the one fault is named once).
- The bands nest: over 15 within known, over 30 within over 15, over 45 within over 30, over 60 within over 45
  (within over 30 where over 45 is not published). When a pair disagrees neither can be called the right one, so
  both become unknown: over_60 > over_45 (17 of the 252 published Derbyshire trust-days, 2025-26) makes over_45
  and over_60 unknown, and arrivals, known, over 15, over 30 and the times still count.
- all handovers != known + unknown makes `unknown` unknown: all handovers (the arrivals the month and year to date
  count) and known (the bands' denominator, checked against over 15 above) are each published in their own right,
  while unknown is the remainder; the day keeps its arrivals.
- The mean is the total time over the known handovers. Both are published to the second, so a mean further than
  2 seconds from total / known (each rounded, or cut, to the second) is unknown; with no known handover the mean
  must be zero or empty. The total stays: it is what the hours lost are summed from.
- The total time is published as a duration (`HH:MM:SS`, hours past 23) and stored in hours.
"""

from __future__ import annotations

from datetime import date

import pandera.polars as pa
import polars as pl

from schemas.canonical import Canonical, FeedSpec, Reference
from schemas.checks import row_rule

COUNTS = ("all_handovers", "known", "unknown", "over_15", "over_30", "over_45", "over_60")
# (wider, narrower): the narrower band is a part of the wider one.
NESTED = (("known", "over_15"), ("over_15", "over_30"), ("over_30", "over_45"), ("over_45", "over_60"))
# Mean against total / known: each published to the second, so up to a second off each way is rounding (and a
# hair more for the arithmetic in doubles).
MEAN_TOLERANCE_MINUTES = 2 / 60 + 1e-9

SPEC = FeedSpec(
    feed="ambulance_collection",
    key=("org_code", "date"),
    columns=(
        Canonical("org_code", "text", required=True),
        Canonical("org_name", "text", unknown_on_fault=True),
        Canonical("region", "text", unknown_on_fault=True),
        Canonical("date", "date", required=True),
        *(Canonical(name, "integer", unknown_on_fault=True) for name in COUNTS),
        Canonical("total_hours", "duration", unknown_on_fault=True, duration_in="hours"),
        Canonical("mean_minutes", "duration", unknown_on_fault=True),
    ),
)


def _within(wider: str, narrower: str) -> pl.Expr:
    """The narrower band is within the wider one; a value not published, or negative (unknown already), passes."""
    either_negative = (pl.col(narrower) < 0) | (pl.col(wider) < 0)
    return ((pl.col(narrower) <= pl.col(wider)) | either_negative).fill_null(True)


def _band_checks() -> dict[str, list[pa.Check]]:
    """Each nesting rule sits on both its columns, so a disagreeing pair makes both unknown."""
    checks: dict[str, list[pa.Check]] = {name: [pa.Check.ge(0, error="not negative")] for name in COUNTS}
    for wider, narrower in NESTED:
        rule = _within(wider, narrower)
        name = f"{narrower.replace('_', ' ')} not more than {wider.replace('_', ' ')}"
        checks[wider].append(row_rule(rule, name))
        checks[narrower].append(row_rule(rule, name))
    # Where over 45 is not published, over 60 still sits within over 30.
    skipped = (pl.col("over_45").is_not_null() | _within("over_30", "over_60")).fill_null(True)
    checks["over_30"].append(row_rule(skipped, "over 60 not more than over 30"))
    checks["over_60"].append(row_rule(skipped, "over 60 not more than over 30"))
    checks["unknown"].append(
        row_rule(
            (pl.col("all_handovers") == pl.col("known") + pl.col("unknown")).fill_null(True),
            "all handovers = known + unknown",
        )
    )
    return checks


def _mean_agrees() -> pl.Expr:
    """The mean is total / known to within rounding; with no known handover it is zero."""
    mean, total, known = pl.col("mean_minutes"), pl.col("total_hours"), pl.col("known")
    expected = pl.when(known > 0).then(total * 60 / known).when(known == 0).then(0.0)  # negative known: no mean
    return ((mean - expected).abs() <= MEAN_TOLERANCE_MINUTES).fill_null(True)


def contract(reference: Reference, day: date) -> pa.DataFrameSchema:
    """Counts are whole, not negative and nested; the mean agrees with the total; the org and day are given.

    Every value but org_code and date is set to unknown when it fails (module docstring).
    """
    del reference, day  # a publication's rows are any trust's, on any day of the file
    counts = _band_checks()
    return pa.DataFrameSchema(
        {
            "org_code": pa.Column(str, pa.Check.str_length(min_value=1, error="organisation code given")),
            "org_name": pa.Column(str, nullable=True),
            "region": pa.Column(str, nullable=True),
            "date": pa.Column(pl.Date),
            **{name: pa.Column(pl.Int64, checks, nullable=True) for name, checks in counts.items()},
            "total_hours": pa.Column(pl.Float64, pa.Check.ge(0, error="not negative"), nullable=True),
            "mean_minutes": pa.Column(
                pl.Float64,
                [
                    pa.Check.ge(0, error="not negative"),
                    row_rule(_mean_agrees(), "mean = total time / known (to the second)"),
                ],
                nullable=True,
            ),
        },
        name="ambulance_collection",
        strict=False,
    )
