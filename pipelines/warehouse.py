"""Warehouse helpers: static SQL files, schema set-up and partition writes."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from functools import cache
from pathlib import Path

import duckdb
import polars as pl

SQL_DIR = Path(__file__).resolve().parents[1] / "sql"
# Order matters: views are created after the tables they read.
SCHEMA_FILES = (
    "warehouse_schema.sql", "reporting_periods.sql", "ed_attendances_current.sql", "handovers_current.sql",
    "cnh_cases_current.sql", "opel_declared.sql", "ed_four_hour_rollup.sql", "handover_rollup.sql",
    "cnh_deflection_rollup.sql",
)


@cache
def sql(name: str) -> str:
    """The text of sql/<name>.sql."""
    return (SQL_DIR / f"{name.removesuffix('.sql')}.sql").read_text(encoding="utf-8")


def ensure_schema(conn: duckdb.DuckDBPyConnection) -> None:
    """Create every schema, table and view that does not exist yet (nothing to do when the SQL is unchanged)."""
    # Every asset calls this; re-creating the views and macros each time cost ~160 ms a call, so the
    # warehouse remembers the digest of the schema SQL it was last built with.
    digest = hashlib.sha256("".join(sql(name) for name in SCHEMA_FILES).encode()).hexdigest()
    built = conn.sql("select 1 from information_schema.tables where table_schema = 'ops' and table_name = 'schema_version'").fetchall()
    if built and conn.sql("select 1 from ops.schema_version where sha256 = $d", params={"d": digest}).fetchall():
        return
    with transaction(conn):
        for name in SCHEMA_FILES:
            conn.execute(sql(name))
        conn.execute("create or replace table ops.schema_version as select $d as sha256, now() as built_at", {"d": digest})


@contextmanager
def transaction(conn: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """All of the block's statements or none of them: rolled back on any error, a kill included."""
    conn.execute("begin transaction")
    try:
        yield
        conn.execute("commit")
    except BaseException:
        conn.execute("rollback")
        raise


def duckdb_settings() -> dict[str, str]:
    """DuckDB settings from the environment: UEC_DUCKDB_MEMORY_LIMIT (e.g. 3GB) caps DuckDB's memory.

    DuckDB's own default is 80% of the machine's RAM, and it keeps that much of a large warehouse
    cached: a year of England volume peaked at 6.4 GiB on a 24 GiB machine. Beyond the cap it spills
    to disk instead.
    """
    limit = os.environ.get("UEC_DUCKDB_MEMORY_LIMIT")
    return {"memory_limit": limit} if limit else {}


def insert_frame(conn: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame) -> None:
    """Append a polars frame, matching columns by name so column order never matters."""
    if frame.height == 0:
        return
    conn.register("_incoming", frame.to_arrow())
    try:
        conn.execute(f"insert into {table} by name select * from _incoming")
    finally:
        conn.unregister("_incoming")


def replace_partition(
    conn: duckdb.DuckDBPyConnection,
    day: date,
    deletes: list[tuple[str, str]],
    inserts: list[tuple[str, pl.DataFrame]] = (),
    sql_inserts: list[str] = (),
) -> None:
    """Delete one day's rows and write them anew in one transaction, so a re-run is idempotent."""
    with transaction(conn):
        for table, where in deletes:
            conn.execute(f"delete from {table} where {where}", {"partition_date": day})
        for table, frame in inserts:
            insert_frame(conn, table, frame)
        for name in sql_inserts:
            conn.execute(sql(name), {"partition_date": day})
