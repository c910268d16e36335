"""Warehouse-level expectations (great-expectations suites): what a row contract cannot see."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

# Bounds are learned from the same site's (or trust's, or source's) trailing 28 days: mean ± 3
# standard deviations, never narrower than ± 25% of the mean, once 14 days of history exist.
HISTORY_DAYS = 28
MIN_HISTORY_DAYS = 14
MIN_BAND = 0.25

Kind = Literal["within_trailing_bounds", "provider_present", "no_gaps"]


@dataclass(frozen=True)
class Expectation:
    """One Dagster check, validated as one GX suite over a frame read from DuckDB."""

    check_name: str
    asset: tuple[str, str]
    kind: Kind
    description: str
    feed: str
    series_sql: str | None = None  # for within_trailing_bounds: sql/<series_sql>.sql gives (date, subject, value)

    @property
    def suite_name(self) -> str:
        return f"{self.asset[1]}.{self.check_name}"


def _bounds(check_name: str, asset: tuple[str, str], feed: str, series_sql: str, what: str) -> Expectation:
    return Expectation(
        check_name, asset, "within_trailing_bounds",
        f"{what} within bounds learned from its trailing {HISTORY_DAYS} days (mean ± 3 SD, at least ± {MIN_BAND:.0%}; "
        f"needs {MIN_HISTORY_DAYS} days of history).", feed, series_sql,
    )


def _present(feed: str) -> Expectation:
    return Expectation("every_expected_provider_present", ("raw", feed), "provider_present",
                       "Every provider expected daily sent a file for each day (loaded or rejected).", feed)


def _no_gaps(feed: str) -> Expectation:
    return Expectation("no_gaps_in_daily_series", ("raw", feed), "no_gaps",
                       f"Every day of the trailing {HISTORY_DAYS} days has rows, from the feed's first day.", feed)


EXPECTATIONS: list[Expectation] = [
    _present("ed_attendances"), _no_gaps("ed_attendances"),
    _present("ambulance_handovers"), _no_gaps("ambulance_handovers"),
    _present("cnh_cases"), _no_gaps("cnh_cases"),
    _present("opel_submissions"), _no_gaps("opel_submissions"),
    _bounds("site_volumes_within_trailing_bounds", ("marts", "ed_four_hour_daily"), "ed_attendances",
            "expect_ed_site_volume", "Attendances per site per day"),
    _bounds("type_1_share_within_trailing_bounds", ("marts", "ed_four_hour_daily"), "ed_attendances",
            "expect_ed_type_1_share", "Each trust's share of attendances at type 1 departments"),
    _bounds("site_volumes_within_trailing_bounds", ("marts", "handover_daily"), "ambulance_handovers",
            "expect_handover_site_volume", "Conveyances per acute site per day"),
    _bounds("mean_handover_within_trailing_bounds", ("marts", "handover_daily"), "ambulance_handovers",
            "expect_handover_mean_minutes", "Mean handover minutes per acute site per day"),
    _bounds("source_volumes_within_trailing_bounds", ("marts", "cnh_deflection_daily"), "cnh_cases",
            "expect_cnh_source_volume", "Hub cases per referral source per day"),
]
