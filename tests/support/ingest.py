"""Load a feed's day with the raw asset's own load function, into a warehouse of the test's own, without Dagster: the
fast tier's one entry point."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from pathlib import Path

import duckdb
import polars as pl

from assets.reference import read_reference
from pipelines.ingest.load import load_feed_days
from pipelines.partitions import partition_days
from pipelines.storage.warehouse import ensure_schema, insert_frame
from schemas import catalogue
from tests.support.rows import crh_row, uhdb_row
from tests.support.warehouse import Env

DAY = "2025-01-15"
OTHER_PROVIDER = {"crh": "RFS", "uhdb": "RTG"}


def land_other(env: Env, other: str | None, day: str) -> None:
    """The other ED provider's good file for the day, which must load whatever is wrong with the bad one."""
    if other == "crh":
        env.write_crh(
            day, day.replace("-", "")[:8] + "2330", [crh_row("OK1", crh_time(day, "09:00"), crh_time(day, "10:30"))]
        )
    elif other == "uhdb":
        env.write_uhdb(
            day.replace("-", ""),
            day.replace("-", "") + "T2330",
            [uhdb_row("OK1", f"{day} 09:00:00", f"{day} 10:30:00")],
        )


# --- ingest level: the frames the raw asset's load writes, without Dagster -------------------------------------


@dataclass
class Ingested:
    """One feed's day as ingest left it: the frames the raw asset writes, and the names its listing skipped."""

    loaded: pl.DataFrame
    quarantined: pl.DataFrame
    files: pl.DataFrame
    rejected: pl.DataFrame
    failed_providers: list[str]
    unrecognised: dict[str, list[str]]
    duplicate_rows: pl.DataFrame

    def file(self, name: str) -> dict:
        [record] = self.files.filter(pl.col("file_name") == name).to_dicts()
        return record

    def reasons(self, name: str) -> list[tuple[int, str, str]]:
        # Sorted as the warehouse's `order by all` sorts, nulls last, so the expected lists read the same.
        return (
            self.quarantined.filter(pl.col("file_name") == name)
            .select("source_row", "source_column", "reason")
            .sort(pl.all(), nulls_last=True)
            .rows()
        )

    def actions(self, name: str) -> list[tuple[int, str, str, str]]:
        """(source row, column, reason, action) for each cell the quarantine lists for the file."""
        return (
            self.quarantined.filter(pl.col("file_name") == name)
            .select("source_row", "source_column", "reason", "action")
            .sort(pl.all(), nulls_last=True)
            .rows()
        )

    def counts(self, name: str) -> tuple[int, int, int, int, int]:
        """(rows read, loaded, quarantined, duplicate, with a value set to unknown) as ops.source_files has them."""
        f = self.file(name)
        return tuple(
            f[c] for c in ("rows_read", "rows_loaded", "rows_quarantined", "rows_duplicate", "rows_with_unknown_values")
        )

    def rejected_rows(self) -> list[tuple[str, str, str]]:
        return self.rejected.select("provider_code", "file_name", "reason").rows()

    def rows(self, **where: str) -> pl.DataFrame:
        return self.loaded.filter(**where)


@cache
def _empty_warehouse() -> Path:
    """Every table and no rows, built once per process: building the schema takes a second or more, a copy far less."""
    folder = tempfile.mkdtemp(prefix="ingest_support_")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    path = Path(folder) / "empty.duckdb"
    with duckdb.connect(str(path)) as conn:
        ensure_schema(conn)
    return path


def _warehouse(env: Env) -> duckdb.DuckDBPyConnection:
    """A fresh warehouse for one `ingest`, apart from the env's own, with the reference tables the raw asset reads."""
    path = env.root / "ingest_support" / "uec.duckdb"
    path.parent.mkdir(exist_ok=True)
    shutil.copy(_empty_warehouse(), path)
    conn = duckdb.connect(str(path))
    # As the reference assets load them: verbatim from the env's reference files.
    for table, name in (("ref.sites", "sites.csv"), ("ref.providers", "providers.csv")):
        insert_frame(conn, table, read_reference(Path(env.reference_dir) / name))
    return conn


def _ingest_feed(conn: duckdb.DuckDBPyConnection, env: Env, name: str, day: date) -> Ingested:
    """The raw asset's load of one feed and day (pipelines/ingest/load.py), less the Dagster log and checks."""
    load = load_feed_days(
        conn, catalogue.feed(name), [day], env.landing, env.feeds_dir, partition_days, keep_loaded=True
    )
    return Ingested(
        load.loaded,
        load.quarantined,
        load.files,
        load.rejected,
        load.failed_providers,
        load.unrecognised,
        load.duplicate_rows,
    )


def ingest(env: Env, feed: str = "ed_attendances", other: str | None = "crh", day: str = DAY) -> Ingested:
    """Land a good file from the other ED provider, ingest the day, and check nothing was lost.

    ED is always ingested too, so a case in another feed still shows the other provider's file loading.
    """
    land_other(env, other, day)
    with _warehouse(env) as conn:
        results = {
            name: _ingest_feed(conn, env, name, date.fromisoformat(day))
            for name in dict.fromkeys([feed, "ed_attendances"])
        }
    for result in results.values():
        for f in result.files.iter_rows(named=True):
            assert f["rows_read"] == f["rows_loaded"] + f["rows_quarantined"] + f["rows_duplicate"], f
            loaded = result.rows(source_file=f["file_name"]).height
            cells = result.quarantined.filter(pl.col("file_name") == f["file_name"])
            quarantined = cells.filter(pl.col("action") == "record quarantined")["source_row"].n_unique()
            unknown = cells.filter(pl.col("action") == "value set to unknown")["source_row"].n_unique()
            repeated = result.duplicate_rows.filter(pl.col("file_name") == f["file_name"]).height
            assert (loaded, quarantined, repeated, unknown) == (
                f["rows_loaded"],
                f["rows_quarantined"],
                f["rows_duplicate"],
                f["rows_with_unknown_values"],
            ), f
    if other:
        assert results["ed_attendances"].rows(provider_code=OTHER_PROVIDER[other], record_id="OK1").height == 1
    return results[feed]


def crh_time(day: str, hhmm: str) -> str:
    return datetime.strptime(day, "%Y-%m-%d").strftime("%d/%m/%Y") + " " + hhmm
