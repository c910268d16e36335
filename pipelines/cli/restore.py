"""`uec restore`: put a `uec backup` copy back in place of the warehouse, checked first, in one step."""

from __future__ import annotations

import fcntl
import os
import re
import shutil
from collections.abc import Callable
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb

from pipelines.storage.warehouse import (
    InfrastructureFault,
    WarehouseDamaged,
    check_openable,
    connect,
    plain_fault,
    sql,
    warehouse_path,
)
from schemas.clock import LONDON

Print = Callable[[str], None]


class InUse(Exception):
    """Another process has the warehouse file open."""


def expected_schemas() -> set[str]:
    """The schemas every warehouse has: those warehouse_schema.sql creates."""
    return set(re.findall(r"create schema if not exists (\w+)", sql("warehouse_schema"), flags=re.IGNORECASE))


def check_backup(path: Path) -> date | None:
    """Raise WarehouseDamaged unless the file opens, holds the warehouse's schemas and reads back whole.

    Returns the last day it holds data for (None when it holds none).
    """
    with connect(str(path), read_only=True, timeout_seconds=60) as conn:
        schemas = {row[0] for row in conn.sql("select schema_name from duckdb_schemas()").fetchall()}
        missing = expected_schemas() - schemas
        tables = conn.sql("select schema_name, table_name from duckdb_tables() order by all").fetchall()
        if missing or ("ops", "source_files") not in tables:
            raise WarehouseDamaged(
                str(path),
                f"it is a DuckDB file but not a warehouse: schemas missing {sorted(missing)}"
                if missing
                else "it is a DuckDB file but has no ops.source_files table, so it is not a warehouse",
            )
        # Opening reads only the catalogue. Hashing every row of every table makes DuckDB read every block and
        # verify its checksum, so a backup that was overwritten or cut short is refused now, not after the swap.
        for schema, table in tables:
            conn.sql(f'select bit_xor(hash(t)) from "{schema}"."{table}" t').fetchall()
        return conn.sql("select max(partition_date) from ops.source_files").fetchall()[0][0]


@contextmanager
def _held_alone(path: Path):
    """Hold the file's lock while we swap it, refusing (InUse) if any process has it open through DuckDB."""
    if not path.exists():
        yield
        return
    # DuckDB takes a POSIX record lock on the whole file (shared to read, exclusive to write), so an exclusive
    # lock that cannot be had means a run, a backup or someone's query has it open right now.
    with open(path, "r+b") as handle:
        try:
            fcntl.lockf(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            raise InUse(str(path)) from exc
        try:
            yield
        finally:
            fcntl.lockf(handle, fcntl.LOCK_UN)


def _damaged(path: Path) -> bool:
    if not path.is_file():
        return False
    try:
        connect(str(path), read_only=True, timeout_seconds=0).close()
    except InfrastructureFault:
        return True
    except duckdb.Error as exc:
        return plain_fault(exc, str(path)) is not None
    return False


def restore(backup_file: Path, out: Print = print, now: datetime | None = None) -> int:
    """Check the backup, keep the current file aside, and put the backup in its place; exit status 0, 1 or 2."""
    live = Path(warehouse_path())
    if not backup_file.is_file():
        out(f"{backup_file} is not a file: give the backup to restore, e.g. backups/uec-YYYYMMDD-HHMM.duckdb.")
        return 2
    if backup_file.resolve() == live.resolve():
        out(f"{backup_file} is the warehouse itself: give a backup file.")
        return 2
    try:
        last_day = check_backup(backup_file)
    except (InfrastructureFault, duckdb.Error) as exc:
        fault = plain_fault(exc, str(backup_file))
        reason = fault.reason if isinstance(fault, WarehouseDamaged) else str(fault or exc)
        out(f"Not restored: the backup {backup_file} cannot be used ({reason}). The warehouse was not touched.")
        return 1
    stamp = (now or datetime.now(LONDON)).strftime("%Y%m%d-%H%M%S")
    kept = live.with_name(f"{live.name}.{'damaged' if _damaged(live) else 'replaced'}-{stamp}")
    live.parent.mkdir(parents=True, exist_ok=True)
    # Copied beside the warehouse first (same disk), so the last step is a rename: whoever opens the warehouse
    # sees the old file or the whole backup, never a half-copied one, and never no file (which would start afresh).
    incoming = live.with_name(f"{live.name}.restoring")
    try:
        shutil.copyfile(backup_file, incoming)
        with open(incoming, "rb") as handle:
            os.fsync(handle.fileno())
        check_openable(str(incoming))  # the whole length arrived (the backup itself was read in full above)
        with _held_alone(live):
            if live.exists():
                # A hard link keeps the old bytes under the new name while the warehouse name still points at them.
                try:
                    os.link(live, kept)
                except OSError:  # a file system without hard links
                    shutil.copy2(live, kept)
            wal = Path(f"{live}.wal")
            if wal.exists():
                # The old file's write-ahead log would be replayed into the backup on the next open.
                os.replace(wal, Path(f"{kept}.wal"))
            os.replace(incoming, live)
    except InUse:
        incoming.unlink(missing_ok=True)
        out(
            f"Not restored: {live} is open in another process (a run, a backup or a query). Wait for it to finish, "
            "or stop it (the UI's Runs page), then run the same command again. Nothing was changed."
        )
        return 1
    except BaseException:
        incoming.unlink(missing_ok=True)
        raise
    out(f"Restored {live} from {backup_file}.")
    if kept.exists():
        out(f"The file it replaced is kept as {kept}; delete it once you are satisfied.")
    yesterday = (now or datetime.now(LONDON)).date() - timedelta(days=1)
    if last_day and last_day < yesterday:
        out(
            f"The backup holds data up to {last_day}. Reload the days since from the landing area with "
            f"`uec refresh --from {last_day + timedelta(days=1)} --to {yesterday}`."
        )
    return 0
