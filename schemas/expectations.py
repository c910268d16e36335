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


def within_trailing_bounds(
    check_name: str, asset: tuple[str, str], feed: str, series_sql: str, what: str
) -> Expectation:
    """A series (sql/<series_sql>.sql) stays within bounds learned from its own trailing days."""
    return Expectation(
        check_name,
        asset,
        "within_trailing_bounds",
        f"{what} within bounds learned from its trailing {HISTORY_DAYS} days (mean ± 3 SD, at least ± {MIN_BAND:.0%}; "
        f"needs {MIN_HISTORY_DAYS} days of history).",
        feed,
        series_sql,
    )


def provider_present(feed: str) -> Expectation:
    """Every provider expected daily sent a file for each day."""
    return Expectation(
        "every_expected_provider_present",
        ("raw", feed),
        "provider_present",
        "Every provider expected daily sent a file for each day (loaded or rejected).",
        feed,
    )


def no_gaps(feed: str) -> Expectation:
    """The feed's daily series has rows on every day of its trailing window."""
    return Expectation(
        "no_gaps_in_daily_series",
        ("raw", feed),
        "no_gaps",
        f"Every day of the trailing {HISTORY_DAYS} days has rows, from the feed's first day.",
        feed,
    )
