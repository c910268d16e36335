"""The SCC morning brief: one HTML page and the day's marts as CSV and a workbook, for the 09:30 system call."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import dagster as dg

from assets.cnh_metrics import cnh_deflection_rollups
from assets.ed_metrics import ed_four_hour_rollups
from assets.handover_metrics import handover_rollups
from assets.opel_metrics import opel_system_daily
from pipelines.brief import brief_for_day
from pipelines.resources import FeedFilesResource, ReportsResource, WarehouseResource

LONDON = ZoneInfo("Europe/London")
RANGE_END = "dagster/asset_partition_range_end"
BRIEF_KEY = dg.AssetKey(["reports", "morning_brief"])


def written_brief(result: dg.ExecuteInProcessResult) -> dict | None:
    """The metadata (day, brief, workbook) of the brief a run wrote, for the command line to print; None if none."""
    for event in result.get_asset_materialization_events():
        materialization = event.step_materialization_data.materialization
        if materialization.asset_key == BRIEF_KEY:
            return {k: v.value for k, v in materialization.metadata.items()}
    return None


def brief_day(tags: dict[str, str], latest: date | None) -> date | None:
    """The run's day (the last of a range), else the latest day in the marts: one brief per run, not per day."""
    key = tags.get("dagster/partition") or tags.get(RANGE_END)
    return date.fromisoformat(key) if key else latest


@dg.asset(
    key=BRIEF_KEY,
    deps=[ed_four_hour_rollups, handover_rollups, cnh_deflection_rollups, opel_system_daily],
    kinds={"html", "csv", "excel"},
    group_name="reports",
    pool="duckdb_warehouse",
)
def morning_brief(context: dg.AssetExecutionContext, warehouse: WarehouseResource, feed_files: FeedFilesResource,
                  reports: ReportsResource) -> dg.MaterializeResult:
    """The SCC morning brief (reports/brief-D.html) and the day's marts as CSV and one workbook, for the run's last day."""
    with warehouse.get_connection() as conn:
        latest = conn.sql("select max(date) from marts.ed_four_hour_daily").fetchall()[0][0]
        day = brief_day(context.run.tags, latest)
        if day is None:
            raise dg.Failure("No day to brief: the marts are empty. Run a refresh first.")
        data, files = brief_for_day(
            conn, day, reports=reports.path, feeds_dir=feed_files.feeds_dir, landing=feed_files.landing,
            now=datetime.now(LONDON), warehouse=warehouse.database, instance=context.instance,
        )
    system = data.ed.filter((data.ed["level"] == "system") & (data.ed["period"] == "day"))
    headline = f"{system['pct_within_4h'][0]:.1f}%" if system.height and system["pct_within_4h"][0] is not None else "no data"
    if data.problems:
        context.log.warning(f"Brief for {day}: {len(data.problems)} data-quality problem(s) mark figures provisional.")
    return dg.MaterializeResult(metadata={
        "day": day.isoformat(),
        "brief": dg.MetadataValue.path(str(files.html)),
        "workbook": dg.MetadataValue.path(str(files.workbook)),
        "csv_files": len(files.csvs),
        "dagster/row_count": files.rows_exported,
        "system_4h_pct_day": headline,
        "charts": len(data.charts),
        "provisional_problems": dg.MetadataValue.md(
            "\n".join(f"- {p.feed} {p.provider_code or ''}: {p.kind}: {p.detail}" for p in data.problems) or "none"
        ),
    })
