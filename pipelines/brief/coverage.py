"""What was actually loaded for a day, per feed and provider: the one account the brief and the readiness mail
both speak from, so neither can say "every file arrived" or "no handover over 45 minutes" about data it lacks."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

import polars as pl

from pipelines.ingest.freshness import Arrival
from schemas import catalogue

# A provider's share of a feed, worst first: the feed reads as its worst provider.
NOT_RECEIVED, NOT_LOADED, REJECTED, QUARANTINED, PARTIAL, COMPLETE = (
    "not received",
    "received but not loaded",
    "rejected",
    "quarantined",
    "partial",
    "complete",
)
ABSENT_STATES = (NOT_RECEIVED, NOT_LOADED, REJECTED, QUARANTINED)
# The figures each section's feeds feed: named in the readiness mail so the call knows what to hold back.
SECTION_FIGURES = {
    "ed": "A&E 4-hour and 12-hour figures",
    "handover": "ambulance handover figures",
    "cnh": "CNH/SPoA deflection figures",
    "opel": "OPEL levels",
}


@dataclass(frozen=True)
class ProviderCoverage:
    feed: str
    provider_code: str
    provider_name: str
    state: str
    detail: str  # in words, e.g. "3 of 40 rows quarantined" or "no file, due 15 Jan 06:00"
    late: bool = False

    @property
    def complete(self) -> bool:
        return self.state == COMPLETE

    @property
    def absent(self) -> bool:
        return self.state in ABSENT_STATES


@dataclass(frozen=True)
class FeedCoverage:
    feed: str
    label: str
    section: str
    providers: tuple[ProviderCoverage, ...]

    @property
    def complete(self) -> bool:
        """Every expected provider's data loaded whole; a feed nobody was expected to send is not complete."""
        return bool(self.providers) and all(p.complete for p in self.providers)

    @property
    def absent(self) -> bool:
        return not self.providers or all(p.absent for p in self.providers)

    @property
    def why(self) -> str:
        """E.g. "not received from RFS; rejected from RTG"; what keeps the feed from being complete."""
        if not self.providers:
            return "no provider is expected to send it"
        gaps = [p for p in self.providers if not p.complete]
        return "; ".join(f"{p.state} from {p.provider_code} ({p.detail})" for p in gaps)

    def lines(self) -> list[str]:
        """One line per provider short of complete, named as the landing area names it."""
        return [
            f"{self.label} {p.state} from {p.provider_code} ({p.provider_name}): {p.detail}"
            for p in self.providers
            if not p.complete
        ]

    def providers_with_gaps(self) -> set[str]:
        return {p.provider_code for p in self.providers if not p.complete}


@dataclass(frozen=True)
class RejectedFile:
    """A file read for the day and refused whole (unreadable, or its layout broken): none of its rows count."""

    feed: str
    label: str
    provider_code: str
    file_name: str
    reason: str
    earlier_counts: bool  # the provider's earlier rows for the day still count (a rejected re-send)

    @property
    def sentence(self) -> str:
        kept = (
            f"{self.provider_code}'s earlier data for the day still counts, without the correction this file carried"
            if self.earlier_counts
            else f"no {self.label} figures from {self.provider_code} for the day"
        )
        return f"{self.label} file {self.file_name} from {self.provider_code} was rejected ({self.reason}): {kept}."


@dataclass(frozen=True)
class Coverage:
    day: date
    feeds: tuple[FeedCoverage, ...]
    rejected: tuple[RejectedFile, ...] = ()

    def feed(self, name: str) -> FeedCoverage:
        return next(f for f in self.feeds if f.feed == name)

    def section_complete(self, section: str) -> bool:
        return all(f.complete for f in self.feeds if f.section == section and f.providers)

    def gaps(self, feeds: Iterable[str] | None = None) -> list[FeedCoverage]:
        """Feeds (of those named, else all expected ones) whose data for the day is not complete."""
        names = set(feeds) if feeds is not None else None
        return [f for f in self.feeds if f.providers and not f.complete and (names is None or f.feed in names)]

    def no_figures(self, feeds: Iterable[str], beyond_not_received: bool = False) -> str | None:
        """'no figures for X (why)' for the named feeds that are not complete; None when all are complete. With
        `beyond_not_received`, only feeds some of whose files came and still did not load whole."""
        gaps = self.gaps(feeds)
        if beyond_not_received:
            gaps = [g for g in gaps if any(p.state not in (NOT_RECEIVED, COMPLETE) for p in g.providers)]
        if not gaps:
            return None
        return "; ".join(f"{'no' if g.absent else 'incomplete'} figures for {g.label} ({g.why})" for g in gaps)

    @property
    def complete(self) -> bool:
        return not self.gaps()

    def late(self) -> list[ProviderCoverage]:
        return [p for f in self.feeds for p in f.providers if p.late]


def day_coverage(
    day: date,
    quality: pl.DataFrame,
    arrivals: Sequence[Arrival],
    elsewhere: set[str] | frozenset[str] = frozenset(),
    rejected: pl.DataFrame | None = None,
) -> Coverage:
    """Per feed, each provider expected that day (or that sent something) and how much of its data was loaded.

    `quality` is sql/brief_quarantine_by_provider for the day; `arrivals` the landing area's account of each layout.
    """
    loaded = {(r["feed"], r["provider_code"]): r for r in quality.iter_rows(named=True)}
    feeds = []
    for entry in catalogue.FEEDS:
        providers = []
        for came in (a for a in arrivals if a.config.feed == entry.name):
            code = came.config.provider_code
            if code in elsewhere:
                continue
            row = loaded.get((entry.name, code))
            expected = came.state not in ("not expected", "inactive")
            if row is None and not expected:
                continue
            providers.append(_provider(entry.name, code, came, row))
        feeds.append(FeedCoverage(entry.name, entry.label, entry.section, tuple(providers)))
    files = []
    for r in rejected.iter_rows(named=True) if rejected is not None else []:
        if r["provider_code"] in elsewhere:
            continue
        row = loaded.get((r["feed"], r["provider_code"])) or {}
        label = catalogue.feed(r["feed"]).label
        files.append(
            RejectedFile(
                r["feed"], label, r["provider_code"], r["file_name"], r["reason"], bool(row.get("rows_loaded"))
            )
        )
    return Coverage(day, tuple(feeds), tuple(files))


def _provider(feed: str, code: str, came: Arrival, row: dict | None) -> ProviderCoverage:
    state, detail = _nothing_loaded(came) if row is None else _loaded(row)
    # Only what was loaded is marked late: with nothing loaded the state already says not received or not loaded.
    late = row is not None and came.state == "late"
    return ProviderCoverage(feed, code, came.config.provider_name, state, detail, late)


def _nothing_loaded(came: Arrival) -> tuple[str, str]:
    if came.files:
        return NOT_LOADED, f"{came.files} file(s) landed, no run has loaded them"
    due = f"due {came.due:%d %b %H:%M}"
    return NOT_RECEIVED, f"no file, {due}" if came.state == "missing" else f"no file yet, {due}"


def _loaded(row: dict) -> tuple[str, str]:
    read, kept, held, rejected = row["rows_read"], row["rows_loaded"], row["rows_quarantined"], row["files_rejected"]
    if rejected and not read:
        return REJECTED, f"{rejected} file(s) rejected unread"
    if read and not kept:
        return QUARANTINED, f"all {read:,} rows quarantined"
    faults = []
    if held:
        faults.append(f"{held:,} of {read:,} rows quarantined")
    if rejected:
        faults.append(f"{rejected} file(s) rejected unread, the earlier version still counts")
    if faults:
        return PARTIAL, "; ".join(faults)
    return COMPLETE, f"{kept:,} rows loaded"


def figures_affected(gap: FeedCoverage) -> str:
    """The figures a feed's gap holds back, scoped to providers where the feed is one provider's."""
    figures = SECTION_FIGURES.get(gap.section, gap.section)
    entry = catalogue.feed(gap.feed)
    if entry.sender_covers_all:
        return f"all {figures}, for every provider"
    providers = ", ".join(sorted(gap.providers_with_gaps()))
    return f"{figures} for {providers} and the system totals that include them"
