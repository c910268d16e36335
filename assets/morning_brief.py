"""The SCC morning brief: one HTML page and the day's marts as CSV and a workbook, for the 09:30 system call."""

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from pathlib import Path

import dagster as dg
import duckdb

from pipelines.brief.data import BriefData, read_brief
from pipelines.brief.render import BriefFiles, write_brief
from pipelines.instance import BRIEF_KEY, RANGE_END, failed_checks_on
from pipelines.resources import FeedFilesResource, ReportsResource, WarehouseResource
from pipelines.settings import export_history_days, home_system
from schemas import catalogue
from schemas.catalogue import Mart, Rollup
from schemas.clock import LONDON


def brief_day(tags: Mapping[str, str], latest: date | None) -> date | None:
    """The run's day (the last of a range), else the latest day in the marts: one brief per run, not per day."""
    key = tags.get("dagster/partition") or tags.get(RANGE_END)
    return date.fromisoformat(key) if key else latest


def make_brief(
    conn: duckdb.DuckDBPyConnection,
    day: date,
    feed_files: FeedFilesResource,
    reports_dir: Path,
    warehouse_path: str,
    instance: dg.DagsterInstance,
) -> tuple[BriefData, BriefFiles]:
    """Read and write the brief for `day`; the asset and `uec report` both make it here, from their resources."""
    data = read_brief(
        conn,
        day,
        feeds_dir=feed_files.feeds_dir,
        landing=feed_files.landing,
        now=datetime.now(LONDON),
        system=home_system(),
        failed_checks=failed_checks_on(instance, day.isoformat()),
        reference_dir=feed_files.reference_dir,
    )
    return data, write_brief(conn, data, reports_dir, warehouse_path, export_history_days())


def build_morning_brief(marts: Iterable[Mart | Rollup] = catalogue.MARTS) -> dg.AssetsDefinition:
    """The brief asset, downstream of every mart and rollup view it reads."""
    return dg.asset(
        key=BRIEF_KEY,
        # The reconciliation too: the quality strip says what it found.
        deps=[
            *(dg.AssetKey(["marts", t]) for t in catalogue.mart_tables(marts)),
            dg.AssetKey(catalogue.RECONCILIATION.name.split(".")),
            # The outlook: the next seven days and how yesterday's forecast did.
            *(dg.AssetKey(f.name.split(".")) for f in catalogue.FORECASTS),
        ],
        kinds={"html", "csv", "excel"},
        group_name="reports",
    )(_morning_brief)


def _morning_brief(
    context: dg.AssetExecutionContext,
    warehouse: WarehouseResource,
    feed_files: FeedFilesResource,
    reports: ReportsResource,
) -> dg.MaterializeResult:
    """The SCC morning brief (reports/brief-D.html) and the day's marts as CSV and a workbook, for the last day."""
    with warehouse.get_connection() as conn:
        latest = conn.sql("select max(date) from marts.ed_four_hour_daily").fetchall()[0][0]
        day = brief_day(context.run.tags, latest)
        if day is None:
            raise dg.Failure("No day to brief: the marts are empty. Run a refresh first.")
        data, files = make_brief(conn, day, feed_files, reports.path, warehouse.database, context.instance)
    system = data.ed.filter((data.ed["level"] == "system") & (data.ed["period"] == "day"))
    headline = (
        f"{system['pct_within_4h'][0]:.1f}%" if system.height and system["pct_within_4h"][0] is not None else "no data"
    )
    if data.problems:
        context.log.warning(f"Brief for {day}: {len(data.problems)} data-quality problem(s) mark figures provisional.")
    return dg.MaterializeResult(
        metadata={
            "day": day.isoformat(),
            "brief": dg.MetadataValue.path(str(files.html)),
            "brief_url": reports.link(files.html),
            "workbook": dg.MetadataValue.path(str(files.workbook)),
            "csv_files": len(files.csvs),
            "dagster/row_count": files.rows_exported,
            "system": f"{data.system_code} {data.system_name}",
            "system_4h_pct_day": headline,
            "charts": len(data.charts),
            # Read by the brief_revised_alerts sensor: a brief already made for the day had figures move.
            "revised": dg.MetadataValue.json(list(files.revised)),
            "provisional_problems": dg.MetadataValue.md(
                "\n".join(f"- {p.feed} {p.provider_code or ''}: {p.kind}: {p.detail}" for p in data.problems) or "none"
            ),
        }
    )
