"""One factory for every raw feed asset: landed files in, validated rows and quarantine out."""

import time
from collections import Counter
from collections.abc import Callable
from datetime import date

import dagster as dg
import pandera.polars as pa
import polars as pl

from assets.raw_checks import contract_result, freshness_result, raw_check_specs, unique_keys_result
from assets.reference import providers, sites
from pipelines.ingest import ingest_partition
from pipelines.landing import list_folder
from pipelines.metadata import preview
from pipelines.partitions import daily_partitions, single_run_backfill
from pipelines.resources import FeedFilesResource, WarehouseResource
from pipelines.warehouse import ensure_schema, replace_partition, sql
from schemas.canonical import FeedSpec, Reference
from schemas.registry import FeedConfig, load_feed_configs

Contract = Callable[[Reference, date], pa.DataFrameSchema]


def feed_configs(spec: FeedSpec, feeds_dir: str) -> list[FeedConfig]:
    """Provider layouts for a feed, each checked against the feed's canonical schema."""
    configs = load_feed_configs(spec.feed, feeds_dir)
    for config in configs:
        spec.check_mapping(set(config.columns), config.config_path)
    return configs


def build_raw_feed_asset(spec: FeedSpec, contract: Contract, group_name: str, description: str) -> dg.AssetsDefinition:
    """The partitioned asset writing raw.<feed>, ops.source_files and ops.quarantine for each day."""
    feed = spec.feed
    key = dg.AssetKey(["raw", feed])

    @dg.asset(
        key=key,
        description=description,
        deps=[sites, providers],
        partitions_def=daily_partitions,
        backfill_policy=single_run_backfill,
        kinds={"duckdb", "polars", "pandera"},
        group_name=group_name,
        pool="duckdb_warehouse",
        check_specs=[
            dg.AssetCheckSpec(
                "rows_in_equal_loaded_plus_quarantined", asset=key, blocking=True,
                description="Every source row is either loaded or quarantined: nothing is lost.",
            ),
            # Not blocking: the other providers' rows are good and the marts should show them.
            dg.AssetCheckSpec(
                "every_landed_file_readable", asset=key,
                description="Every landed file could be read with its provider's layout (else ops.rejected_files names it).",
            ),
            *raw_check_specs(key),
        ],
    )
    def _raw_feed(context: dg.AssetExecutionContext, warehouse: WarehouseResource, feed_files: FeedFilesResource) -> dg.MaterializeResult:
        configs = feed_configs(spec, feed_files.feeds_dir)
        listed = {}
        for config in configs:
            listing = list_folder(config, feed_files.landing)
            listed[config.provider_code] = listing.by_day
            if listing.unrecognised:
                context.log.warning(f"{config.provider_code}: files in {config.landing_dir} not named as the layout expects, "
                                    f"not loaded: {listing.unrecognised}")
        days = [date.fromisoformat(k) for k in context.partition_keys]
        files_seen: list[pl.DataFrame] = []
        quarantined_seen: list[pl.DataFrame] = []
        rejected_seen: list[pl.DataFrame] = []
        duplicates_seen: list[list[dict]] = []
        seconds: Counter = Counter()
        with warehouse.get_connection() as conn:
            ensure_schema(conn)
            reference = Reference(
                sites=[r[0] for r in conn.execute("select site_code from ref.sites").fetchall()],
                providers=[r[0] for r in conn.execute("select provider_code from ref.providers").fetchall()],
            )
            for day in days:
                batch = ingest_partition(configs, spec, feed_files.landing, day, lambda d: contract(reference, d), listed)
                seconds.update(batch.seconds)
                loaded, quarantined, files = batch.frames()
                # A provider whose file was rejected keeps its previous rows for the day.
                where = "partition_date = $partition_date" + _except_providers(batch.failed_providers)
                write_started = time.perf_counter()
                replace_partition(
                    conn, day,
                    deletes=[(f"raw.{feed}", where), ("ops.source_files", f"feed = '{feed}' and {where}"),
                             ("ops.quarantine", f"feed = '{feed}' and {where}"),
                             ("ops.rejected_files", f"feed = '{feed}' and partition_date = $partition_date"),
                             ("ops.duplicate_files", f"feed = '{feed}' and partition_date = $partition_date")],
                    inserts=[(f"raw.{feed}", loaded), ("ops.source_files", files), ("ops.quarantine", quarantined),
                             ("ops.rejected_files", batch.rejected_frame()), ("ops.duplicate_files", batch.duplicates_frame())],
                )
                seconds["write"] += time.perf_counter() - write_started
                for copy in batch.duplicates:
                    context.log.warning(
                        f"feed {feed}, provider {copy['provider_code']}, file {copy['file_name']} is byte-identical to "
                        f"{copy['duplicate_of']} (sha256 {copy['sha256'][:12]}…): recorded in ops.duplicate_files, not loaded again."
                    )
                for record in files.iter_rows(named=True):
                    if record["rows_read"] == 0:
                        context.log.warning(f"feed {feed}, provider {record['provider_code']}, file {record['file_name']}: "
                                            "header only, no rows; earlier files for the day still count.")
                    if record["unexpected_columns"]:
                        context.log.warning(f"feed {feed}, provider {record['provider_code']}, file {record['file_name']}: "
                                            f"columns the layout does not map, ignored: {record['unexpected_columns']}")
                files_seen.append(files)
                quarantined_seen.append(quarantined)
                rejected_seen.append(batch.rejected_frame())
                duplicates_seen.append(batch.duplicates)
                for rejection in batch.rejected:
                    context.log.error(
                        f"feed {feed}, provider {rejection['provider_code']}, file {rejection['file_name']} rejected: "
                        f"{rejection['reason']}. {rejection['provider_code']}'s data for {day} was left as it was; "
                        "the other providers loaded. Fix the file or its layout and re-run the day."
                    )
                arrived = set(files["provider_code"].to_list()) | set(batch.failed_providers)
                for config in configs:
                    if config.expected_daily and config.provider_code not in arrived:
                        context.log.warning(f"{day}: no {feed} file from {config.provider_code} ({config.provider_name})")
            lost = conn.sql(
                sql("check_rows_accounted"),
                params={"feed": feed, "raw_table": f"raw.{feed}", "first": days[0], "last": days[-1]},
            ).pl()
            unique_keys = unique_keys_result(conn, spec, days[0], days[-1])
            fresh = freshness_result(conn, configs, feed_files.landing, days, feed, listed)

        files = pl.concat(files_seen)
        quarantined = pl.concat(quarantined_seen)
        rejected = pl.concat(rejected_seen)
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
                "files_rejected": rejected.height,
                "files_duplicate": sum(len(d) for d in duplicates_seen),
                **{f"seconds_{stage}": round(seconds[stage], 3) for stage in ("read", "validate", "write")},
            },
            check_results=[
                dg.AssetCheckResult(
                    check_name="rows_in_equal_loaded_plus_quarantined",
                    passed=lost.height == 0,
                    metadata={"files_checked": files.height, "files_not_adding_up": lost.height,
                              "detail": preview(lost) if lost.height else "all files add up"},
                ),
                dg.AssetCheckResult(
                    check_name="every_landed_file_readable",
                    passed=rejected.height == 0,
                    severity=dg.AssetCheckSeverity.ERROR,
                    description=None if rejected.height == 0 else "Rejected: " + "; ".join(
                        f"{r['provider_code']} {r['file_name']} ({r['reason']})" for r in rejected.iter_rows(named=True)
                    ),
                    metadata={"files_rejected": rejected.height,
                              "providers_failed": ", ".join(sorted(set(rejected["provider_code"]))) or "none",
                              "detail": preview(rejected.select("partition_date", "provider_code", "file_name", "reason"))
                              if rejected.height else "every file was read"},
                ),
                unique_keys,
                contract_result(files, quarantined),
                fresh,
            ],
        )

    return _raw_feed


def _except_providers(codes: list[str]) -> str:
    if not codes:
        return ""
    quoted = ", ".join("'" + code.replace("'", "''") + "'" for code in codes)
    return f" and provider_code not in ({quoted})"
