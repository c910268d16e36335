"""The brief's peer context: the home system's trusts beside their region and England on NHS England's published
figures, shown only when a publication covers the brief's day (or its month), with how late it was published."""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field, replace
from datetime import date, datetime

import duckdb

from pipelines.storage.warehouse import quoted, sql
from schemas import catalogue

# (peer view, the publication its periods are): in the catalogue's order, the daily sitrep first.
PEER_SOURCES = tuple((p, catalogue.publication(p.publication)) for p in catalogue.PEERS)


@dataclass(frozen=True)
class PeerPart:
    """One publication's part of the peer section: its rows for the period, or why there are none."""

    view: str  # the peer view's table
    label: str  # the publication as the brief names it
    cadence: str  # daily or monthly
    period: date  # the day, or the first of the month, the part is for
    rows: list[dict] = field(default_factory=list)
    lag: str = ""  # "NHS England published this on …, N days after …"
    missing: str = ""  # the one honest sentence when the publication does not cover the period

    @property
    def covered(self) -> bool:
        return bool(self.rows)

    @property
    def when(self) -> str:
        """The day or month in words."""
        return f"{self.period:%B %Y}" if self.cadence == "monthly" else f"{self.period:%A} {_long(self.period)}"


def _long(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def _month_end(first: date) -> date:
    return first.replace(day=calendar.monthrange(first.year, first.month)[1])


def lag_sentence(published: datetime, period: date, cadence: str) -> str:
    """How long after the day (or the month's end) NHS England published the figures, in words."""
    if cadence == "monthly":
        days = (published.date() - _month_end(period)).days
        after = "the month ended"
    else:
        days = (published.date() - period).days
        after = "the day"
    unit = "day" if days == 1 else "days"
    return f"NHS England published this on {_long(published.date())}, {days:,} {unit} after {after}."


def _latest(conn: duckdb.DuckDBPyConnection, table: str, column: str) -> date | None:
    try:
        return conn.sql(f"select max({quoted(column)}) from {quoted(table)}").fetchall()[0][0]
    except duckdb.CatalogException:
        # A warehouse built before the national schema, read by `uec report` before its next run: nothing loaded.
        return None


def read_part(conn: duckdb.DuckDBPyConnection, day: date, system: str, index: int) -> PeerPart | None:
    """PEER_SOURCES[index]'s part for the brief's day: None when the publication was never loaded."""
    view, publication = PEER_SOURCES[index]
    column = publication.period
    latest = _latest(conn, publication.table, column)
    if latest is None:
        return None
    period = day.replace(day=1) if publication.cadence == "monthly" else day
    rows = (
        conn.sql(sql("brief_peer", view=view.name, column=column), params={"system": system, "period": period})
        .pl()
        .to_dicts()
    )
    part = PeerPart(view.table, publication.label, publication.cadence, period)
    if not rows:
        said = f"{period:%B %Y}" if publication.cadence == "monthly" else _long(period)
        newest = f"{latest:%B %Y}" if publication.cadence == "monthly" else _long(latest)
        what = "month" if publication.cadence == "monthly" else "day"
        sentence = f"NHS England's {publication.label} does not cover {said}; its latest {what} is {newest}."
        return replace(part, missing=sentence)
    published = max(r["published_at_utc"] for r in rows if r["published_at_utc"] is not None)
    return replace(part, rows=rows, lag=lag_sentence(published, period, publication.cadence))


def read_peer(conn: duckdb.DuckDBPyConnection, day: date, system: str) -> list[PeerPart]:
    """Each loaded publication's part for the brief's day; empty when no national data was ever loaded."""
    return [part for i in range(len(PEER_SOURCES)) if (part := read_part(conn, day, system, i)) is not None]
