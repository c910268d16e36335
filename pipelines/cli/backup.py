"""`uec backup`: a consistent copy of the warehouse, taken while no run writes, written atomically."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import duckdb

from pipelines.storage.warehouse import backups_dir, wait_while_locked, warehouse_path
from schemas.clock import LONDON

Print = Callable[[str], None]


def default_target(now: datetime | None = None) -> Path:
    """backups/uec-YYYYMMDD-HHMM.duckdb beside the warehouse folder."""
    stamp = (now or datetime.now(LONDON)).strftime("%Y%m%d-%H%M")
    return backups_dir() / f"uec-{stamp}.duckdb"


def _relations(conn: duckdb.DuckDBPyConnection, catalog: str) -> list[tuple[str, str]]:
    return conn.sql(
        "select schema_name, table_name from duckdb_tables() where database_name = $db "
        "union all select schema_name, view_name from duckdb_views() where database_name = $db and not internal "
        "order by 1, 2",
        params={"db": catalog},
    ).fetchall()


def backup(target: Path, out: Print = print, timeout_seconds: float = 1800) -> int:
    """Copy every schema, table and view; exit status 0, or 2 when the target exists already."""
    live = warehouse_path()
    if not Path(live).exists():
        out(f"There is no warehouse at {live} to back up.")
        return 2
    if target.exists():
        out(f"{target} exists already; choose another --to, or move it away.")
        return 2
    target.parent.mkdir(parents=True, exist_ok=True)
    # Written under a temporary name and renamed at the end, so a half-written copy never looks like a backup.
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    conn = duckdb.connect()
    try:
        # Attaching read-only takes DuckDB's file lock: a running writer is waited for, and cannot start
        # until the copy is done, so the copy is one consistent state of the warehouse.
        wait_while_locked(lambda: conn.execute(f"attach '{live}' as live (read_only)"), live, timeout_seconds, out)
        conn.execute(f"attach '{partial}' as copy")
        conn.execute("copy from database live to copy")
        relations = _relations(conn, "live")
        counts = [
            (
                schema,
                name,
                conn.sql(f'select count(*) from live."{schema}"."{name}"').fetchall()[0][0],
                conn.sql(f'select count(*) from copy."{schema}"."{name}"').fetchall()[0][0],
            )
            for schema, name in relations
        ]
        conn.execute("detach copy")
    except BaseException:
        # A damaged warehouse (a block that fails its checksum) or a full disk stops the copy part-way: never leave
        # a partial file that could be mistaken for, or restored as, a backup. Closed first, so nothing still
        # writes to it.
        conn.close()
        for leftover in (partial, Path(f"{partial}.wal")):
            leftover.unlink(missing_ok=True)
        raise
    finally:
        conn.close()
    different = [(s, n, a, b) for s, n, a, b in counts if a != b]
    if different:
        partial.unlink(missing_ok=True)
        raise RuntimeError(f"The copy differs from the warehouse in {different}; nothing was kept.")
    os.replace(partial, target)
    rows = sum(a for s, _, a, _ in counts if s in ("raw", "ops"))
    out(f"Backed up {live} to {target}: {len(counts)} tables and views, {rows:,} raw and ops rows, each count checked.")
    out(f"To restore it: uec restore {target}")
    return 0
