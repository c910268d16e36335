"""The brief's peer context: the home system's trusts beside their region and England on NHS England's published
figures, shown only when a publication covers the brief's day (or its month), with how late it was published."""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field, replace
from datetime import date, datetime

import duckdb

from pipelines.storage.warehouse import quoted, sql
from schemas import catalogue

# The peer views in the catalogue's order: the daily figures first, then the monthly.
PEERS = catalogue.PEERS


@dataclass(frozen=True)
class PeerPart:
    """One publication's part of the peer section: its rows for the period, or why there are none."""

    view: str  # the peer view's table
    label: str  # the figures as the brief names them ("daily situation reports")
    cadence: str  # daily or monthly
    period: date  # the day, or the first of the month, the part is for
    rows: list[dict] = field(default_factory=list)
    lag: str = ""  # "NHS England published this on …, N days after …"
    missing: str = ""  # the one honest sentence when the publication does not cover the period

    @property
    def covered(self) -> bool:
        return bool(self.rows)

    @property
    def heading(self) -> str:
        """The part's title: whose figures, for when."""
        return f"NHS England's {self.label}, {self.when}"

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


def latest_period(conn: duckdb.DuckDBPyConnection, peer: catalogue.Peer) -> date | None:
    """The newest day (or month) the peer view has a trust for; None when nothing was ever loaded."""
    try:
        return conn.sql(
            f"select max({quoted(peer.period)}) from {quoted(peer.name)} where org_level = 'trust'"
        ).fetchall()[0][0]
    except duckdb.CatalogException:
        # A warehouse built before the national schema, read by `uec report` before its next run: nothing loaded.
        return None


def read_part(conn: duckdb.DuckDBPyConnection, day: date, system: str, peer: catalogue.Peer) -> PeerPart | None:
    """The peer view's part for the brief's day (or its month): None when its publications were never loaded."""
    latest = latest_period(conn, peer)
    if latest is None:
        return None
    monthly = peer.cadence == "monthly"
    period = day.replace(day=1) if monthly else day
    rows = (
        conn.sql(sql("brief_peer", view=peer.name, column=peer.period), params={"system": system, "period": period})
        .pl()
        .to_dicts()
    )
    part = PeerPart(peer.table, peer.label, peer.cadence, period)
    if not rows:
        said, newest = (f"{period:%B %Y}", f"{latest:%B %Y}") if monthly else (_long(period), _long(latest))
        sentence = (
            f"NHS England's {peer.label} do not cover {said}; the latest {'month' if monthly else 'day'} they "
            f"cover is {newest}."
        )
        return replace(part, missing=sentence)
    published = max(r["published_at_utc"] for r in rows if r["published_at_utc"] is not None)
    return replace(part, rows=rows, lag=lag_sentence(published, period, peer.cadence))


def read_peer(conn: duckdb.DuckDBPyConnection, day: date, system: str) -> list[PeerPart]:
    """Each loaded publication's part for the brief's day; empty when no national data was ever loaded."""
    return [part for peer in PEERS if (part := read_part(conn, day, system, peer)) is not None]
