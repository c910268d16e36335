"""The peer report (`uec report --peer`): the latest day and month NHS England has published, the home system's
trusts beside their region and England, every trust ranked, and a funnel plot of the 4-hour share by attendances."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import duckdb

from pipelines.brief.funnel import FunnelPoint, Z, funnel_svg
from pipelines.brief.peer import PEERS, PeerPart, latest_period, read_part
from pipelines.brief.render import _environment
from pipelines.storage.warehouse import quoted


@dataclass(frozen=True)
class PeerReport:
    system_code: str
    system_name: str
    generated_at: datetime
    parts: list[PeerPart]  # each loaded publication's latest period, home rows (the brief's tables)
    every_trust: dict[str, list[dict]]  # peer view -> every trust's row for that period, best rank first
    home: set[str]  # the home system's headline trusts

    @property
    def latest(self) -> date:
        """The report's period: the latest day or month any publication holds."""
        return max(p.period for p in self.parts)


def read_peer_report(conn: duckdb.DuckDBPyConnection, system: str, system_name: str, now: datetime) -> PeerReport:
    """The report's figures; no parts when no national data was ever loaded."""
    parts, every = [], {}
    for peer in PEERS:
        latest = latest_period(conn, peer)
        part = read_part(conn, latest, system, peer) if latest else None
        if part is None:
            continue
        parts.append(part)
        order = "rank" if peer.cadence == "monthly" else "occupancy_rank"
        every[peer.table] = (
            conn.sql(
                f"select * from {quoted(peer.name)} where {quoted(peer.period)} = $p and org_level = 'trust' "
                f"order by {quoted(order)} nulls last, org_code",
                params={"p": latest},
            )
            .pl()
            .to_dicts()
        )
    home = {
        r[0]
        for r in conn.sql(
            "select trust_code from ref.system_headline where system_code = $s", params={"s": system}
        ).fetchall()
    }
    return PeerReport(system, system_name, now, parts, every, home)


def funnel(report: PeerReport, view: str) -> str:
    """The funnel plot for the monthly view's providers with attendances ('' without them or England's centre)."""
    rows = [r for r in report.every_trust.get(view, []) if r["attendances"] and r["pct_within_4h"] is not None]
    centres = {r["england_pct_within_4h"] for r in rows if r["england_pct_within_4h"] is not None}
    if not rows or not centres:
        return ""
    points = [
        FunnelPoint(
            r["org_code"],
            r["org_name"] or r["org_code"],
            r["attendances"],
            r["pct_within_4h"],
            r["funnel_flag"],
            r["org_code"] in report.home,
        )
        for r in rows
    ]
    month = next(p for p in report.parts if p.view == view).when
    return funnel_svg(
        points,
        centres.pop(),
        title=f"Funnel plot: share of A&E attendances within 4 hours by attendances, every provider, {month}",
        x_label="A&E attendances in the month (all types)",
        y_label="Within 4 hours (%)",
    )


def render_peer_report(report: PeerReport) -> str:
    return (
        _environment()
        .get_template("peer_report.html.j2")
        .render(
            report=report,
            generated=f"{report.generated_at:%d %b %Y %H:%M}",
            funnels={p.view: funnel(report, p.view) for p in report.parts if p.cadence == "monthly"},
            z=Z,
        )
    )


def write_peer_report(report: PeerReport, reports: Path) -> Path:
    """Write reports/peer-<latest period>.html atomically."""
    reports.mkdir(parents=True, exist_ok=True)
    html = reports / f"peer-{report.latest.isoformat()}.html"
    partial = html.with_suffix(".html.partial")
    partial.write_text(render_peer_report(report), encoding="utf-8")
    partial.replace(html)
    return html
