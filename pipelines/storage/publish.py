"""The readers' copy of the marts: Parquet files and a reader database DuckDB 1.x opens, swapped in whole after a run.

Readers (Power BI, Excel over ODBC, notebooks) never open the warehouse, so they never hold its lock and a run never
waits for them. Layout (docs/reading-the-marts.md):

    <published>/current -> snapshots/<UTC time>   the newest complete snapshot (a relative symlink)
    <published>/CURRENT.txt                       its name, for tools and shares that cannot follow a symlink
    <published>/snapshots/<UTC time>/uec_marts.duckdb               views marts.<table> over the Parquet below
    <published>/snapshots/<UTC time>/manifest.json                  tables, rows, when and by which run
    <published>/snapshots/<UTC time>/marts/<table>/month=YYYY-MM/data_0.parquet   tables with a date column
    <published>/snapshots/<UTC time>/marts/<table>/data_0.parquet                 the others (and empty tables)
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from pipelines.storage.warehouse import comment_statements, literal, quoted, transaction
from schemas import catalogue

READER_DB = "uec_marts.duckdb"
MANIFEST = "manifest.json"
SNAPSHOTS = "snapshots"
CURRENT = "current"
# The same as a line of text, for tools and shares that cannot follow a symlink (a CIFS mount without unix extensions).
POINTER = "CURRENT.txt"
# DuckDB 2.0 writes storage version 69, which every 1.x refuses ("can only read versions between 64 and 68");
# written as 1.0's version (64), the reader database opens in DuckDB 1.0 and later (tested: 1.0.0 and 1.5.6).
READER_STORAGE_VERSION = "v1.0.0"
# Parquet has no 128-bit integer: DuckDB would write a HUGEINT sum as a DOUBLE, and a count would reach Power BI as
# 12.0. Published as BIGINT instead (a count or sum of counts never needs more).
_NARROWED = {"HUGEINT": "BIGINT", "UHUGEINT": "UBIGINT"}
# Tables that grow by the day are split by month, so a reader (or Power BI's folder connector) that wants one month
# reads one file.
_PARTITION_FROM = "date"
_PARTITION = "month"

log = logging.getLogger("uec.publish")


@dataclass(frozen=True)
class Snapshot:
    """One published snapshot: its folder, the rows of each table, and the snapshots pruned after it."""

    folder: Path
    rows: dict[str, int]
    pruned: tuple[str, ...] = field(default=())

    @property
    def reader_database(self) -> Path:
        return self.folder / READER_DB


def publish(
    conn: duckdb.DuckDBPyConnection,
    root: Path,
    tables: Sequence[str],
    keep: int = 3,
    run_id: str = "",
) -> Snapshot:
    """Write marts.<table> for each table to a new snapshot under root, then make it `current` in one rename.

    A reader that opened the previous snapshot keeps reading it (its files never change); a reader that opens
    `current` after the rename sees the new one complete. Snapshots beyond the newest `keep` are then removed.
    """
    now = datetime.now(UTC)
    snapshots = root / SNAPSHOTS
    snapshots.mkdir(parents=True, exist_ok=True)
    _remove_unfinished(snapshots)
    name = now.strftime("%Y%m%dT%H%M%S.%fZ")
    building = snapshots / f".{name}.partial"
    building.mkdir()
    try:
        rows = _write_parquet(conn, building, tables)
        _write_reader_database(building, tables)
        manifest = {
            "published_at": now.isoformat(timespec="seconds"),
            "run_id": run_id,
            "reader_database": READER_DB,
            "reader_storage_version": READER_STORAGE_VERSION,
            "tables": {t: {"rows": rows[t], "files": _files(t)} for t in tables},
        }
        (building / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        folder = snapshots / name
        building.rename(folder)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    _point_current(root, folder)
    return Snapshot(folder, rows, prune(root, keep))


def current(root: Path) -> Path | None:
    """The newest published snapshot (named by CURRENT.txt, which `current` links to), or None before the first."""
    pointer = root / POINTER
    return root / SNAPSHOTS / pointer.read_text(encoding="utf-8").strip() if pointer.is_file() else None


def prune(root: Path, keep: int) -> tuple[str, ...]:
    """Remove snapshots older than the newest `keep` (never the current one); the names removed."""
    snapshots, newest = root / SNAPSHOTS, current(root)
    names = sorted(p.name for p in snapshots.iterdir() if p.is_dir() and not p.name.startswith("."))
    removed = []
    for name in names[: -max(keep, 1)]:
        if newest is not None and name == newest.name:
            continue
        try:
            shutil.rmtree(snapshots / name)
        except OSError as exc:
            # A file system that refuses to delete open files (a Windows share): the reader keeps it until the
            # next run tries again. Never a reason to fail the run that published.
            log.warning("Left old snapshot %s in place (%s); the next publication tries again.", name, exc)
            continue
        removed.append(name)
    return tuple(removed)


def _files(table: str) -> str:
    """Where a table's Parquet files are, relative to the snapshot folder (a glob DuckDB 1.0 understands)."""
    return f"marts/{table}/**/*.parquet"


def _write_parquet(conn: duckdb.DuckDBPyConnection, folder: Path, tables: Sequence[str]) -> dict[str, int]:
    (folder / "marts").mkdir()
    rows = {}
    # One transaction: every table is read from the same committed state of the warehouse.
    with transaction(conn):
        for table in tables:
            relation = quoted(f"marts.{table}")
            columns = conn.sql(f"describe {relation}").fetchall()
            names = [c[0] for c in columns]
            select = ", ".join(
                f"cast({quoted(n)} as {_NARROWED[t]}) as {quoted(n)}" if t in _NARROWED else quoted(n)
                for n, t, *_ in columns
            )
            target = folder / "marts" / table
            rows[table] = 0
            if _PARTITION_FROM in names and _PARTITION not in names:
                [(rows[table],)] = conn.execute(
                    f"copy (select {select}, strftime({quoted(_PARTITION_FROM)}, '%Y-%m') as {_PARTITION} "
                    f"from {relation} order by all) to {literal(target)} (format parquet, partition_by ({_PARTITION}))"
                ).fetchall()
            if not rows[table]:
                # One file, also for an empty table (partitioning wrote none): the view then still finds its columns.
                target.mkdir(exist_ok=True)
                [(rows[table],)] = conn.execute(
                    f"copy (select {select} from {relation} order by all) to {literal(target / 'data_0.parquet')} "
                    "(format parquet)"
                ).fetchall()
    return rows


def _write_reader_database(folder: Path, tables: Sequence[str]) -> None:
    # Its own in-memory DuckDB, not the warehouse's connection: the views' relative paths are checked when they
    # are created, against file_search_path, which must not change for the run's other statements.
    with duckdb.connect(":memory:") as reader:
        reader.execute(f"set file_search_path = {literal(folder)}")
        reader.execute(
            f"attach {literal(folder / READER_DB)} as reader (storage_version {literal(READER_STORAGE_VERSION)})"
        )
        reader.execute("use reader")
        # One transaction, one write of the file: each statement on its own committed (and wrote) separately.
        with transaction(reader):
            reader.execute("create schema marts")
            for table in tables:
                # Relative to the snapshot folder, so a copied folder still works; hive_partitioning off so the views
                # have exactly the warehouse's columns (the month folders are for readers of the files).
                reader.execute(
                    f"create view marts.{quoted(table)} as select * from "
                    f"read_parquet({literal(_files(table))}, hive_partitioning = false)"
                )
            # The data dictionary travels with the views: a BI tool's column list shows the same descriptions.
            described = [row for row in catalogue.comments() if row[0] == "marts" and row[1] in set(tables)]
            for statement in comment_statements(described, views={f"marts.{table}" for table in tables}):
                reader.execute(statement)
        reader.execute("use memory")
        reader.execute("detach reader")


def _point_current(root: Path, folder: Path) -> None:
    # Each pointer is staged beside its final name and renamed over it: a reader sees the old target or the new,
    # never neither.
    staged = root / f".{POINTER}.{os.getpid()}"
    staged.write_text(folder.name + "\n", encoding="utf-8")
    os.replace(staged, root / POINTER)
    link = root / f".{CURRENT}.{os.getpid()}"
    link.unlink(missing_ok=True)
    try:
        # Relative, so the published folder can be moved or copied whole.
        link.symlink_to(Path(SNAPSHOTS) / folder.name, target_is_directory=True)
        os.replace(link, root / CURRENT)
    except OSError as exc:
        # A file system without symlinks: readers there open the snapshot CURRENT.txt names. Not worth failing the
        # run over, which has published.
        log.warning("Could not link %s to the new snapshot (%s); %s names it.", root / CURRENT, exc, POINTER)


def _remove_unfinished(snapshots: Path) -> None:
    # Left by a publication that was killed part-way. Publications take turns (each holds the warehouse's write
    # connection), so no other is writing one now.
    for partial in snapshots.glob(".*.partial"):
        shutil.rmtree(partial, ignore_errors=True)
