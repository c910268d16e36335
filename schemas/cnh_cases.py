"""Canonical Care Navigation Hub / SPoA case schema (one row per case, from DHU) and its pandera contract."""

from __future__ import annotations

from datetime import date

import pandera.polars as pa
import polars as pl

from schemas.canonical import UNKNOWN, Canonical, FeedSpec, Reference
from schemas.checks import null_or, record_id, row_rule, starts_on_day

# Only a case's id and received time place it (docs/domain.md §7.2); any other bad value is unknown and the case counts.
SPEC = FeedSpec(
    feed="cnh_cases",
    key=("case_id",),
    columns=(
        Canonical("case_id", "text", required=True, identifies_record=True),
        Canonical("referral_source", "text", required=True, unknown_on_fault=True),
        Canonical("call_before_convey", "boolean", unknown_on_fault=True),
        Canonical("received_at", "local_datetime", required=True),
        Canonical("first_contact_at", "local_datetime", required=True, not_before="received_at", unknown_on_fault=True),
        Canonical("outcome", "text", required=True, unknown_on_fault=True),
        Canonical("ambulance_dispatched", "boolean", required=True, unknown_on_fault=True),
        Canonical("automated", "boolean", required=True, unknown_on_fault=True),
        Canonical("disposition_band", "text", unknown_on_fault=True),
    ),
)

# Sources whose cases came off the ambulance stack: deflection applies to these (docs/domain.md §3.3).
AMBULANCE_STACK_SOURCES = ["emas_cat34", "nhs111_online_cat34"]
HCP_SOURCES = ["hcp_falls", "hcp_non_falls"]
REFERRAL_SOURCES = AMBULANCE_STACK_SOURCES + [
    "in_hours_validation_telephony",
    "in_hours_validation_online",
    *HCP_SOURCES,
    "emas_dos",
]
OUTCOMES = [
    "ambulance_dispatched",
    "returned_to_stack",
    "ed",
    "admission",
    "utc_pcc",
    "own_gp",
    "home_self_care",
    "community_pathway",
    "other",
]
DISPOSITION_BANDS = ["1h", "2h"]


# `contract(reference, None)` checks each row against its own file's day: a run's days are checked at once.
CONTRACT_FOR_ANY_DAY = True


def contract(reference: Reference, day: date | None) -> pa.DataFrameSchema:
    """The row contract for one partition day of hub cases (sites do not apply to this feed)."""
    del reference
    return pa.DataFrameSchema(
        {
            "case_id": record_id(["case_id"]),
            "referral_source": pa.Column(str, pa.Check.isin([*REFERRAL_SOURCES, UNKNOWN], error="referral source")),
            "call_before_convey": pa.Column(bool, nullable=True),
            "received_utc": pa.Column(pl.Datetime("us", "UTC"), checks=starts_on_day(day, event="received")),
            "first_contact_utc": pa.Column(
                pl.Datetime("us", "UTC"),
                null_or(lambda c: pl.col(c) >= pl.col("received_utc"), "first clinical contact not before received"),
                nullable=True,
            ),
            "outcome": pa.Column(str, pa.Check.isin([*OUTCOMES, UNKNOWN], error="outcome")),
            # When outcome and dispatch disagree, the dispatch flag is the value set to unknown: the case
            # counts, neither as dispatched nor as deflected.
            "ambulance_dispatched": pa.Column(
                bool,
                row_rule(
                    (pl.col("outcome") != "ambulance_dispatched") | pl.col("ambulance_dispatched"),
                    "an outcome of ambulance dispatched needs dispatched = yes",
                ),
            ),
            "automated": pa.Column(bool),
            "disposition_band": pa.Column(
                str, pa.Check.isin([*DISPOSITION_BANDS, UNKNOWN], error="disposition band 1h or 2h"), nullable=True
            ),
            "extracted_at_utc": pa.Column(pl.Datetime("us", "UTC")),
        },
        name="cnh_cases",
        strict=False,
    )
