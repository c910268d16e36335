"""Mart assets, built in a loop over the catalogue: partitioned daily tables and their rollup views."""

from collections.abc import Iterable
from datetime import date

import dagster as dg
import duckdb

from pipelines.metadata import column_schema, failing_days, preview
from pipelines.partitions import daily_partitions, single_run_backfill
from pipelines.resources import WarehouseResource
from pipelines.storage.warehouse import ensure_schema, quoted, replace_days, sql
from schemas import catalogue
from schemas.catalogue import Mart, Rollup
from schemas.defaults import OVER_12H_MINUTES


def _keys(tables: Iterable[str]) -> list[dg.AssetKey]:
    return [dg.AssetKey(t.split(".")) for t in tables]


def rebuild_days(conn: duckdb.DuckDBPyConnection, mart: Mart, days: list[date]) -> list[date]:
    """Rebuild the mart for `days` and for the days raw runs left waiting (docs/domain.md §7.1); those extra days."""
    pending = conn.execute(
        "select distinct day from ops.marts_to_rebuild where mart = $mart order by day", {"mart": mart.table}
    ).fetchall()
    extra = [d for (d,) in pending if d not in days]
    # One statement per run of consecutive days: a year rebuilt day by day judged each feed's versions 365 times.
    replace_days(
        conn,
        [*days, *extra],
        deletes=[
            (mart.name, "date between $first and $last"),
            ("ops.marts_to_rebuild", "mart = $mart and day between $first and $last"),
        ],
        sql_inserts=[mart.table],
        params={"mart": mart.table, "over_12h_minutes": OVER_12H_MINUTES},
    )
    return extra


def build_daily_mart_asset(mart: Mart) -> dg.AssetsDefinition:
    """marts.<table>, rebuilt per day from sql/<table>.sql, with blocking checks: sql/check_<table>.sql and its key."""
    table, key, check_name = mart.table, mart.key, mart.check_name
    asset_key = dg.AssetKey(["marts", table])

    @dg.asset(
        key=asset_key,
        description=mart.description,
        metadata=column_schema(mart.name, mart.columns),
        deps=_keys(mart.deps),
        partitions_def=daily_partitions,
        backfill_policy=single_run_backfill,
        kinds={"duckdb", "sql"},
        group_name=mart.group,
        check_specs=[
            dg.AssetCheckSpec(check_name, asset=asset_key, blocking=True, description=mart.check_description),
            dg.AssetCheckSpec(
                "key_is_unique", asset=asset_key, blocking=True, description=f"One row per {', '.join(key)}."
            ),
        ],
    )
    def _daily_mart(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
        days = [date.fromisoformat(k) for k in context.partition_keys]
        with warehouse.get_connection() as conn:
            ensure_schema(conn)
            extra = rebuild_days(conn, mart, days)
            for day in extra:
                # Shown as materialised in the UI: the day's figures were rebuilt by this run.
                context.log_event(
                    dg.AssetMaterialization(
                        asset_key=asset_key,
                        partition=day.isoformat(),
                        description=(
                            "Rebuilt: another day's files carry records placed on this day (docs/domain.md §7.1)."
                        ),
                        metadata={
                            "rebuilt_by_the_run_for": f"{context.partition_keys[0]}..{context.partition_keys[-1]}"
                        },
                    )
                )
            window = {"first": days[0], "last": days[-1]}
            rows = conn.sql(
                f"select * from {quoted(mart.name)} where date between $first and $last order by all", params=window
            ).pl()
            # The checks cover every day this step wrote, the days rebuilt for another day's files included.
            written = {"first": min([*days, *extra]), "last": max([*days, *extra])}
            bad = conn.sql(sql(f"check_{table}"), params=written).pl()
            duplicates = conn.sql(sql("check_mart_key_unique", table=mart.name, key=key), params=written).pl()
        return dg.MaterializeResult(
            metadata={"dagster/row_count": rows.height, "preview": preview(rows.filter(rows["date"] == days[-1]))},
            check_results=[
                dg.AssetCheckResult(
                    check_name=check_name,
                    passed=bad.height == 0,
                    # Only an error blocks what is downstream; a row the check marks warn_only (a site-day sent
                    # both ways, counted from its attendances) is said, and the rollups still build.
                    severity=dg.AssetCheckSeverity.WARN
                    if bad.height and "warn_only" in bad.columns and bad["warn_only"].all()
                    else dg.AssetCheckSeverity.ERROR,
                    description="; ".join(bad["problem"].head(3)) if bad.height and "problem" in bad.columns else None,
                    metadata={
                        "rows_failing": bad.height,
                        "detail": preview(bad) if bad.height else "all rows pass",
                        **failing_days(bad["date"] if "date" in bad.columns else []),
                    },
                ),
                dg.AssetCheckResult(
                    check_name="key_is_unique",
                    passed=duplicates.height == 0,
                    metadata={
                        "key": ", ".join(key),
                        "duplicate_keys": duplicates.height,
                        "detail": preview(duplicates) if duplicates.height else "one row per key",
                        **failing_days(duplicates["date"] if "date" in duplicates.columns else []),
                    },
                ),
            ],
        )

    return _daily_mart


def build_rollup_assets(rollup: Rollup) -> dg.AssetsDefinition:
    """Rollup views over a daily mart (one SQL file); metadata previews the newest day's figures.

    Views with `date` and `period` columns are previewed for the newest day; others report row counts.
    Each view carries a blocking check that it has rows for every day (or month) the daily mart has.
    """

    views, daily_table = [v.table for v in rollup.views], rollup.daily
    deps = _keys((f"marts.{daily_table}", *rollup.deps))

    @dg.multi_asset(
        name=rollup.name,
        specs=[
            dg.AssetSpec(
                ["marts", v.table],
                deps=deps,
                kinds={"duckdb", "sql"},
                group_name=rollup.group,
                description=v.description,
                metadata=column_schema(f"marts.{v.table}", v.columns),
            )
            for v in rollup.views
        ],
        check_specs=[
            dg.AssetCheckSpec(
                "covers_every_day_of_the_daily_mart",
                asset=["marts", view],
                blocking=True,
                description=f"Has rows for every day (a monthly view: every month) marts.{daily_table} has.",
            )
            for view in views
        ],
        partitions_def=daily_partitions,
        backfill_policy=single_run_backfill,
    )
    def _rollups(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
        first, last = date.fromisoformat(context.partition_keys[0]), date.fromisoformat(context.partition_keys[-1])
        with warehouse.get_connection() as conn:
            # The views are defined in sql/<sql_file>.sql, which ensure_schema (re)creates.
            ensure_schema(conn)
            for view in views:
                relation = quoted(f"marts.{view}")
                columns = {c[0] for c in conn.sql(f"describe {relation}").fetchall()}
                if {"date", "period"} <= columns:
                    frame = conn.sql(
                        f"select * from {relation} where date = $day and period = 'day' and {rollup.preview_filter} "
                        "order by all",
                        params={"day": last},
                    ).pl()
                    metadata = {"dagster/row_count": frame.height, f"day {last}": preview(frame.drop("date"))}
                else:
                    frame = conn.sql(f"select * from {relation} order by all desc limit 20").pl()
                    metadata = {
                        "dagster/row_count": conn.sql(f"select count(*) from {relation}").fetchall()[0][0],
                        "latest rows": preview(frame),
                    }
                yield dg.MaterializeResult(asset_key=["marts", view], metadata=metadata)
                column, unit = ("date", "day") if "date" in columns else ("month", "month")
                missing = conn.sql(
                    sql("check_rollup_covers_daily", column=column, view=f"marts.{view}", daily=f"marts.{daily_table}"),
                    params={"unit": unit, "first": first, "last": last},
                ).pl()
                yield dg.AssetCheckResult(
                    asset_key=["marts", view],
                    check_name="covers_every_day_of_the_daily_mart",
                    passed=missing.height == 0,
                    # A monthly view's gap is dated by its month's first day.
                    metadata={
                        "missing": preview(missing) if missing.height else "none",
                        **failing_days(missing["missing"]),
                    },
                )

    return _rollups


def mart_assets(marts: Iterable[Mart | Rollup] = catalogue.MARTS) -> list[dg.AssetsDefinition]:
    """One asset per daily mart and one multi-asset per rollup in the catalogue."""
    return [build_daily_mart_asset(m) if isinstance(m, Mart) else build_rollup_assets(m) for m in marts]
