"""Daily handover counts per site in NHS England's published ambulance-collection layout, and their contract."""

from __future__ import annotations

from datetime import date

import pandera.polars as pa
import polars as pl

from schemas.canonical import Canonical, FeedSpec, Reference
from schemas.checks import is_partition_day, row_rule, said_day, unique_in_file

# docs/domain.md §7.2. The delay bands nest (over 60 within over 45 within over 30 within over 15 within known).
# Where two neighbouring values disagree no one can say which is wrong, so both become unknown and the row still
# counts: NHS England's own collection has rows with over 60 above over 45 (17 of 252 trust-days in 2025-26), and
# dropping the whole row lost its arrivals from the month. Arrivals, known and unknown are kept whole or not at
# all: all = known + unknown is the arrivals count itself, the figure every band and share is read against, so a
# row where they disagree is quarantined (setting one of them to unknown would still count a doubtful arrivals
# figure, and `known`, the bands' denominator, could be the wrong one). Over 15 above known makes only over 15
# unknown: known has just been borne out by all = known + unknown. Hours and mean lose only the value.
BANDS = ("over_15", "over_30", "over_45", "over_60")

SPEC = FeedSpec(
    feed="handover_sitrep",
    key=("date", "site_code"),
    columns=(
        Canonical("date", "date", required=True),
        Canonical("site_code", "text", required=True),
        Canonical("all_handovers", "integer", required=True),
        Canonical("known", "integer", required=True),
        Canonical("unknown", "integer", required=True),
        Canonical("over_15", "integer", required=True, unknown_on_fault=True),
        Canonical("over_30", "integer", required=True, unknown_on_fault=True),
        Canonical("over_45", "integer", unknown_on_fault=True),
        Canonical("over_60", "integer", required=True, unknown_on_fault=True),
        Canonical("total_hours", "decimal", unknown_on_fault=True),
        Canonical("mean_minutes", "decimal", unknown_on_fault=True),
    ),
)


def _within(inner: str, outer: str) -> pl.Expr:
    """`inner` is not more than `outer`; a value already unknown cannot break the rule."""
    return (pl.col(inner) <= pl.col(outer)).fill_null(True)


def _nesting() -> dict[str, list[pa.Check]]:
    """Each band's nesting rules, every rule on both columns of its pair so both values become unknown."""
    pairs = [
        (_within("over_15", "known"), "over 15 not more than known", ("over_15",)),
        (_within("over_30", "over_15"), "over 30 not more than over 15", ("over_15", "over_30")),
        (_within("over_45", "over_30"), "over 45 not more than over 30", ("over_30", "over_45")),
        (_within("over_60", "over_45"), "over 60 not more than over 45", ("over_45", "over_60")),
        # A sitrep without an over 45 count: over 60 nests in over 30 directly.
        (
            pl.col("over_45").is_not_null() | _within("over_60", "over_30"),
            "over 60 not more than over 30 (over 45 not given)",
            ("over_30", "over_60"),
        ),
    ]
    checks: dict[str, list[pa.Check]] = {band: [pa.Check.ge(0, error="not negative")] for band in BANDS}
    for rule, name, columns in pairs:
        for column in columns:
            checks[column].append(row_rule(rule, name))
    return checks


# `contract(reference, None)` checks each row against its own file's day: a run's days are checked at once.
CONTRACT_FOR_ANY_DAY = True


def contract(reference: Reference, day: date | None) -> pa.DataFrameSchema:
    """Counts must be whole, non-negative and nested (over 60 within over 45 within ... within known)."""
    count = pa.Check.ge(0, error="not negative")
    bands = _nesting()
    return pa.DataFrameSchema(
        {
            "date": is_partition_day(day, f"date is the partition day {said_day(day)}"),
            "site_code": pa.Column(
                str,
                [
                    pa.Check.isin(reference.sites, error="known site code (ref.sites)"),
                    unique_in_file(["date", "site_code"], "duplicate: one row per site and day"),
                ],
            ),
            "all_handovers": pa.Column(
                pl.Int64,
                [
                    count,
                    row_rule(
                        pl.col("all_handovers") == pl.col("known") + pl.col("unknown"),
                        "all handovers = known + unknown",
                    ),
                ],
            ),
            "known": pa.Column(pl.Int64, count),
            "unknown": pa.Column(pl.Int64, count),
            **{band: pa.Column(pl.Int64, bands[band], nullable=True) for band in BANDS},
            "total_hours": pa.Column(pl.Float64, pa.Check.ge(0, error="not negative"), nullable=True),
            "mean_minutes": pa.Column(pl.Float64, pa.Check.ge(0, error="not negative"), nullable=True),
            "extracted_at_utc": pa.Column(pl.Datetime("us", "UTC")),
        },
        name="handover_sitrep",
        strict=False,
    )
