"""Write a range of days of a feed to the warehouse, and queue the mart days outside the run its records touch."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import duckdb
import polars as pl

from pipelines.ingest.batch import PartitionBatch
from pipelines.storage.warehouse import insert_frame, quoted, sql, transaction
from schemas import catalogue
from schemas.catalogue import Feed


def marts_to_rebuild(
    conn: duckdb.DuckDBPyConnection,
    feed: Feed,
    loaded: pl.DataFrame,
    days: list[date],
    run_days: set[date],
    partition_days: Callable[[], tuple[date, date]],
) -> pl.DataFrame:
    """Mart days outside this run whose records the replaced days' old or new rows name (docs/domain.md §7.1), with
    the day naming each, to rebuild next.

    `loaded`: the days' new rows. `partition_days`: the first and last days with a partition, asked each time as a
    long run may pass midnight.
    """
    marts = [m.table for m in catalogue.daily_marts() if feed.name in m.feeds]
    touched: list[tuple[date, date]] = []
    if feed.identity and marts:
        names = feed.identity.names(feed.name)
        columns = ["partition_date", "provider_code", *feed.identity.record_id, names["placed_at"]]
        incoming = (
            loaded.select(columns)
            if loaded.height
            else pl.DataFrame(schema={c: pl.Date if c == "partition_date" else pl.Utf8 for c in columns})
        )
        conn.register("_incoming", incoming.with_columns(pl.col(names["placed_at"]).cast(pl.Datetime("us"))).to_arrow())
        try:
            query = sql(catalogue.DAYS_TOUCHED_SQL, **{k: names[k] for k in ("raw_table", "record_id", "placed_at")})
            touched = conn.execute(query, {"days": days}).fetchall()
        finally:
            conn.unregister("_incoming")
    # Days outside the partitions cannot be rebuilt; the run's own days are rebuilt by its mart step.
    first, last = partition_days()
    extra = sorted((by, day) for by, day in touched if day not in run_days and first <= day <= last)
    return pl.DataFrame(
        [{"mart": m, "day": day, "feed": feed.name, "partition_date": by} for m in marts for by, day in extra],
        schema=catalogue.table("ops.marts_to_rebuild").polars_schema(),
    )


def write_feed_days(
    conn: duckdb.DuckDBPyConnection,
    entry: Feed,
    batches: dict[date, PartitionBatch],
    run_days: set[date],
    partition_days: Callable[[], tuple[date, date]],
) -> dict[str, pl.DataFrame]:
    """Replace the batches' days of a feed (delete-then-insert, one transaction for them all); the frames written.

    A provider whose file for a day was rejected keeps its previous rows for that day, the other days included.
    """
    days = sorted(batches)
    written: dict[str, list[pl.DataFrame]] = {
        name: [] for name in ("loaded", "quarantined", "files", "rejected", "duplicates", "duplicate_rows")
    }
    for day in days:
        loaded, quarantined, files = batches[day].frames()
        for name, frame in zip(written, (loaded, quarantined, files, *_ops_frames(batches[day])), strict=True):
            written[name].append(frame)
    # Days without rows, and days whose optional columns came out untyped, line up by name.
    frames = {name: pl.concat(parts, how="diagonal_relaxed") for name, parts in written.items()}
    # Asked of the warehouse as it stands before any of the days is written: every mart day that writing them one at
    # a time would queue is queued, though a day written earlier may be named where a later one was.
    pending = marts_to_rebuild(conn, entry, frames["loaded"], days, run_days, partition_days)
    # One string per day and provider kept: DuckDB compares it with each row's without a join.
    kept = [f"{day} {provider}" for day in days for provider in batches[day].failed_providers]
    where = "list_contains($days::date[], partition_date) and not list_contains($kept::varchar[], {pair})".format(
        pair="strftime(partition_date, '%Y-%m-%d') || ' ' || provider_code"
    )
    on_days = "feed = $feed and list_contains($days::date[], partition_date)"
    values = {"days": days, "kept": kept, "feed": entry.name}
    with transaction(conn):
        for table, condition in (
            (entry.table, where),
            ("ops.source_files", f"feed = $feed and {where}"),
            ("ops.quarantine", f"feed = $feed and {where}"),
            ("ops.rejected_files", on_days),
            ("ops.duplicate_files", on_days),
            ("ops.duplicate_rows", f"feed = $feed and {where}"),
        ):
            # DuckDB refuses a named parameter the statement does not use.
            conn.execute(
                f"delete from {quoted(table)} where {condition}",
                {k: v for k, v in values.items() if f"${k}" in condition},
            )
        for table, name in (
            (entry.table, "loaded"),
            ("ops.source_files", "files"),
            ("ops.quarantine", "quarantined"),
            ("ops.rejected_files", "rejected"),
            ("ops.duplicate_files", "duplicates"),
            ("ops.duplicate_rows", "duplicate_rows"),
        ):
            insert_frame(conn, table, frames[name])
        insert_frame(conn, "ops.marts_to_rebuild", pending)
    return frames


def _ops_frames(batch: PartitionBatch) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    return batch.rejected_frame(), batch.duplicates_frame(), batch.duplicate_rows_frame()
