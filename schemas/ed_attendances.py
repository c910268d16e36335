"""Canonical ED attendance schema (ECDS-like) and its pandera contract."""

from __future__ import annotations

from datetime import date

import pandera.polars as pa
import polars as pl

from schemas.canonical import UNKNOWN, Canonical, FeedSpec, Reference
from schemas.checks import null_or, record_id, starts_on_day

# A fault in the id, site or arrival leaves the attendance unplaced: the record is quarantined (docs/domain.md §7.2).
# So is one in the departure, the 4-hour measure itself: an unknown departure would read as "still in the
# department" and breach at the extract. A fault anywhere else loses the value (`unknown_on_fault`): an
# unmapped department type leaves the type unknown, and the attendance counts in its site's all-types figure.
SPEC = FeedSpec(
    feed="ed_attendances",
    key=("record_id",),
    columns=(
        Canonical("record_id", "text", required=True, identifies_record=True),
        Canonical("site_code", "text", required=True),
        Canonical("department_code", "text", unknown_on_fault=True),
        Canonical("department_type", "integer", required=True, unknown_on_fault=True),
        Canonical("arrival_at", "local_datetime", required=True),
        Canonical("departure_at", "local_datetime", required=True, not_before="arrival_at"),
        Canonical("arrival_mode", "text", required=True, unknown_on_fault=True),
        Canonical("acuity", "integer", unknown_on_fault=True),
        Canonical("decision_to_admit_at", "local_datetime", not_before="arrival_at", unknown_on_fault=True),
        Canonical("disposal", "text", unknown_on_fault=True),
        Canonical("age_band", "text", unknown_on_fault=True),
        Canonical("nhs_number", "nhs_number", unknown_on_fault=True),
    ),
)

DEPARTMENT_TYPES = [1, 2, 3, 4]  # NHS Data Dictionary: 3 includes urgent treatment centres
ARRIVAL_MODES = ["ambulance", "other"]
DISPOSALS = ["admitted", "discharged", "transferred", "other"]
AGE_BANDS = ["0-17", "18-64", "65-74", "75-84", "85+"]
# Longest stay accepted as data rather than as an error; longer is almost surely a keying slip.
MAX_STAY_HOURS = 7 * 24

UTC = pl.Datetime("us", "UTC")


def _minutes(later: str, earlier: str) -> pl.Expr:
    return (pl.col(later) - pl.col(earlier)).dt.total_seconds() / 60


# `contract(reference, None)` checks each row against its own file's day: a run's days are checked at once.
CONTRACT_FOR_ANY_DAY = True


def contract(reference: Reference, day: date | None) -> pa.DataFrameSchema:
    """The row contract for one partition day (what a failure costs, the record or the value, is in SPEC)."""
    not_before_arrival = null_or(lambda c: pl.col(c) >= pl.col("arrival_utc"), "not before arrival")
    return pa.DataFrameSchema(
        {
            "record_id": record_id(["record_id"]),
            "site_code": pa.Column(str, pa.Check.isin(reference.sites, error="known site code (ref.sites)")),
            "department_code": pa.Column(str, nullable=True),
            "department_type": pa.Column(
                pl.Int64, pa.Check.isin(DEPARTMENT_TYPES, error="department type 1-4"), nullable=True
            ),
            "arrival_utc": pa.Column(UTC, checks=starts_on_day(day)),
            "departure_utc": pa.Column(
                UTC,
                nullable=True,
                checks=[
                    not_before_arrival,
                    null_or(
                        lambda c: _minutes(c, "arrival_utc") <= MAX_STAY_HOURS * 60,
                        f"stay at most {MAX_STAY_HOURS} hours",
                    ),
                    null_or(
                        lambda c: pl.col(c) <= pl.col("extracted_at_utc"), "departure not after the extract was taken"
                    ),
                ],
            ),
            "arrival_mode": pa.Column(str, pa.Check.isin([*ARRIVAL_MODES, UNKNOWN], error="arrival mode")),
            "acuity": pa.Column(pl.Int64, pa.Check.in_range(1, 5, error="acuity 1-5"), nullable=True),
            "decision_to_admit_utc": pa.Column(UTC, not_before_arrival, nullable=True),
            "disposal": pa.Column(str, pa.Check.isin([*DISPOSALS, UNKNOWN], error="disposal"), nullable=True),
            "age_band": pa.Column(str, pa.Check.isin([*AGE_BANDS, UNKNOWN], error="age band"), nullable=True),
            "patient_key": pa.Column(str, nullable=True),
            "extracted_at_utc": pa.Column(UTC),
        },
        name="ed_attendances",
        strict=False,
    )
