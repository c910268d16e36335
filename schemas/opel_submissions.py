"""Canonical OPEL submission schema (every provider, every submission) and its pandera contract."""

from __future__ import annotations

from datetime import date

import pandera.polars as pa
import polars as pl

from schemas.canonical import Canonical, FeedSpec, Reference
from schemas.checks import is_partition_day, said_day, unique_in_file

# The acute parameters behind a declared level (docs/domain.md §2.1); minutes or percentages.
MINUTES = ["mean_handover_minutes", "median_time_to_treatment_minutes"]
SHARES = [
    "ed_4h_pct",
    "pct_over_12h_in_ed",
    "adult_ga_bed_occupancy_pct",
    "escalation_beds_pct",
    "no_criteria_to_reside_pct",
]
# Majors and resus routinely run over their funded capacity, and attendances can fall below the
# expected number: these two percentages are not shares of 100.
OVER_CAPACITY = {"majors_resus_occupancy_pct": (0, 300)}
VARIATION = {"ed_attendance_variation_pct": (-100, 1000)}
ACUTE_PARAMETERS = [
    "mean_handover_minutes",
    "ed_4h_pct",
    "ed_attendance_variation_pct",
    "majors_resus_occupancy_pct",
    "median_time_to_treatment_minutes",
    "pct_over_12h_in_ed",
    "adult_ga_bed_occupancy_pct",
    "escalation_beds_pct",
    "no_criteria_to_reside_pct",
]

# A submission is its declared level: one without a valid level is quarantined, since "unknown" could
# displace the day's valid declaration. A parameter out of range is set to unknown and the level stands.
SPEC = FeedSpec(
    feed="opel_submissions",
    key=("org_code", "submitted_utc"),
    columns=(
        Canonical("org_code", "text", required=True),
        Canonical("date", "date", required=True),
        Canonical("submitted_at", "local_datetime", required=True),
        Canonical("declared_level", "integer", required=True),
        Canonical("comment", "text", free_text=True),
        *(Canonical(name, "decimal", unknown_on_fault=True) for name in ACUTE_PARAMETERS),
    ),
)


# `contract(reference, None)` checks each row against its own file's day: a run's days are checked at once.
CONTRACT_FOR_ANY_DAY = True


def contract(reference: Reference, day: date | None) -> pa.DataFrameSchema:
    """The row contract for one OPEL day's submissions."""
    ranges = {**{c: (0, 100) for c in SHARES}, **OVER_CAPACITY, **VARIATION}
    columns = {
        "org_code": pa.Column(
            str,
            [
                pa.Check.isin(reference.providers, error="known provider code (ref.providers)"),
                unique_in_file(
                    ["org_code", "submitted_utc"],
                    "duplicate: the same provider and submission time appear more than once in this file",
                ),
            ],
        ),
        "date": is_partition_day(day, f"OPEL date is the partition day {said_day(day)}"),
        "submitted_utc": pa.Column(pl.Datetime("us", "UTC")),
        "declared_level": pa.Column(pl.Int64, pa.Check.isin([1, 2, 3, 4], error="OPEL level 1-4")),
        "comment": pa.Column(str, nullable=True),
        **{c: pa.Column(pl.Float64, pa.Check.ge(0, error="not negative"), nullable=True) for c in MINUTES},
        **{
            c: pa.Column(pl.Float64, pa.Check.in_range(lo, hi, error=f"between {lo} and {hi}"), nullable=True)
            for c, (lo, hi) in ranges.items()
        },
        "extracted_at_utc": pa.Column(pl.Datetime("us", "UTC")),
    }
    return pa.DataFrameSchema(columns, name="opel_submissions", strict=False)
