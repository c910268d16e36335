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


def resent_files(conn: duckdb.DuckDBPyConnection, day, since: datetime | None) -> list[tuple[str, str, str]]:
    """(feed, provider, file) of each file for the day that landed after the previous brief was made."""
    if since is None:
        return []
    return conn.sql(
        "select feed, provider_code, file_name from ops.source_files where partition_date = $day "
        "and received_at_utc > $since order by received_at_utc, file_name",
        params={"day": day, "since": since.astimezone(UTC).replace(tzinfo=None)},
    ).fetchall()


def _name(key: str) -> str:
    parts = key.split(".")
    org = parts[1] if len(parts) > 2 else ""
    period = next((PERIODS[p] for p in parts if p in PERIODS), "")
    measure = MEASURES.get(parts[-1], parts[-1])
    return " ".join(p for p in (org, measure, period) if p)


def _touches(key: str, feed: str, provider: str, system: str) -> bool:
    entry = catalogue.feed(feed)
    section, org = key.split(".")[0], key.split(".")[1]
    if section != entry.section:
        return False
    return entry.sender_covers_all or org.startswith(provider) or org.startswith(system)


def revised_lines(
    before: Previous, html: str, files: list[tuple[str, str, str]], now: datetime, system: str
) -> list[str]:
    """'Revised HH:MM: <provider> re-sent <file>: <figure> <old> → <new>', one line per file that moved a figure."""
    after = figures(html)
    moved = {k: (before.figures[k], v) for k, v in after.items() if k in before.figures and before.figures[k] != v}
    if not moved:
        return []
    at = f"{now.astimezone(LONDON):%H:%M}"
    lines, told = [], set()
    for feed, provider, file_name in files:
        mine = [k for k in moved if _touches(k, feed, provider, system)]
        if mine:
            changes = "; ".join(f"{_name(k)} {moved[k][0]} → {moved[k][1]}" for k in mine)
            lines.append(f"Revised {at}: {provider} re-sent {file_name}: {changes}")
            told.update(mine)
    rest = [k for k in moved if k not in told]
    if rest:
        # Rebuilt with no new file to blame (a reference or rule change, a re-run): still said, as a rebuild.
        changes = "; ".join(f"{_name(k)} {moved[k][0]} → {moved[k][1]}" for k in rest)
        lines.append(f"Revised {at}: rebuilt with no new file for the day: {changes}")
    return lines
