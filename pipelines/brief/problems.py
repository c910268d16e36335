"""What makes the brief's figures provisional: late or missing files, quarantined rows, re-sends and failed checks."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import polars as pl

from pipelines.ingest.freshness import Arrival, arrival
from schemas import catalogue
from schemas.registry import load_feed_configs

# Checks that restate, for a run's whole range, what the strip already lists per provider for the day itself.
# A rejected file is one too: as a check it names no provider, and so marked every A&E tile, Chesterfield's too, for
# a file from Derby.
PER_PROVIDER_CHECKS = {
    "rows_pass_the_contract",
    "every_provider_arrived_on_time",
    "every_expected_provider_present",
    "every_landed_file_readable",
}
# The strip names the reconciliation's differences itself, each one, in its own paragraph.
SAID_IN_THE_STRIP = PER_PROVIDER_CHECKS | {catalogue.RECONCILIATION.check_name}


@dataclass(frozen=True)
class Problem:
    """Something wrong with a feed for the day, named by provider; it makes the feed's figures provisional."""

    feed: str
    provider_code: str | None
    kind: str  # late | missing | quarantined | rejected | check failed
    detail: str


@dataclass(frozen=True)
class FailedCheck:
    """A check whose latest evaluation failed on the brief's day, as plain data: the brief never reads Dagster."""

    asset: str  # its key as a path, "marts/ed_four_hour_daily"
    check_name: str
    severity: str  # ERROR | WARN
    description: str
    # The first and last day of the run that evaluated it, when that run covered a range of days.
    range_start: str | None = None
    range_end: str | None = None


def arrivals(
    feeds_dir: str, landing: Path, day: date, now: datetime, elsewhere: Collection[str] = frozenset()
) -> list[Arrival]:
    """Each layout's account of the day's files, but for other systems' providers (`elsewhere`): at England volume
    listing every provider's folder was seconds of a brief that says nothing of them."""
    return [
        arrival(config, landing, day, now)
        for feed in catalogue.feed_names()
        for config in load_feed_configs(feed, feeds_dir)
        if config.provider_code not in elsewhere
    ]


def arrival_problems(landed: list[Arrival]) -> list[Problem]:
    return [Problem(a.config.feed, a.config.provider_code, a.state, a.describe()) for a in landed if a.is_problem]


def load_problems(quality: pl.DataFrame) -> list[Problem]:
    """Quarantined rows, values set to unknown and rejected files. Duplicate rows ignored are not problems: the
    record counted once, so no figure waits on them; the strip's table shows them."""
    problems = []
    for row in quality.iter_rows(named=True):
        if row["rows_quarantined"]:
            problems.append(
                Problem(
                    row["feed"],
                    row["provider_code"],
                    "quarantined",
                    f"{row['rows_quarantined']:,} of {row['rows_read']:,} rows quarantined",
                )
            )
        if row["rows_with_unknown_values"]:
            # The record counts, but a figure built on the lost value (a handover time, say) may move when
            # the provider corrects it: provisional, like a quarantined row.
            problems.append(
                Problem(
                    row["feed"],
                    row["provider_code"],
                    "values set to unknown",
                    f"{row['rows_with_unknown_values']:,} of {row['rows_read']:,} rows loaded with a value set to "
                    "unknown",
                )
            )
        if row["files_rejected"]:
            problems.append(
                Problem(
                    row["feed"], row["provider_code"], "rejected", f"{row['files_rejected']} file(s) rejected unread"
                )
            )
    return problems


def check_problems(failed: Iterable[FailedCheck], day: date) -> list[Problem]:
    """The day's failed checks as problems, less those the strip already lists per provider."""
    problems = []
    for failure in failed:
        if failure.check_name in SAID_IN_THE_STRIP:
            continue
        first, last = failure.range_start, failure.range_end
        # A range run's description covers all its days: for one of them, say only that it failed there.
        detail = (
            f" (failed on {day} in a run over {first} to {last})"
            if first and first != last
            else (f": {failure.description}" if failure.description else "")
        )
        feed = catalogue.feed_of_table(failure.asset.split("/")[-1])
        problems.append(
            Problem(
                feed or "", None, "check failed", f"{failure.severity} {failure.asset}: {failure.check_name}{detail}"
            )
        )
    return problems
