"""Canonical ambulance handover schema (one row per conveyance, from EMAS) and its pandera contract."""

from __future__ import annotations

from datetime import date

import pandera.polars as pa
import polars as pl

from schemas.canonical import UNKNOWN, Canonical, FeedSpec, Reference
from schemas.checks import null_or, record_id, starts_on_day

# Incident, site and arrival place a conveyance (domain.md §7.2); a bad category, handover or clear time is unknown.
SPEC = FeedSpec(
    feed="ambulance_handovers",
    key=("incident_id", "site_code", "arrival_utc"),
    columns=(
        Canonical("incident_id", "text", required=True, identifies_record=True),
        Canonical("site_code", "text", required=True),
        Canonical("call_category", "text", required=True, unknown_on_fault=True),
        Canonical("arrival_at", "local_datetime", required=True),
        Canonical("handover_at", "local_datetime", required=True, not_before="arrival_at", unknown_on_fault=True),
        Canonical("clear_at", "local_datetime", not_before="handover_at", unknown_on_fault=True),
    ),
)

CALL_CATEGORIES = ["C1", "C2", "C3", "C4"]
# A handover this long is a keying error, not a metric (issue 3).
MAX_HANDOVER_HOURS = 24
MAX_TURNAROUND_HOURS = 24

UTC = pl.Datetime("us", "UTC")


def _clear_in_range() -> pl.Expr:
    """A clear time that is itself plausible: only then can it show the handover time wrong."""
    since_arrival = pl.col("clear_utc") - pl.col("arrival_utc")
    in_range = (since_arrival >= pl.duration()) & (since_arrival <= pl.duration(hours=MAX_TURNAROUND_HOURS))
    return in_range.fill_null(False)


def _after_arrival(event: str, max_hours: int) -> list[pa.Check]:
    """A handover or clear time comes at or after the arrival and within `max_hours` of it."""
    return [
        null_or(lambda c: pl.col(c) >= pl.col("arrival_utc"), f"{event} not before arrival"),
        null_or(
            lambda c: pl.col(c) - pl.col("arrival_utc") <= pl.duration(hours=max_hours),
            f"{event} within {max_hours} hours of arrival",
        ),
    ]


# `contract(reference, None)` checks each row against its own file's day: a run's days are checked at once.
CONTRACT_FOR_ANY_DAY = True


def contract(reference: Reference, day: date | None) -> pa.DataFrameSchema:
    """The row contract for one partition day of conveyances."""
    return pa.DataFrameSchema(
        {
            "incident_id": record_id(
                ["incident_id", "site_code", "arrival_utc"],
                "duplicate: the same incident, site and arrival appear more than once in this file",
            ),
            "site_code": pa.Column(str, pa.Check.isin(reference.sites, error="known site code (ref.sites)")),
            "call_category": pa.Column(str, pa.Check.isin([*CALL_CATEGORIES, UNKNOWN], error="call category C1-C4")),
            "arrival_utc": pa.Column(UTC, checks=starts_on_day(day)),
            # A bad handover time is an unknown handover (docs/domain.md §7.2, as in NHS England's sitrep); the
            # conveyance counts. Where handover and clear disagree, the handover is the one set to unknown.
            "handover_utc": pa.Column(
                UTC,
                nullable=True,
                checks=[
                    *_after_arrival("handover", MAX_HANDOVER_HOURS),
                    null_or(
                        lambda c: ~_clear_in_range() | (pl.col(c) <= pl.col("clear_utc")),
                        "handover not after the vehicle cleared",
                    ),
                ],
            ),
            "clear_utc": pa.Column(
                UTC,
                nullable=True,
                checks=_after_arrival("clear", MAX_TURNAROUND_HOURS),
            ),
            "extracted_at_utc": pa.Column(UTC),
        },
        name="ambulance_handovers",
        strict=False,
    )
