"""The SCC morning brief for one day: a self-contained HTML page, plus the day's marts as CSV and one workbook."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from datetime import date, datetime
from pathlib import Path

import duckdb
import jinja2
import polars as pl

from pipelines.brief_charts import chart_svg
from pipelines.brief_data import TRAILING_DAYS, BriefData, Problem, read_brief
from pipelines.exports import export_marts

TEMPLATES = Path(__file__).resolve().parent / "templates"
FEED_NAMES = {
    "ed_attendances": "ED attendances", "ambulance_handovers": "Ambulance handovers", "handover_sitrep": "Handover sitrep",
    "cnh_cases": "CNH/SPoA cases", "opel_submissions": "OPEL submissions", "": "Warehouse",
}


@dataclass(frozen=True)
class BriefFiles:
    html: Path
    workbook: Path
    csvs: list[Path]
    rows_exported: int


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, undefined=jinja2.StrictUndefined)
    # One place decides how a figure reads, so the tiles and the browser test agree on rounding.
    env.filters.update(
        pct=lambda v: "no data" if v is None else f"{v:.1f}%",
        pct0=lambda v: "none" if v is None else f"{v:.0f}%",
        num=lambda v: "no data" if v is None else f"{v:,.1f}",
        count=lambda v: "no data" if v is None else f"{v:,}",
        clock=lambda v: "" if v is None else f"{v:%H:%M}",
        feed_name=lambda f: FEED_NAMES.get(f, f),
    )
    return env


def _reasons(problems: list[Problem]) -> str:
    return "; ".join(f"{p.provider_code or p.feed}: {p.kind}" for p in problems)


def render_brief(data: BriefData, warehouse: str) -> str:
    """The brief's HTML: tiles, the data-quality strip, and an XmR chart per series."""
    ed = []
    for (code,), rows in data.ed.group_by(["org_code"], maintain_order=True):
        periods = {r["period"]: r for r in rows.iter_rows(named=True)}
        day = periods.get("day")
        if day is None:
            continue
        level = day["level"]
        ed.append({"org_code": code, "org_name": day["org_name"], "day": day, "month_to_date": periods.get("month_to_date"),
                   "year_to_date": periods.get("year_to_date"),
                   "provisional": _reasons(data.provisional("ed", None if level == "system" else code))})
    handover = [
        {**r, "provisional": _reasons(data.provisional("handover", None if r["level"] == "system" else r["trust_code"]))}
        for r in data.handover.iter_rows(named=True)
    ]
    stack = data.cnh.filter(pl.col("referral_source") == "ambulance_stack_total").to_dicts()
    cnh = {**stack[0], "provisional": _reasons(data.provisional("cnh"))} if stack else None
    opel = data.opel.to_dicts()
    charts = [{"series": c.series, "title": c.title, "org_name": c.org_name, "variation": c.chart.variation,
               "assurance": c.chart.assurance, "svg": jinja2.utils.markupsafe.Markup(chart_svg(c))} for c in data.charts]
    return _environment().get_template("brief.html.j2").render(
        day_long=f"{data.day:%A} {data.day.day} {data.day:%B %Y}", generated=f"{data.generated_at:%d %b %Y %H:%M}",
        problems=data.problems, quality=data.quality.to_dicts(), ed=ed, handover=handover, cnh=cnh, opel=opel,
        system_level=opel[0]["system_level"] if opel else None, providers_missing=opel[0]["providers_missing"] if opel else None,
        opel_provisional=_reasons(data.provisional("opel")), charts=charts, trailing_days=TRAILING_DAYS, warehouse=warehouse,
    )


def write_brief(conn: duckdb.DuckDBPyConnection, data: BriefData, reports: Path, warehouse: str) -> BriefFiles:
    """Write reports/brief-D.html and the day's marts (reports/marts-D/*.csv, reports/marts-D.xlsx), each atomically."""
    reports.mkdir(parents=True, exist_ok=True)
    html = reports / f"brief-{data.day.isoformat()}.html"
    partial = html.with_suffix(".html.partial")
    partial.write_text(render_brief(data, warehouse), encoding="utf-8")
    partial.replace(html)
    workbook, csvs, rows = export_marts(conn, data.day, reports)
    return BriefFiles(html, workbook, csvs, rows)


def brief_for_day(conn: duckdb.DuckDBPyConnection, day: date, *, reports: Path, feeds_dir: str, landing: Path,
                  now: datetime, warehouse: str, instance=None) -> tuple[BriefData, BriefFiles]:
    """Read, render and write one day's brief and exports."""
    data = read_brief(conn, day, feeds_dir=feeds_dir, landing=landing, now=now, instance=instance)
    return data, write_brief(conn, data, reports, warehouse)


def report(day: date, out=print) -> int:
    """`uec report`: write the brief and exports for a day from the warehouse as it stands; exit 1 when it has no figures."""
    from zoneinfo import ZoneInfo

    from pipelines.instance import persistent_instance
    from pipelines.resources import connect_waiting, default_resources, warehouse_path

    resources = default_resources()
    path = warehouse_path()
    if not Path(path).is_file():
        out(f"No warehouse at {path}: run `uec refresh` first.")
        return 1
    conn = connect_waiting(path, read_only=True, on_wait=out)
    try:
        if not conn.sql("select count(*) from marts.ed_four_hour_daily where date = $day", params={"day": day}).fetchall()[0][0]:
            out(f"No figures for {day} in {path}: run `uec refresh --date {day}` first.")
            return 1
        files = resources["feed_files"]
        data, written = brief_for_day(conn, day, reports=resources["reports"].path, feeds_dir=files.feeds_dir,
                                      landing=files.landing, now=datetime.now(ZoneInfo("Europe/London")), warehouse=path,
                                      instance=persistent_instance())
    finally:
        conn.close()
    out(f"Morning brief for {day}: {written.html}")
    out(f"Marts for the call pack: {written.workbook} and {len(written.csvs)} CSV files in {written.csvs[0].parent}")
    if data.problems:
        out(f"{len(data.problems)} data-quality problem(s); the figures they affect are marked provisional:")
        for p in data.problems:
            out(f"  - {FEED_NAMES.get(p.feed, p.feed)} {p.provider_code or ''}: {p.kind}: {p.detail}")
    return 0
