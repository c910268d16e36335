"""Dagster resources: the DuckDB warehouse and where feed configs, landing files and reference data live."""

from __future__ import annotations

import logging
import os
import time
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb
from dagster_duckdb import DuckDBResource

from pipelines.warehouse import duckdb_settings

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_WAREHOUSE = "warehouse/uec.duckdb"


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
                on_wait(f"The warehouse {what} is in use by another run; waiting for it (up to {timeout_seconds:.0f} s).")
                told = True
            time.sleep(delay)
            delay = min(delay * 2, 5.0)


def connect_waiting(database: str, read_only: bool = False, timeout_seconds: float = 1800,
                    config: dict | None = None, on_wait=None) -> duckdb.DuckDBPyConnection:
    """Open the DuckDB file, waiting while another process writes to it."""
    return wait_while_locked(lambda: duckdb.connect(database, read_only=read_only, config=config or {}),
                             database, timeout_seconds, on_wait)


class WarehouseResource(DuckDBResource):
    """DuckDB warehouse file; its folder is created on first use, and a busy file is waited for."""

    # Long enough for an overnight step to finish; a run that still cannot write then fails plainly.
    lock_timeout_seconds: float = 1800

    @contextmanager
    def get_connection(self):
        Path(self.database).parent.mkdir(parents=True, exist_ok=True)
        conn = connect_waiting(
            self.database, timeout_seconds=self.lock_timeout_seconds,
            config={"custom_user_agent": "dagster", **self.connection_config},
            on_wait=logging.getLogger("uec.warehouse").warning,
        )
        # Closed on failure too: a failed asset must not keep the file locked.
        try:
            yield conn
        finally:
            conn.close()


class FeedFilesResource(dg.ConfigurableResource):
    """Where provider layouts, landed files and reference tables are read from."""

    feeds_dir: str = str(REPO_ROOT / "schemas" / "feeds")
    landing_dir: str = str(REPO_ROOT / "data_samples" / "landing")
    reference_dir: str = str(REPO_ROOT / "schemas" / "reference")

    @property
    def landing(self) -> Path:
        return Path(self.landing_dir)


class ReportsResource(dg.ConfigurableResource):
    """Where reports are written: the great-expectations Data Docs site and its stores."""

    directory: str = str(REPO_ROOT / "reports")

    @property
    def path(self) -> Path:
        return Path(self.directory)


def default_resources() -> dict[str, dg.ConfigurableResource]:
    """Resources from the environment: UEC_WAREHOUSE, UEC_LANDING, UEC_FEEDS_DIR, UEC_REFERENCE_DIR, UEC_REPORTS,
    UEC_DUCKDB_MEMORY_LIMIT."""
    files = FeedFilesResource()
    return {
        "reports": ReportsResource(directory=os.environ.get("UEC_REPORTS", ReportsResource().directory)),
        "warehouse": WarehouseResource(database=warehouse_path(), connection_config=duckdb_settings()),
        "feed_files": FeedFilesResource(
            feeds_dir=os.environ.get("UEC_FEEDS_DIR", files.feeds_dir),
            landing_dir=os.environ.get("UEC_LANDING", files.landing_dir),
            reference_dir=os.environ.get("UEC_REFERENCE_DIR", files.reference_dir),
        ),
    }
