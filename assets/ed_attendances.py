"""Raw ED attendances: every provider's landed files for a day, validated, with bad rows quarantined."""

from datetime import date

import dagster as dg
import polars as pl

from assets.reference import sites
from pipelines.ingest import ingest_partition
from pipelines.landing import FeedFileError, unrecognised_files
from pipelines.metadata import preview
from pipelines.partitions import daily_partitions, single_run_backfill
from pipelines.resources import FeedFilesResource, WarehouseResource
from pipelines.warehouse import ensure_schema, replace_partition, sql
from schemas import ed_attendances as contract_module
from schemas.registry import FeedConfig, load_feed_configs

FEED = contract_module.SPEC.feed
KEY = dg.AssetKey(["raw", FEED])


def ed_feed_configs(feeds_dir: str) -> list[FeedConfig]:
    """Provider layouts for the ED feed, each checked against the canonical schema."""
    configs = load_feed_configs(FEED, feeds_dir)
    for config in configs:
        contract_module.SPEC.check_mapping(set(config.columns), config.config_path)
    return configs


@dg.asset(
    key=KEY,
    deps=[sites],
    partitions_def=daily_partitions,
    backfill_policy=single_run_backfill,
    kinds={"duckdb", "polars", "pandera"},
    group_name="ed",
    pool="duckdb_warehouse",
    check_specs=[
        dg.AssetCheckSpec(
            "rows_in_equal_loaded_plus_quarantined", asset=KEY, blocking=True,
            description="Every source row is either loaded or quarantined: nothing is lost.",
        )
    ],
)
def ed_attendances(context: dg.AssetExecutionContext, warehouse: WarehouseResource, feed_files: FeedFilesResource) -> dg.MaterializeResult:
    """Every valid version of every ED attendance landed for the day; failing rows go to ops.quarantine."""
    configs = ed_feed_configs(feed_files.feeds_dir)
    for config in configs:
        if stray := unrecognised_files(config, feed_files.landing):
            context.log.warning(f"{config.provider_code}: files in {config.landing_dir} not named as the layout expects, not loaded: {stray}")
    days = [date.fromisoformat(k) for k in context.partition_keys]
    with warehouse.get_connection() as conn:
        ensure_schema(conn)
        known_sites = [r[0] for r in conn.execute("select site_code from ref.sites").fetchall()]
        files_seen: list[pl.DataFrame] = []
        quarantined_seen: list[pl.DataFrame] = []
        for day in days:
            try:
                batch = ingest_partition(configs, contract_module.SPEC, feed_files.landing, day,
                                         lambda d: contract_module.contract(known_sites, d))
            except FeedFileError as exc:
                # Nothing is written for the day: a half-loaded day would understate every figure.
                raise dg.Failure(
                    description=f"{exc}. Nothing was loaded for {day}; fix the file or its layout and re-run.",
                    metadata={"feed": exc.feed, "provider": exc.provider, "file": str(exc.path)},
                    allow_retries=False,
                ) from exc
            loaded, quarantined, files = batch.frames()
            where = "partition_date = $partition_date"
            replace_partition(
                conn, day,
                deletes=[(f"raw.{FEED}", where), ("ops.source_files", f"feed = '{FEED}' and {where}"),
                         ("ops.quarantine", f"feed = '{FEED}' and {where}")],
                inserts=[(f"raw.{FEED}", loaded),
                         ("ops.source_files", files), ("ops.quarantine", quarantined)],
            )
            files_seen.append(files)
            quarantined_seen.append(quarantined)
            if files.height == 0:
                context.log.warning(f"{day}: no {FEED} files landed for any provider")
        lost = conn.sql(sql("check_rows_accounted"), params={"feed": FEED, "first": days[0], "last": days[-1]}).pl()

    files = pl.concat(files_seen)
    quarantined = pl.concat(quarantined_seen)
    by_provider = files.group_by("provider_code").agg(
        pl.len().alias("files"), pl.sum("rows_read"), pl.sum("rows_loaded"), pl.sum("rows_quarantined")
    ).sort("provider_code")
    top_reasons = quarantined.group_by("provider_code", "column_name", "reason").agg(pl.len().alias("cells")).sort("cells", descending=True)
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": int(files["rows_loaded"].sum()),
            "rows_read": int(files["rows_read"].sum()),
            "rows_quarantined": int(files["rows_quarantined"].sum()),
            "files": files.height,
            "by_provider": preview(by_provider),
            "top_quarantine_reasons": preview(top_reasons, rows=10),
        },
        check_results=[
            dg.AssetCheckResult(
                check_name="rows_in_equal_loaded_plus_quarantined",
                passed=lost.height == 0,
                metadata={"files_checked": files.height, "files_not_adding_up": lost.height,
                          "detail": preview(lost) if lost.height else "all files add up"},
            )
        ],
    )
