"""The warehouse: where it is, the one way to open it, its static SQL files, schema set-up and partition writes."""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import re
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, timedelta
from functools import cache
from pathlib import Path

import duckdb
import polars as pl

from pipelines import REPO_ROOT
from pipelines.settings import settings as current_settings
from pipelines.storage import schema_template
from schemas import catalogue
from schemas.defaults import IDENTITY_WINDOW_HOURS

SQL_DIR = REPO_ROOT / "sql"


def warehouse_path() -> str:
    """UEC_WAREHOUSE, or warehouse/uec.duckdb under the repo."""
    return current_settings().warehouse


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

    Every reader and writer opens it here, so each gets the same settings and the same patience with a busy file,
    and none of them writes to a damaged file: WarehouseDamaged is raised before the connection is handed back.
    """
    database = database or warehouse_path()
    if not read_only:
        Path(database).parent.mkdir(parents=True, exist_ok=True)
        if Path(f"{database}.wal").is_file():
            # Closing a read-write connection checkpoints the replayed WAL into the file, even when we close it
            # only because the file is damaged (seen on DuckDB 2.0): check read-only first, which never writes.
            try:
                check_openable(database, timeout_seconds, on_wait)
            except duckdb.ConnectionException:
                pass  # open already in this process (DuckDB shares one instance per file): loaded and checked then
    settings = {**duckdb_settings(), **(config or {})}
    try:
        conn = wait_while_locked(
            lambda: duckdb.connect(database, read_only=read_only, config=settings),
            database,
            timeout_seconds,
            on_wait or logging.getLogger("uec.warehouse").warning,
        )
    except duckdb.Error as exc:
        if (problem := plain_fault(exc, database, on_open=True)) is None:
            raise
        # Raised without `from`: DuckDB's error stays attached (as the context) for the log, while whatever reports
        # the innermost cause of a failure (`uec refresh`, following Dagster's causes) stops at the plain message.
        raise problem  # noqa: B904
    try:
        _check_complete(conn, database)
    except BaseException:
        conn.close()
        raise
    return conn


def check_openable(database: str | None = None, timeout_seconds: float = 1800, on_wait=None) -> None:
    """Raise WarehouseDamaged if the warehouse file exists but DuckDB cannot use it; opens it read-only."""
    database = database or warehouse_path()
    if Path(database).is_file():
        connect(database, read_only=True, timeout_seconds=timeout_seconds, on_wait=on_wait).close()


# DuckDB starts a database file with three 4 KiB headers (one main header, two alternating database headers),
# followed by its blocks, block_size bytes each, numbered from 0.
_HEADERS_BYTES = 3 * 4096


def _check_complete(conn: duckdb.DuckDBPyConnection, database: str) -> None:
    # A file cut short (a copy that stopped, a full disk while copying, a restore from a torn copy) still opens:
    # DuckDB reads only the headers and the catalogue, and fails later on the first table whose blocks are gone, by
    # which time a run has written to it. So check the file still reaches every block in use.
    if database == ":memory:" or not Path(database).is_file():
        return
    [(block_size, total, used)] = conn.sql(
        "select block_size, total_blocks, used_blocks from pragma_database_size() "
        "where database_name = current_database()"
    ).fetchall()
    actual = Path(database).stat().st_size
    on_disk = max(actual - _HEADERS_BYTES, 0) // block_size
    if on_disk >= total:
        return  # the usual case: every block DuckDB has ever allocated is there
    # DuckDB trims free blocks off the end of the file but still counts them in total_blocks, so a healthy file can
    # be shorter than that (seen after re-running a day). It must still reach its highest block in use, which is at
    # least used_blocks - 1, and at least the highest one the tables and the catalogue name.
    needed = max(used, _highest_block_named(conn) + 1)
    if on_disk < needed:
        raise WarehouseDamaged(
            database,
            f"it is {actual:,} bytes long but its data reaches byte {_HEADERS_BYTES + needed * block_size:,}, so it "
            "has been cut short",
        )


def _highest_block_named(conn: duckdb.DuckDBPyConnection) -> int:
    """The highest block id that the catalogue or a table segment names (-1 if none); metadata only, no data read."""
    highest = conn.sql("select coalesce(max(block_id), -1) from pragma_metadata_info()").fetchall()[0][0]
    tables = conn.sql(
        "select schema_name, table_name from duckdb_tables() where database_name = current_database()"
    ).fetchall()
    for schema, table in tables:
        [(top,)] = conn.sql(
            "select coalesce(max(greatest(block_id, coalesce(list_max(additional_block_ids), -1))), -1) "
            "from pragma_storage_info($t) where persistent",
            params={"t": f'"{schema}"."{table}"'},
        ).fetchall()
        highest = max(highest, top)
    return highest


class InfrastructureFault(Exception):
    """A fault of the machine, not of the data, said in plain words: what happened, to which file, what to do."""


class WarehouseDamaged(InfrastructureFault):
    """The warehouse file exists but DuckDB cannot use it as a database: truncated, overwritten, or not DuckDB's."""

    def __init__(self, path: str, reason: str, on_open: bool = True):
        self.path, self.reason = str(path), reason
        newest = newest_backup(self.path)
        backup = (
            f"`uec restore {newest}` (the newest backup)"
            if newest
            else f"`uec restore BACKUP_FILE` (backups are in {backups_dir(self.path)} unless written elsewhere)"
        )
        super().__init__(
            f"The warehouse file {self.path} is damaged: {reason}.\n"
            + (
                "Nothing was written to it.\n"
                if on_open
                else "What was under way when DuckDB met the damage was rolled back; stop using the file.\n"
            )
            + f"To recover, restore a backup with {backup},\n"
            "then reload the days since that backup with `uec refresh --from D --to D`\n"
            '(the steps are in docs/operations.md, "Restoring a damaged warehouse").'
        )


class DiskFull(InfrastructureFault):
    """A write failed because the disk is full; the failed write was rolled back."""

    def __init__(self, path: str, database: str | None = None):
        self.path = str(path)
        self.mount = _mount_point(self.path)
        ours = database and self.path.startswith(str(database))
        consequence = (
            f"The warehouse {database} is as it was before that write: it was rolled back."
            if ours
            else f"{self.path} may be incomplete."
        )
        super().__init__(
            f"No space left on {self.mount} (the disk holding {self.path}). {consequence} Free some space on that "
            "disk, then run the same command again."
        )


# DuckDB's words for a file it cannot read as a database (checked on DuckDB 2.0 against truncated, overwritten
# and foreign files; see tests/test_infrastructure.py).
_DAMAGE = {
    "not a valid DuckDB database file": "it is not a DuckDB database file (overwritten, or never one)",
    "Could not read enough bytes from file": "it ends before its data does: it has been cut short",
    "Corrupt database file": "part of it has been overwritten (a block fails its checksum)",
}
_QUOTED_FILE = re.compile(r'file "([^"]+)"')


def plain_fault(exc: BaseException, database: str | None = None, on_open: bool = False) -> InfrastructureFault | None:
    """The plain-words fault behind an error from DuckDB or the OS (damaged file, full disk), or None.

    on_open: the error came from opening the file, so nothing can have been written to it.
    """
    if isinstance(exc, InfrastructureFault):
        return exc
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return DiskFull(exc.filename or database or os.getcwd(), database)
    if not isinstance(exc, duckdb.Error):
        return None
    text = str(exc)
    named = _QUOTED_FILE.search(text)
    path = named.group(1) if named else database
    if "No space left on device" in text:
        return DiskFull(path or os.getcwd(), database)
    reason = next((plain for words, plain in _DAMAGE.items() if words in text), None)
    return WarehouseDamaged(path, reason, on_open) if reason and path else None


def _mount_point(path: str) -> str:
    place = Path(path).resolve().parent
    while not os.path.ismount(place) and place != place.parent:
        place = place.parent
    return str(place)


def backups_dir(database: str | None = None) -> Path:
    """backups/ beside the warehouse's folder, where `uec backup` writes by default."""
    return Path(database or warehouse_path()).resolve().parent.parent / "backups"


def newest_backup(database: str | None = None) -> Path | None:
    """The newest complete `uec backup` file in the default folder (backup names sort by time), or None."""
    found = sorted(backups_dir(database).glob("uec-*.duckdb"))
    return found[-1] if found else None


@cache
def _text(name: str) -> str:
    return (SQL_DIR / f"{name.removesuffix('.sql')}.sql").read_text(encoding="utf-8")


def sql(name: str, **names: str | Sequence[str] | Word | Number) -> str:
    """The text of sql/<name>.sql, each {placeholder} filled with a quoted table or column name (or list of them).

    Values always travel as named parameters ($name); only identifiers are templated, taken from catalogue
    records in code and checked against the identifier shape, so nothing read from a file can reach the SQL text.
    """
    text = _text(name)
    return (
        text.format(**{k: v.sql if isinstance(v, (Word, Number)) else quoted(v) for k, v in names.items()})
        if names
        else text
    )


class Word(str):
    """A plain word from the catalogue (a record's noun) written into SQL text as a string literal."""

    @property
    def sql(self) -> str:
        if not re.fullmatch(r"[a-z_]+( [a-z_]+)*", self):
            raise ValueError(f"not a plain lower-case word from the catalogue: {self!r}")
        return f"'{self}'"


class Number(float):
    """A constant from schemas/defaults.py written into a view's SQL text, where DuckDB takes no parameter."""

    @property
    def sql(self) -> str:
        return str(int(self)) if self.is_integer() else repr(float(self))


def quoted(names: str | Sequence[str]) -> str:
    """Table or column names as quoted SQL identifiers, refused unless shaped like a catalogue name."""
    parts = [names] if isinstance(names, str) else list(names)
    bad = [p for p in parts if not catalogue.IDENTIFIER.fullmatch(p)]
    if bad or not parts:
        raise ValueError(f"not a table or column name from the catalogue: {bad or names!r}")
    return ", ".join(".".join(f'"{piece}"' for piece in p.split(".")) for p in parts)


@cache
def schema_statements() -> tuple[str, ...]:
    """The SQL that builds the warehouse, in order: views and macros come after the tables they read."""
    schemas, *preamble = catalogue.SCHEMA_PREAMBLE
    texts = [sql(schemas), catalogue.tables_ddl(), *(sql(name) for name in preamble)]
    listed: dict[str, list[str]] = {"reused": [], "withdrawn": [], "resent_with_fault": []}
    for feed in catalogue.FEEDS:
        if feed.identity:
            names = feed.identity.names(feed.name)
            words = {"feed": feed.name, "noun": feed.identity.noun, "placed": feed.identity.placed}
            window = Number(IDENTITY_WINDOW_HOURS)
            texts.append(
                sql(catalogue.IDENTITY_SQL, **names, **{k: Word(v) for k, v in words.items()}, window_hours=window)
            )
            for kind, selects in listed.items():
                selects.append(f"select * from {quoted(names[kind])}")
        texts += [sql(view) for view in feed.views]
    # One place to list, whatever the feed, every version not counted because its id was reused, every one a
    # full re-send withdrew, and every re-sent row that failed while the earlier version stands.
    for view, kind in (
        ("ops.record_ids_reused", "reused"),
        ("ops.records_withdrawn", "withdrawn"),
        ("ops.records_resent_with_fault", "resent_with_fault"),
    ):
        texts.append(f"create or replace view {view} as\n" + "\nunion all by name\n".join(listed[kind]) + ";")
    texts += [sql(rollup.name) for rollup in catalogue.rollups()]
    texts += [sql(rollup.name) for rollup in catalogue.NATIONAL_ROLLUPS]
    texts += [sql(peer.table) for peer in catalogue.PEERS]
    # Last: it reads the daily marts, the national tables and the tolerances.
    texts.append(sql(catalogue.RECONCILIATION.table))
    return tuple(texts)


def comment_statements(comments=None, views: set[str] | None = None) -> list[str]:
    """COMMENT ON statements for (schema, table, column or None, description) rows, by default the catalogue's
    (catalogue.comments()); `views` names the relations (schema.table) that are views, by default the catalogue's.

    A reader database of views over published files can pass its own rows and views to comment them the same way.
    """
    if views is None:
        views = {r.name for r in catalogue.relations() if r.kind == "view"}
    statements = []
    for schema, table, column, text in catalogue.comments() if comments is None else comments:
        relation = quoted(f"{schema}.{table}")
        kind = "view" if f"{schema}.{table}" in views else "table"
        target = f"column {relation}.{quoted(column)}" if column else f"{kind} {relation}"
        statements.append(f"comment on {target} is {literal(text)}")
    return statements


def literal(text: str | Path) -> str:
    """A string as a SQL literal (quotes doubled), where DuckDB takes no parameter: the catalogue's descriptions in
    COMMENT ON, paths and settings in COPY, ATTACH and SET. Never for data values."""
    return "'" + str(text).replace("'", "''") + "'"


@cache
def _schema_script() -> tuple[tuple[str, ...], str, str]:
    """The schema's statements, its comments and the digest of both (worked out once a process: every step asks)."""
    statements = schema_statements()
    # The data dictionary as comments, so any SQL client shows it; part of the digest, so a changed description
    # is applied to an existing warehouse.
    comments = ";\n".join(comment_statements()) + ";"
    return statements, comments, hashlib.sha256("".join((*statements, comments)).encode()).hexdigest()


def ensure_schema(conn: duckdb.DuckDBPyConnection) -> None:
    """Create every schema, table and view that does not exist yet (nothing to do when the SQL is unchanged)."""
    # Every asset calls this; re-creating the views and macros each time cost ~160 ms a call, so the
    # warehouse remembers the digest of the schema SQL it was last built with.
    _, comments, digest = _schema_script()
    built = conn.sql(
        "select 1 from information_schema.tables where table_schema = 'ops' and table_name = 'schema_version'"
    ).fetchall()
    if built and conn.sql("select 1 from ops.schema_version where sha256 = $d", params={"d": digest}).fetchall():
        return
    if not built and _is_empty(conn) and _copy_template(conn, digest):
        return
    build_whole_schema(conn)


def build_whole_schema(conn: duckdb.DuckDBPyConnection) -> None:
    """Every schema, table, view and macro with its comments, statement by statement, as one transaction."""
    _, comments, _ = _schema_script()
    with transaction(conn):
        build_schema(conn)
        # Last, once every relation (ops.schema_version too) exists.
        conn.execute(comments)


def schema_template_file() -> Path | None:
    """An empty warehouse with the schema now in force, kept in the user's cache (None where it cannot be)."""
    return schema_template.template(_schema_script()[2], build_whole_schema)


def _is_empty(conn: duckdb.DuckDBPyConnection) -> bool:
    # An older warehouse without ops.schema_version is rebuilt in place instead (its keyed marts need renaming).
    return not conn.sql(
        "select 1 from duckdb_tables() where database_name = current_database() union all "
        "select 1 from duckdb_views() where database_name = current_database() and not internal union all "
        "select 1 from duckdb_functions() where database_name = current_database() and not internal"
    ).fetchall()


def _identifier(name: str) -> str:
    # A database is named after its file, which need not be shaped like a catalogue name (quoted() refuses those).
    return '"' + name.replace('"', '""') + '"'


def _copy_template(conn: duckdb.DuckDBPyConnection, digest: str) -> bool:
    """Copy the schema template into an empty warehouse; False where there is none to copy (then it is built)."""
    template = schema_template.template(digest, build_whole_schema)
    if template is None:
        return False
    (database,) = conn.sql("select current_database()").fetchall()[0]
    try:
        conn.execute(f"attach {literal(template)} as uec_schema_template (read_only)")
    except duckdb.Error:
        schema_template.discard(template)
        return False
    try:
        with transaction(conn):
            conn.execute(f"copy from database uec_schema_template to {_identifier(database)}")
            # The copy's own build time, not the template's.
            conn.execute("update ops.schema_version set sha256 = $d, built_at = now()", {"d": digest})
    except duckdb.Error:
        schema_template.discard(template)
        return False
    finally:
        conn.execute("detach uec_schema_template")
    return True


def keyless() -> set[str]:
    """Tables declared without a primary key: an older warehouse's keyed copy (every daily mart's, before its
    key_is_unique check held the key) is rebuilt without it, rows kept, since DuckDB cannot drop a key."""
    return {t.name for t in catalogue.tables() if not t.primary_key}


def build_schema(conn: duckdb.DuckDBPyConnection) -> None:
    """Every table, view and macro, without the comments (the data dictionary's column types read this alone)."""
    statements, _, digest = _schema_script()
    keyed = [
        f"{schema}.{table}"
        for schema, table in conn.sql(
            "select schema_name, table_name from duckdb_constraints() where constraint_type = 'PRIMARY KEY'"
        ).fetchall()
        if f"{schema}.{table}" in keyless()
    ]
    for name in keyed:
        conn.execute(f"alter table {quoted(name)} rename to {quoted(name.split('.')[1] + '__keyed')}")
    for statement in statements:
        conn.execute(statement)
    for name in keyed:
        before = quoted(f"{name}__keyed")
        conn.execute(f"insert into {quoted(name)} by name select * from {before}")
        conn.execute(f"drop table {before}")
    conn.execute("create or replace table ops.schema_version as select $d as sha256, now() as built_at", {"d": digest})


@contextmanager
def transaction(conn: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """All of the block's statements or none of them: rolled back on any error, a kill included."""
    conn.execute("begin transaction")
    try:
        yield
        conn.execute("commit")
    except BaseException as exc:
        try:
            conn.execute("rollback")
        except duckdb.Error as failed:
            # A commit that fails (a full disk, for one) has already ended the transaction and DuckDB rolled it back
            # itself, so "rollback" fails with "no transaction is active". That must not replace the reason.
            exc.add_note(f"(then rollback: {failed})")
        raise


def duckdb_settings() -> dict[str, str]:
    """DuckDB settings from the environment: UEC_DUCKDB_MEMORY_LIMIT caps DuckDB's memory (2GB unless set) and
    UEC_DUCKDB_THREADS its worker threads.

    DuckDB's own default is 80% of the machine's RAM, and it keeps that much of a large warehouse
    cached: a year of England volume peaked at 16 GiB on a 24 GiB machine. Beyond the cap it spills
    to disk instead. Its default thread count is every core, which is right for one run on its own machine;
    where several processes share the cores (other services, or the test suite's three workers on two cores)
    each one's threads wait on the others', and one thread each spends less CPU for the same work.
    """
    config = current_settings()
    values = {"memory_limit": config.duckdb_memory_limit, "threads": config.duckdb_threads}
    return {setting: value for setting, value in values.items() if value}


def insert_frame(conn: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame) -> None:
    """Append a polars frame, matching columns by name so column order never matters."""
    if frame.height == 0:
        return
    conn.register("_incoming", frame.to_arrow())
    try:
        conn.execute(f"insert into {quoted(table)} by name select * from _incoming")
    finally:
        conn.unregister("_incoming")


# A range run's marts are rebuilt a month at a time: one statement's memory follows the days it judges, and a month
# of England's records fits the default memory limit where a year's might not.
MAX_RUN_DAYS = 31


def contiguous_runs(days: Iterable[date], max_days: int = MAX_RUN_DAYS) -> list[tuple[date, date]]:
    """The days as (first, last) runs of consecutive days, in order, each day once, none longer than max_days."""
    runs: list[tuple[date, date]] = []
    for day in sorted(set(days)):
        if runs and day - runs[-1][1] == timedelta(days=1) and (day - runs[-1][0]).days < max_days:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def replace_days(
    conn: duckdb.DuckDBPyConnection,
    days: Iterable[date],
    deletes: list[tuple[str, str]],
    sql_inserts: Sequence[str],
    params: dict | None = None,
) -> None:
    """Delete the days' rows and write them anew in one transaction, one statement per run of consecutive days.

    Each delete is (table, condition); conditions and sql/<name>.sql inserts read $first and $last (a run's first
    and last day) and any of `params` they name. A run of days is one statement, not one per day, because the
    record-level feeds' versions are judged once for the run rather than once for each day of it.
    """
    with transaction(conn):
        for first, last in contiguous_runs(days):
            values = {"first": first, "last": last, **(params or {})}
            for table, where in deletes:
                statement = f"delete from {quoted(table)} where {where}"
                conn.execute(statement, _used(statement, values))
            for name in sql_inserts:
                conn.execute(sql(name), _used(sql(name), values))


def _used(statement: str, values: dict) -> dict:
    # DuckDB refuses a named parameter the statement does not use.
    return {k: v for k, v in values.items() if re.search(rf"\${k}\b", statement)}
