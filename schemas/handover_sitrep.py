"""Daily handover counts per site in NHS England's published ambulance-collection layout, and their contract."""

from __future__ import annotations

from datetime import date

import pandera.polars as pa
import polars as pl

from schemas.canonical import Canonical, FeedSpec, Reference
from schemas.checks import row_rule, unique_in_file

# The counts check one another (all = known + unknown, over 60 within over 30...): when they disagree
# no single one can be called the wrong one, so the row is quarantined. Hours and mean lose only the value.
SPEC = FeedSpec(
    feed="handover_sitrep",
    key=("date", "site_code"),
    columns=(
        Canonical("date", "date", required=True),
        Canonical("site_code", "text", required=True),
        Canonical("all_handovers", "integer", required=True),
        Canonical("known", "integer", required=True),
        Canonical("unknown", "integer", required=True),
        Canonical("over_15", "integer", required=True),
        Canonical("over_30", "integer", required=True),
        Canonical("over_45", "integer"),
        Canonical("over_60", "integer", required=True),
        Canonical("total_hours", "decimal", unknown_on_fault=True),
        Canonical("mean_minutes", "decimal", unknown_on_fault=True),
    ),
)


def contract(reference: Reference, day: date) -> pa.DataFrameSchema:
    """Counts must be whole, non-negative and nested (over 60 within over 45 within ... within known)."""
    count = pa.Check.ge(0, error="not negative")
    nested = pl.coalesce("over_45", "over_60")
    return pa.DataFrameSchema(
        {
            "date": pa.Column(pl.Date, pa.Check.eq(day, error=f"date is the partition day {day.isoformat()}")),
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
            "over_15": pa.Column(
                pl.Int64, [count, row_rule(pl.col("over_15") <= pl.col("known"), "over 15 not more than known")]
            ),
            "over_30": pa.Column(
                pl.Int64, [count, row_rule(pl.col("over_30") <= pl.col("over_15"), "over 30 not more than over 15")]
            ),
            "over_45": pa.Column(
                pl.Int64,
                [
                    count,
                    row_rule(
                        pl.col("over_45").is_null() | (pl.col("over_45") <= pl.col("over_30")),
                        "over 45 not more than over 30",
                    ),
                ],
                nullable=True,
            ),
            "over_60": pa.Column(
                pl.Int64, [count, row_rule(pl.col("over_60") <= nested, "over 60 not more than over 45 (or 30)")]
            ),
            "total_hours": pa.Column(pl.Float64, pa.Check.ge(0, error="not negative"), nullable=True),
            "mean_minutes": pa.Column(pl.Float64, pa.Check.ge(0, error="not negative"), nullable=True),
            "extracted_at_utc": pa.Column(pl.Datetime("us", "UTC")),
        },
        name="handover_sitrep",
        strict=False,
    )
