"""ED 4-hour and 12-hour marts: daily per site and type, rolled up to trust and system."""

from datetime import date

import dagster as dg

from assets.ed_attendances import ed_attendances
from assets.reference import sites, targets
from pipelines.metadata import preview
from pipelines.partitions import daily_partitions, single_run_backfill
from pipelines.resources import WarehouseResource
from pipelines.warehouse import ensure_schema, replace_partition, sql

DAILY = dg.AssetKey(["marts", "ed_four_hour_daily"])


@dg.asset(
    key=DAILY,
    deps=[ed_attendances, sites],
    partitions_def=daily_partitions,
    backfill_policy=single_run_backfill,
    kinds={"duckdb", "sql"},
    group_name="ed",
    pool="duckdb_warehouse",
    check_specs=[
        dg.AssetCheckSpec(
            "attendances_equal_within_plus_breaches_plus_pending", asset=DAILY, blocking=True,
            description="Every attendance is counted exactly once as within 4 hours, a breach or pending.",
        )
    ],
)
def ed_four_hour_daily(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    """ED attendances, within 4 hours, breaches, pending and over 12 hours per day, site and department type."""
    days = [date.fromisoformat(k) for k in context.partition_keys]
    with warehouse.get_connection() as conn:
        ensure_schema(conn)
        for day in days:
            replace_partition(conn, day, deletes=[("marts.ed_four_hour_daily", "date = $partition_date")],
                              sql_inserts=["ed_four_hour_daily"])
        window = {"first": days[0], "last": days[-1]}
        rows = conn.sql("select * from marts.ed_four_hour_daily where date between $first and $last order by all", params=window).pl()
        bad = conn.sql(sql("check_ed_four_hour_counts"), params=window).pl()
    return dg.MaterializeResult(
        metadata={"dagster/row_count": rows.height, "attendances": int(rows["attendances"].sum() or 0),
                  "preview": preview(rows.filter(rows["date"] == days[-1]))},
        check_results=[
            dg.AssetCheckResult(
                check_name="attendances_equal_within_plus_breaches_plus_pending",
                passed=bad.height == 0,
                metadata={"rows_failing": bad.height, "detail": preview(bad) if bad.height else "all rows add up"},
            )
        ],
    )


@dg.multi_asset(
    specs=[
        dg.AssetSpec(["marts", name], deps=[DAILY, targets], kinds={"duckdb", "sql"}, group_name="ed", description=description)
        for name, description in [
            ("ed_four_hour_rollup", "ED 4-hour and 12-hour figures for site, trust and system by day, month to date and year to date."),
            ("ed_four_hour_trust", "Trust-level ED 4-hour performance for the day, month to date and year to date, beside the target."),
            ("ed_four_hour_system", "System-level (ICB) ED 4-hour performance for the day, month to date and year to date, beside the target."),
        ]
    ],
    partitions_def=daily_partitions,
    backfill_policy=single_run_backfill,
    pool="duckdb_warehouse",
)
def ed_four_hour_rollups(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    """Trust and system rollups as views over the daily mart, so they always agree with it."""
    last = date.fromisoformat(context.partition_keys[-1])
    with warehouse.get_connection() as conn:
        conn.execute(sql("ed_four_hour_rollup"))
        for view in ("ed_four_hour_rollup", "ed_four_hour_trust", "ed_four_hour_system"):
            frame = conn.sql(
                f"select * from marts.{view} where date = $day and scope = 'all_types' order by all", params={"day": last}
            ).pl()
            yield dg.MaterializeResult(
                asset_key=["marts", view],
                metadata={"dagster/row_count": frame.height, f"all types on {last}": preview(frame.drop("date"))},
            )
