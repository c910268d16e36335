"""Canonical ambulance handover schema (one row per conveyance, from EMAS) and its pandera contract."""

from __future__ import annotations

from datetime import date

import pandera.polars as pa
import polars as pl

from schemas.canonical import Canonical, FeedSpec, Reference
from schemas.checks import null_or, starts_on_day, unique_in_file

SPEC = FeedSpec(
    feed="ambulance_handovers",
    key=("incident_id", "site_code", "arrival_utc"),
    columns=(
        Canonical("incident_id", "text", required=True),
        Canonical("site_code", "text", required=True),
        Canonical("call_category", "text", required=True),
        Canonical("arrival_at", "local_datetime", required=True),
        Canonical("handover_at", "local_datetime", required=True, not_before="arrival_at"),
        Canonical("clear_at", "local_datetime", not_before="handover_at"),
    ),
)

CALL_CATEGORIES = ["C1", "C2", "C3", "C4"]
# A handover this long is a keying error, not a metric (issue 3).
MAX_HANDOVER_HOURS = 24
MAX_TURNAROUND_HOURS = 24

UTC = pl.Datetime("us", "UTC")


def contract(reference: Reference, day: date) -> pa.DataFrameSchema:
    """The row contract for one partition day of conveyances."""
    return pa.DataFrameSchema(
        {
            "incident_id": pa.Column(
                str,
                checks=[
                    pa.Check.str_length(min_value=1, error="empty id"),
                    unique_in_file(
                        ["incident_id", "site_code", "arrival_utc"],
                        "duplicate: the same incident, site and arrival appear more than once in this file",
                    ),
                ],
            ),
            "site_code": pa.Column(str, pa.Check.isin(reference.sites, error="known site code (ref.sites)")),
            "call_category": pa.Column(str, pa.Check.isin(CALL_CATEGORIES, error="call category C1-C4")),
            "arrival_utc": pa.Column(UTC, checks=starts_on_day(day)),
            "handover_utc": pa.Column(
                UTC,
                nullable=True,
                checks=[
                    null_or(lambda c: pl.col(c) >= pl.col("arrival_utc"), "handover not before arrival"),
                    null_or(
                        lambda c: pl.col(c) - pl.col("arrival_utc") <= pl.duration(hours=MAX_HANDOVER_HOURS),
                        f"handover within {MAX_HANDOVER_HOURS} hours of arrival",
                    ),
                ],
            ),
            "clear_utc": pa.Column(
                UTC,
                nullable=True,
                checks=[
                    null_or(
                        lambda c: pl.col(c) >= pl.coalesce("handover_utc", "arrival_utc"),
                        "clear not before handover (or arrival)",
                    ),
                    null_or(
                        lambda c: pl.col(c) - pl.col("arrival_utc") <= pl.duration(hours=MAX_TURNAROUND_HOURS),
                        f"clear within {MAX_TURNAROUND_HOURS} hours of arrival",
                    ),
                ],
            ),
            "extracted_at_utc": pa.Column(UTC),
        },
        name="ambulance_handovers",
        strict=False,
    )
