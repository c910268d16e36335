"""What changed on a brief already made for its day: a corrected file moved UHDB from 76.4% to 77.4% and the re-made
brief showed only a new "Made" time. Each figure that moved is said, with the file that moved it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html import unescape
from pathlib import Path

import duckdb

from schemas import catalogue
from schemas.clock import LONDON

FIGURE = re.compile(r'data-figure="([^"]+)"[^>]*>([^<]*)<')
MADE = re.compile(r'data-made="([^"]+)"')
REVISION = re.compile(r'<li data-rule="revised"[^>]*>([^<]*)</li>')
# A tile's figure in words: its measure, as the tile labels it.
MEASURES = {
    "pct_within_4h": "4-hour performance",
    "over_12h": "over 12 hours",
    "pct_over_12h": "share over 12 hours",
    "hours_lost": "handover hours lost",
    "mean_minutes": "mean handover",
    "over_45": "handovers over 45 minutes",
    "deflection_rate": "deflection",
    "dispatches_avoided": "dispatches avoided",
    "mean_response_minutes": "mean response",
    "declared_level": "declared OPEL level",
}
PERIODS = {"month_to_date": "month to date", "year_to_date": "year to date"}


@dataclass(frozen=True)
class Previous:
    """The brief last written for the day: when, its figures, and the revisions it already carried."""

    made: datetime | None
    figures: dict[str, str]
    revisions: list[str] = field(default_factory=list)


def figures(html: str) -> dict[str, str]:
    """Every tile figure on a page by its data-figure key; the moves on yesterday and last week are not figures."""
    return {k: unescape(v).strip() for k, v in FIGURE.findall(html) if ".vs_" not in k}


def previous(path: Path) -> Previous | None:
    if not path.is_file():
        return None
    html = path.read_text(encoding="utf-8")
    made = MADE.search(html)
    return Previous(
        datetime.fromisoformat(made.group(1)) if made else None,
        figures(html),
        [unescape(r) for r in REVISION.findall(html)],
    )


def resent_files(conn: duckdb.DuckDBPyConnection, day, since: datetime | None) -> list[tuple[str, str, str, bool]]:
    """(feed, provider, file, re-sent) of each file for the day that landed after the previous brief was made;
    re-sent when the provider had already sent a file for the feed and day before then."""
    if since is None:
        return []
    return conn.sql(
        "select f.feed, f.provider_code, f.file_name, exists (select 1 from ops.source_files as e "
        "where e.feed = f.feed and e.provider_code = f.provider_code and e.partition_date = f.partition_date "
        "and e.received_at_utc <= $since) from ops.source_files as f where f.partition_date = $day "
        "and f.received_at_utc > $since order by f.received_at_utc, f.file_name",
        params={"day": day, "since": since.astimezone(UTC).replace(tzinfo=None)},
    ).fetchall()


def _name(key: str) -> str:
    parts = key.split(".")
    org = parts[1] if len(parts) > 2 else ""
    period = next((PERIODS[p] for p in parts if p in PERIODS), "")
    measure = MEASURES.get(parts[-1], parts[-1])
    return " ".join(p for p in (org, measure, period) if p)


def _own(key: str, feed: str, provider: str) -> bool:
    """The figure is the provider's own (its trust tile, one of its sites) in the feed's section."""
    section, org = key.split(".")[0], key.split(".")[1]
    return section == catalogue.feed(feed).section and org.startswith(provider)


def _shared(key: str, feed: str, system: str) -> bool:
    """The figure counts the file's provider among others: a system tile, or any figure of a one-sender feed."""
    entry = catalogue.feed(feed)
    section, org = key.split(".")[0], key.split(".")[1]
    return section == entry.section and (entry.sender_covers_all or org.startswith(system))


def revised_lines(
    before: Previous, html: str, files: list[tuple[str, str, str, bool]], now: datetime, system: str
) -> list[str]:
    """'Revised HH:MM: <provider> re-sent <file>: <figure> <old> → <new>', one line per file that moved a figure
    (each figure said once)."""
    after = figures(html)
    moved = {k: (before.figures[k], v) for k, v in after.items() if k in before.figures and before.figures[k] != v}
    if not moved:
        return []
    at = f"{now.astimezone(LONDON):%H:%M}"
    # A file is blamed first for its provider's own figures; a shared figure (the system's) goes to a file whose own
    # figures moved too, so an unchanged re-send is not named for another provider's correction.
    blamed: dict[int, list[str]] = {}
    told: set[str] = set()
    for i, (feed, provider, _, _) in enumerate(files):
        mine = [k for k in moved if k not in told and _own(k, feed, provider)]
        blamed[i] = mine
        told.update(mine)
    movers = [i for i in blamed if blamed[i]]
    for i in [*movers, *(i for i in range(len(files)) if i not in movers)]:
        feed = files[i][0]
        shared = [k for k in moved if k not in told and _shared(k, feed, system)]
        blamed[i] += shared
        told.update(shared)
    lines = []
    for i, (_, provider, file_name, again) in enumerate(files):
        if blamed[i]:
            changes = "; ".join(f"{_name(k)} {moved[k][0]} → {moved[k][1]}" for k in blamed[i])
            lines.append(f"Revised {at}: {provider} {'re-sent' if again else 'sent'} {file_name}: {changes}")
    rest = [k for k in moved if k not in told]
    if rest:
        # Rebuilt with no new file to blame (a reference or rule change, a re-run): still said, as a rebuild.
        changes = "; ".join(f"{_name(k)} {moved[k][0]} → {moved[k][1]}" for k in rest)
        lines.append(f"Revised {at}: rebuilt with no new file for the day: {changes}")
    return lines
