"""The SCC morning brief for one day: a self-contained HTML page, plus the day's marts as CSV and one workbook."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from pathlib import Path

import duckdb
import jinja2
import polars as pl

from pipelines.brief.changes import tile_changes
from pipelines.brief.charts import chart_view
from pipelines.brief.conditional import conditional
from pipelines.brief.data import TRAILING_DAYS, BriefData, Problem
from pipelines.brief.exports import export_marts
from pipelines.brief.messages import Message, call_asks, forecast_misses, key_messages
from pipelines.brief.reconciliation import reconciliation_view
from pipelines.brief.revisions import previous, resent_files, revised_lines
from pipelines.forecast.outlook import SECTIONS
from pipelines.quality.gx_suites import day_page
from pipelines.storage.record_changes import describe
from schemas import catalogue

TEMPLATES = Path(__file__).resolve().parent / "templates"
FEED_NAMES = {**{f.name: f.label for f in catalogue.FEEDS}, "": "Warehouse"}


@dataclass(frozen=True)
class BriefFiles:
    html: Path
    workbook: Path
    csvs: list[Path]
    rows_exported: int
    # This build's "Revised HH:MM: …" lines: figures that moved on a brief already made for the day.
    revised: tuple[str, ...] = ()


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, undefined=jinja2.StrictUndefined
    )
    # One place decides how a figure reads, so the tiles and the browser test agree on rounding.
    env.filters.update(
        pct=lambda v: "no data" if v is None else f"{v:.1f}%",
        pct0=lambda v: "none" if v is None else f"{v:.0f}%",
        num=lambda v: "no data" if v is None else f"{v:,.1f}",
        count=lambda v: "no data" if v is None else f"{v:,}",
        clock=lambda v: "" if v is None else f"{v:%H:%M}",
        feed_name=lambda f: FEED_NAMES.get(f, f),
        format_day=lambda fmt, d: f"{d:{fmt}}",
    )
    return env


def _counted(level: str, org_code: str, data: BriefData) -> str | set[str] | None:
    """The providers an A&E tile's figure counts: the headline the board's trusts, all providers everyone."""
    if level == "system_headline":
        return data.headline_trusts or None
    return None if level == "system" else org_code


def _reasons(problems: list[Problem]) -> str:
    return "; ".join(f"{p.provider_code or p.feed}: {p.kind}" for p in problems)


def render_brief(data: BriefData, warehouse: str, revisions: Sequence[str] = ()) -> str:
    """The brief's HTML: key messages, the data-quality strip, tiles, an XmR chart per series, and the drill-down."""
    changes = tile_changes(data.tile_history, data.day)
    handover = _handover_tiles(data, changes)
    opel = data.opel.to_dicts()
    # A chart's latest point is its latest day with a figure: when that is not the brief's day, the table says whose.
    charts = [{**chart_view(c), "stale": c.dates[-1] != data.day} for c in data.charts]
    coverage = data.coverage
    gaps = {
        section: coverage.no_figures(feeds) if coverage else None
        for section, feeds in catalogue.section_feeds().items()
    }
    return (
        _environment()
        .get_template("brief.html.j2")
        .render(
            day_long=f"{data.day:%A} {data.day.day} {data.day:%B %Y}",
            system_code=data.system_code,
            system_name=data.system_name,
            generated=f"{data.generated_at:%d %b %Y %H:%M}",
            problems=data.problems,
            quality=data.quality.to_dicts(),
            reconciliation=reconciliation_view(data.reconciliation),
            resends=[{**r, "text": describe(r)} for r in data.resends.iter_rows(named=True)],
            ed=_ed_tiles(data, changes),
            handover=handover,
            cnh=_cnh_tile(data, changes),
            opel=opel,
            system_level=opel[0]["system_level"] if opel else None,
            providers_missing=opel[0]["providers_missing"] if opel else None,
            opel_provisional=_reasons(data.provisional("opel")),
            charts=charts,
            messages=_messages(data, opel, handover, revisions),
            asks=call_asks(data.charts, opel, handover, data.problems, FEED_NAMES),
            made=data.generated_at.isoformat(),
            gaps=gaps,
            coverage_complete=coverage is None or coverage.complete,
            coverage_gaps=coverage.no_figures([f.feed for f in coverage.feeds]) if coverage else "",
            drill={name: frame.to_dicts() for name, frame in data.drill.items()},
            opel_history=_opel_history(data),
            trailing_days=TRAILING_DAYS,
            warehouse=warehouse,
            data_docs=f"data_docs/{day_page(data.day)}",
            peer=data.peer,
            outlook=data.outlook,
            outlook_incomplete=_incomplete_series(data),
        )
    )


def _ed_tiles(data: BriefData, changes: dict) -> list[dict]:
    """One A&E tile per system, trust and site with a figure on the day, with its month and year to date."""
    ed = []
    for (tile,), rows in data.ed.group_by(["tile"], maintain_order=True):
        periods = {r["period"]: r for r in rows.iter_rows(named=True)}
        day = periods.get("day")
        if day is None:
            continue
        level = day["level"]
        ed.append(
            {
                "org_code": tile,
                "org_name": day["org_name"],
                "coverage": day["coverage"],
                "headline": level == "system_headline",
                "day": day,
                "month_to_date": periods.get("month_to_date"),
                "year_to_date": periods.get("year_to_date"),
                "provisional": _reasons(data.provisional("ed", _counted(level, day["org_code"], data))),
                "changes": changes.get(("ed_four_hour", tile)),
            }
        )
    return ed


def _handover_tiles(data: BriefData, changes: dict) -> list[dict]:
    return [
        {
            **r,
            "provisional": _reasons(data.provisional("handover", None if r["level"] == "system" else r["trust_code"])),
            "changes": changes.get(("hours_lost", r["org_code"])),
        }
        for r in data.handover.iter_rows(named=True)
    ]


def _cnh_tile(data: BriefData, changes: dict) -> dict | None:
    """The hub's tile, on the whole ambulance stack; None on a day the hub sent nothing."""
    stack = data.cnh.filter(pl.col("referral_source") == "ambulance_stack_total").to_dicts()
    if not stack:
        return None
    return {**stack[0], "provisional": _reasons(data.provisional("cnh")), "changes": changes.get(("deflection", "cnh"))}


def _messages(data: BriefData, opel: list[dict], handover: list[dict], revisions: Sequence[str]) -> list[Message]:
    """The key messages: this day's revisions first, then each message as far as the data loaded supports it."""
    found = key_messages(
        data.charts, opel, handover, data.problems, FEED_NAMES, data.opel_yesterday.to_dicts(), data.coverage
    )
    return [
        *(Message("revised", line) for line in revisions),
        *conditional(found, data.coverage),
        *forecast_misses(data.outlook, _incomplete_series(data)),
    ]


def _incomplete_series(data: BriefData) -> dict[str, str]:
    """Series -> why the feeds it is counted from did not load whole for the brief's day (only those that did not)."""
    if data.coverage is None:
        return {}
    sections = catalogue.section_feeds()
    found = {series: data.coverage.no_figures(sections[section]) for series, section in SECTIONS.items()}
    return {series: why for series, why in found.items() if why}


def _opel_history(data: BriefData) -> dict:
    """The 7 days to the brief's, and per provider its OPEL row for each (None where it has none)."""
    days = [data.day - timedelta(days=n) for n in range(6, -1, -1)]
    history = data.drill.get("opel_history", pl.DataFrame())
    providers = []
    for (code,), rows in history.group_by(["provider_code"], maintain_order=True) if history.height else []:
        by_day = {r["date"]: r for r in rows.iter_rows(named=True)}
        providers.append({"code": code, "name": rows["provider_name"][0], "days": [by_day.get(d) for d in days]})
    return {"days": days, "providers": providers}


def write_brief(
    conn: duckdb.DuckDBPyConnection, data: BriefData, reports: Path, warehouse: str, history_days: int
) -> BriefFiles:
    """Write reports/brief-D.html and the day's marts (reports/marts-D/*.csv, reports/marts-D.xlsx), each atomically."""
    reports.mkdir(parents=True, exist_ok=True)
    html = reports / f"brief-{data.day.isoformat()}.html"
    page = render_brief(data, warehouse)
    before = previous(html)
    revised: list[str] = []
    if before is not None:
        files = resent_files(conn, data.day, before.made)
        revised = revised_lines(before, page, files, data.generated_at, data.system_code)
        # Revisions stay on the page for the day's later builds: the call sees every figure that moved.
        if revised or before.revisions:
            page = render_brief(data, warehouse, [*before.revisions, *revised])
    partial = html.with_suffix(".html.partial")
    partial.write_text(page, encoding="utf-8")
    partial.replace(html)
    workbook, csvs, rows = export_marts(conn, data.day, reports, history_days, data.system_code)
    return BriefFiles(html, workbook, csvs, rows, tuple(revised))
