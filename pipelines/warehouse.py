"""The warehouse: where it is, the one way to open it, its static SQL files, schema set-up and partition writes."""

from __future__ import annotations

import hashlib
import logging
import os
import re
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from functools import cache
from pathlib import Path

import duckdb
import polars as pl

from pipelines import REPO_ROOT
from schemas import catalogue

SQL_DIR = REPO_ROOT / "sql"
DEFAULT_WAREHOUSE = "warehouse/uec.duckdb"
# Order matters: views are created after the tables they read.
SCHEMA_FILES = catalogue.schema_files()


def warehouse_path() -> str:
    """UEC_WAREHOUSE, or warehouse/uec.duckdb under the repo."""
    return os.environ.get("UEC_WAREHOUSE") or str(REPO_ROOT / DEFAULT_WAREHOUSE)


def is_lock_conflict(exc: BaseException) -> bool:
    """True for DuckDB's error when another process holds the file."""
    return isinstance(exc, duckdb.IOException) and "lock" in str(exc).lower()


def wait_while_locked(attempt, what: str, timeout_seconds: float = 1800, on_wait=None):
    """Return attempt(), retrying while another process holds the DuckDB file (DuckDB allows one writer)."""
    deadline = time.monotonic() + timeout_seconds
    delay, told = 0.2, False
    while True:
        try:
            return attempt()
        except duckdb.IOException as exc:
            if not is_lock_conflict(exc) or time.monotonic() + delay > deadline:
                raise
            if not told and on_wait:
                on_wait(
                    f"The warehouse {what} is in use by another run; waiting for it (up to {timeout_seconds:.0f} s)."
                )
                told = True
            time.sleep(delay)
            delay = min(delay * 2, 5.0)


def connect(
    database: str | None = None,
    read_only: bool = False,
    timeout_seconds: float = 1800,
    config: dict | None = None,
    on_wait=None,
) -> duckdb.DuckDBPyConnection:
    """Open the warehouse file (default UEC_WAREHOUSE), waiting while another process writes to it.

    Every reader and writer opens it here, so each gets the same settings and the same patience with a busy file.
    """
    database = database or warehouse_path()
    if not read_only:
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    settings = {**duckdb_settings(), **(config or {})}
    return wait_while_locked(
        lambda: duckdb.connect(database, read_only=read_only, config=settings),
        database,
        timeout_seconds,
        on_wait or logging.getLogger("uec.warehouse").warning,
    )


@cache
def _text(name: str) -> str:
    return (SQL_DIR / f"{name.removesuffix('.sql')}.sql").read_text(encoding="utf-8")


def sql(name: str, **names: str | Sequence[str]) -> str:
    """The text of sql/<name>.sql, each {placeholder} filled with a quoted table or column name (or list of them).

    Values always travel as named parameters ($name); only identifiers are templated, taken from catalogue
    records in code and checked against the identifier shape, so nothing read from a file can reach the SQL text.
    """
    text = _text(name)
    return text.format(**{k: quoted(v) for k, v in names.items()}) if names else text


def quoted(names: str | Sequence[str]) -> str:
    """Table or column names as quoted SQL identifiers, refused unless shaped like a catalogue name."""
    parts = [names] if isinstance(names, str) else list(names)
    bad = [p for p in parts if not catalogue.IDENTIFIER.fullmatch(p)]
    if bad or not parts:
        raise ValueError(f"not a table or column name from the catalogue: {bad or names!r}")
    return ", ".join(".".join(f'"{piece}"' for piece in p.split(".")) for p in parts)


def ensure_schema(conn: duckdb.DuckDBPyConnection) -> None:
    """Create every schema, table and view that does not exist yet (nothing to do when the SQL is unchanged)."""
    # Every asset calls this; re-creating the views and macros each time cost ~160 ms a call, so the
    # warehouse remembers the digest of the schema SQL it was last built with.
    digest = hashlib.sha256("".join(sql(name) for name in SCHEMA_FILES).encode()).hexdigest()
    built = conn.sql(
        "select 1 from information_schema.tables where table_schema = 'ops' and table_name = 'schema_version'"
    ).fetchall()
    if built and conn.sql("select 1 from ops.schema_version where sha256 = $d", params={"d": digest}).fetchall():
        return
    with transaction(conn):
        for name in SCHEMA_FILES:
            conn.execute(sql(name))
        conn.execute(
            "create or replace table ops.schema_version as select $d as sha256, now() as built_at", {"d": digest}
        )


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
        conn.execute(f"insert into {quoted(table)} by name select * from _incoming")
    finally:
        conn.unregister("_incoming")


def replace_partition(
    conn: duckdb.DuckDBPyConnection,
    day: date,
    deletes: list[tuple[str, str]],
    inserts: list[tuple[str, pl.DataFrame]] = (),
    sql_inserts: list[str] = (),
    params: dict | None = None,
) -> None:
    """Delete one day's rows and write them anew in one transaction, so a re-run is idempotent.

    Each delete is (table, condition); conditions and sql/<name>.sql inserts read $partition_date and any
    of `params` they name.
    """
    values = {"partition_date": day, **(params or {})}
    with transaction(conn):
        for table, where in deletes:
            statement = f"delete from {quoted(table)} where {where}"
            conn.execute(statement, _used(statement, values))
        for table, frame in inserts:
            insert_frame(conn, table, frame)
        for name in sql_inserts:
            conn.execute(sql(name), _used(sql(name), values))


def _used(statement: str, values: dict) -> dict:
    # DuckDB refuses a named parameter the statement does not use.
    return {k: v for k, v in values.items() if re.search(rf"\${k}\b", statement)}
