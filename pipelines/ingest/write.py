"""Write one day of a feed to the warehouse, and queue the mart days outside the run that its records touch."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import duckdb
import polars as pl

from pipelines.ingest.batch import PartitionBatch
from pipelines.storage.warehouse import replace_partition, sql
from schemas import catalogue
from schemas.catalogue import Feed


def marts_to_rebuild(
    conn: duckdb.DuckDBPyConnection,
    feed: Feed,
    day: date,
    loaded: pl.DataFrame,
    run_days: set[date],
    partition_days: Callable[[], tuple[date, date]],
) -> pl.DataFrame:
    """Mart days outside this run whose records the day's old or new rows name (docs/domain.md §7.1), to rebuild next.

    `partition_days`: the first and last days with a partition, asked for each day as a long run may pass midnight.
    """
    marts = [m.table for m in catalogue.daily_marts() if feed.name in m.feeds]
    touched: set[date] = set()
    if feed.identity and marts:
        names = feed.identity.names(feed.name)
        columns = ["provider_code", *feed.identity.record_id, names["placed_at"]]
        incoming = loaded.select(columns) if loaded.height else pl.DataFrame(schema={c: pl.Utf8 for c in columns})
        conn.register("_incoming", incoming.with_columns(pl.col(names["placed_at"]).cast(pl.Datetime("us"))).to_arrow())
        try:
            query = sql(catalogue.DAYS_TOUCHED_SQL, **{k: names[k] for k in ("raw_table", "record_id", "placed_at")})
            touched = {row[0] for row in conn.execute(query, {"partition_date": day}).fetchall()}
        finally:
            conn.unregister("_incoming")
    # Days outside the partitions cannot be rebuilt; the run's own days are rebuilt by its mart step.
    first, last = partition_days()
    extra = sorted(d for d in touched - run_days if first <= d <= last)
    return pl.DataFrame(
        [{"mart": m, "day": d, "feed": feed.name, "partition_date": day} for m in marts for d in extra],
        schema=catalogue.table("ops.marts_to_rebuild").polars_schema(),
    )


def write_feed_day(
    conn: duckdb.DuckDBPyConnection,
    entry: Feed,
    day: date,
    batch: PartitionBatch,
    run_days: set[date],
    partition_days: Callable[[], tuple[date, date]],
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Replace one day of a feed with the batch (delete-then-insert, one transaction); the frames written."""
    loaded, quarantined, files = batch.frames()
    where = "partition_date = $partition_date and not list_contains($kept::varchar[], provider_code)"
    pending = marts_to_rebuild(conn, entry, day, loaded, run_days, partition_days)
    replace_partition(
        conn,
        day,
        deletes=[
            (entry.table, where),
            ("ops.source_files", f"feed = $feed and {where}"),
            ("ops.quarantine", f"feed = $feed and {where}"),
            ("ops.rejected_files", "feed = $feed and partition_date = $partition_date"),
            ("ops.duplicate_files", "feed = $feed and partition_date = $partition_date"),
            ("ops.duplicate_rows", f"feed = $feed and {where}"),
        ],
        inserts=[
            (entry.table, loaded),
            ("ops.source_files", files),
            ("ops.quarantine", quarantined),
            ("ops.rejected_files", batch.rejected_frame()),
            ("ops.duplicate_files", batch.duplicates_frame()),
            ("ops.duplicate_rows", batch.duplicate_rows_frame()),
            ("ops.marts_to_rebuild", pending),
        ],
        # A provider whose file was rejected keeps its previous rows for the day.
        params={"feed": entry.name, "kept": list(batch.failed_providers)},
    )
    return loaded, quarantined, files
