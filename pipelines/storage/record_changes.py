"""What re-sends did to a day's records: withdrawn by a full re-send, or re-sent with a fault (earlier version kept)."""

from __future__ import annotations

from datetime import date

import duckdb
import polars as pl

from pipelines.storage.warehouse import quoted
from schemas import catalogue

COLUMNS = {
    "feed": pl.Utf8,
    "provider_code": pl.Utf8,
    "partition_date": pl.Date,
    "kind": pl.Utf8,
    "file_name": pl.Utf8,
    "records": pl.Int64,
}


def resent_feeds(conn: duckdb.DuckDBPyConnection, first: date, last: date | None = None) -> set[str]:
    """Feeds whose versions are worth judging for re-sends in the range: a withdrawal needs a provider-day that more
    than one file carried, and a failed re-sent row is a whole-record quarantine row. Most days have neither, and
    judging every version of a feed costs a window over its ids."""
    rows = conn.sql(
        "select feed from ops.source_files where partition_date between $first and $last "
        "group by feed, provider_code, partition_date having count(*) > 1 "
        "union select feed from ops.quarantine where partition_date between $first and $last "
        "and action = 'record quarantined'",
        params={"first": first, "last": last or first},
    ).fetchall()
    return {r[0] for r in rows}


def record_changes(conn: duckdb.DuckDBPyConnection, first: date, last: date | None = None) -> pl.DataFrame:
    """Per feed, provider, day and re-sent file: records it withdrew ('withdrawn') and rows of it that failed while
    the earlier version still counts ('resent_with_fault')."""
    parts = []
    resent = resent_feeds(conn, first, last)
    for feed in catalogue.FEEDS:
        if not feed.identity or feed.name not in resent:
            continue
        names = feed.identity.names(feed.name)
        parts.append(
            f"select feed, provider_code, partition_date, 'withdrawn' as kind, withdrawn_by as file_name, "
            f"count(*) as records from {quoted(names['withdrawn_in'])}($first, $last) group by all "
            f"union all select feed, provider_code, partition_date, 'resent_with_fault', file_name, count(*) "
            f"from {quoted(names['resent_with_fault_in'])}($first, $last) group by all"
        )
    if not parts:
        return pl.DataFrame(schema=COLUMNS)
    frame = conn.sql(" union all ".join(parts) + " order by all", params={"first": first, "last": last or first}).pl()
    return frame.cast(COLUMNS) if frame.height else pl.DataFrame(schema=COLUMNS)


CURRENT_COLUMNS = {"feed": pl.Utf8, "provider_code": pl.Utf8, "records_current": pl.Int64, "versions_resent": pl.Int64}


def current_records(conn: duckdb.DuckDBPyConnection, day: date) -> pl.DataFrame:
    """Per feed and provider, the records counted on the day and, apart, the earlier versions of them that re-sends
    replaced: summing every file's rows counted a re-sent attendance twice (1,346 rows for 673 attendances)."""
    parts = []
    for feed in catalogue.FEEDS:
        if not feed.identity:
            continue
        names = feed.identity.names(feed.name)
        parts.append(
            f"select '{feed.name}' as feed, provider_code, count(*) filter (where standing = 'current') as "
            f"records_current, count(*) filter (where standing = 'superseded') as versions_resent "
            f"from {quoted(names['versions'])}(near_first := $day) "
            f"where {names['placed_at']}::date = $day group by all"
        )
    frame = conn.sql(" union all ".join(parts) + " order by all", params={"day": day}).pl()
    return frame.cast(CURRENT_COLUMNS) if frame.height else pl.DataFrame(schema=CURRENT_COLUMNS)


def describe(row: dict) -> str:
    """One change in words, e.g. "5 record(s) withdrawn by the full re-send X.csv"."""
    if row["kind"] == "withdrawn":
        return f"{row['records']:,} record(s) withdrawn by the full re-send {row['file_name']} (ops.records_withdrawn)"
    return (
        f"{row['records']:,} re-sent row(s) in {row['file_name']} failed validation; the earlier version of each "
        "still counts (ops.records_resent_with_fault)"
    )
