"""What re-sends did to a day's records: withdrawn by a full re-send, or re-sent with a fault (earlier version kept)."""

from __future__ import annotations

from datetime import date

import duckdb
import polars as pl

from pipelines.warehouse import quoted
from schemas import catalogue

COLUMNS = {
    "feed": pl.Utf8,
    "provider_code": pl.Utf8,
    "partition_date": pl.Date,
    "kind": pl.Utf8,
    "file_name": pl.Utf8,
    "records": pl.Int64,
}


def record_changes(conn: duckdb.DuckDBPyConnection, first: date, last: date | None = None) -> pl.DataFrame:
    """Per feed, provider, day and re-sent file: records it withdrew ('withdrawn') and rows of it that failed while
    the earlier version still counts ('resent_with_fault')."""
    parts = []
    for feed in catalogue.FEEDS:
        if not feed.identity:
            continue
        names = feed.identity.names(feed.name)
        parts.append(
            f"select feed, provider_code, partition_date, 'withdrawn' as kind, withdrawn_by as file_name, "
            f"count(*) as records from {quoted(names['withdrawn_in'])}($first, $last) group by all "
            f"union all select feed, provider_code, partition_date, 'resent_with_fault', file_name, count(*) "
            f"from {quoted(names['resent_with_fault_in'])}($first, $last) group by all"
        )
    frame = conn.sql(" union all ".join(parts) + " order by all", params={"first": first, "last": last or first}).pl()
    return frame.cast(COLUMNS) if frame.height else pl.DataFrame(schema=COLUMNS)


def describe(row: dict) -> str:
    """One change in words, e.g. "5 record(s) withdrawn by the full re-send X.csv"."""
    if row["kind"] == "withdrawn":
        return f"{row['records']:,} record(s) withdrawn by the full re-send {row['file_name']} (ops.records_withdrawn)"
    return (
        f"{row['records']:,} re-sent row(s) in {row['file_name']} failed validation; the earlier version of each "
        "still counts (ops.records_resent_with_fault)"
    )
