"""Dagster resources: the DuckDB warehouse and where feed configs, landing files and reference data live."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TypedDict
from urllib.parse import quote

import dagster as dg
import duckdb
import polars as pl
from dagster_duckdb import DuckDBResource
from pydantic import PrivateAttr

from pipelines.metadata import file_url
from pipelines.quality.gx_suites import Outcome, validate
from pipelines.quality.gx_worker import GxWorker
from pipelines.settings import (
    DEFAULT_FEEDS_DIR,
    DEFAULT_LANDING,
    DEFAULT_PUBLISHED_KEEP,
    DEFAULT_REFERENCE_DIR,
    DEFAULT_REPORTS,
    settings,
)
from pipelines.storage.warehouse import connect, duckdb_settings, plain_fault, warehouse_path
from schemas.expectations import Expectation


class WarehouseResource(DuckDBResource):
    """DuckDB warehouse file; its folder is created on first use, a busy file is waited for, and a damaged file or a
    full disk fails the step with a plain message (pipelines.storage.warehouse.InfrastructureFault)."""

    # Long enough for an overnight step to finish; a run that still cannot write then fails plainly.
    lock_timeout_seconds: float = 1800
    # Within a run, a second connection to the database its first step opened is kept until the run ends: DuckDB
    # keeps a file's database open while any connection to it is, so later steps skip reloading its catalogue and
    # the checkpoint each close makes (a quarter of a small run's time). The run so holds the write lock from its
    # first step to its end; readers never wait on it, they read the published marts (docs/reading-the-marts.md).
    _in_run: bool = PrivateAttr(default=False)
    _held: duckdb.DuckDBPyConnection | None = PrivateAttr(default=None)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        self._in_run = True

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        self._in_run = False
        self._release()

    @contextmanager
    def get_connection(self):
        if self._in_run and self._held is None:
            # A connection of its own, not a cursor: DuckDB finds the open database for the next connect only
            # while a connection made by connect() is open.
            self._held = self._open()
        conn = self._open()
        # Closed on failure too: a failed asset must not keep the file locked.
        try:
            yield conn
        except Exception as exc:
            # A failed write may have invalidated DuckDB's open database: the next step opens the file anew.
            self._release()
            # A full disk or a damaged block surfaces as whatever DuckDB statement met it; the run's failure
            # says which, in plain words, with the file. DuckDB's own error stays attached as the context.
            if (problem := plain_fault(exc, self.database)) is None:
                raise
            raise problem  # noqa: B904
        finally:
            conn.close()

    def _open(self) -> duckdb.DuckDBPyConnection:
        return connect(
            self.database,
            timeout_seconds=self.lock_timeout_seconds,
            config={"custom_user_agent": "dagster", **self.connection_config},
        )

    def _release(self) -> None:
        if self._held is not None:
            self._held.close()
            self._held = None


class FeedFilesResource(dg.ConfigurableResource):
    """Where provider layouts, landed files and reference tables are read from."""

    feeds_dir: str = str(DEFAULT_FEEDS_DIR)
    landing_dir: str = str(DEFAULT_LANDING)
    reference_dir: str = str(DEFAULT_REFERENCE_DIR)

    @property
    def landing(self) -> Path:
        return Path(self.landing_dir)


class ReportsResource(dg.ConfigurableResource):
    """Where reports are written: the great-expectations Data Docs site and its stores, and the readers' snapshots
    of the marts (docs/reading-the-marts.md)."""

    directory: str = str(DEFAULT_REPORTS)
    # Empty: published/ inside the reports folder.
    published_dir: str = ""
    # Snapshots kept: a reader that opened an older one keeps it until this many newer ones have been published.
    published_keep: int = DEFAULT_PUBLISHED_KEEP
    # Where a web server serves this folder (`make dev` serves it at http://127.0.0.1:3001/): the UI's links to the
    # brief and Data Docs then open with a click, where browsers refuse a web page's file:// links. Empty: file://.
    url: str = ""

    @property
    def path(self) -> Path:
        return Path(self.directory)

    def link(self, file: str | Path) -> dg.MetadataValue:
        """A link to a file in this folder for the Dagster UI: its served address, or its file:// URL."""
        try:
            relative = Path(file).resolve().relative_to(self.path.resolve())
        except ValueError:
            relative = None
        if not self.url or relative is None:
            return dg.MetadataValue.url(file_url(file))
        return dg.MetadataValue.url(self.url.rstrip("/") + "/" + quote(relative.as_posix()))

    @property
    def published(self) -> Path:
        return Path(self.published_dir) if self.published_dir else self.path / "published"


class GreatExpectationsResource(dg.ConfigurableResource):
    """great-expectations for the run's warehouse expectations, imported by a worker process from the run's start, so
    the import's seconds overlap the run's earlier steps (pipelines.quality.gx_worker)."""

    _worker: GxWorker | None = PrivateAttr(default=None)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        # Started only by runs whose steps need this resource, once per run (steps run in the run's process).
        self._worker = GxWorker()

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        if self._worker is not None:
            self._worker.stop()
            self._worker = None

    def run_suites(
        self, frames: dict[Expectation, pl.DataFrame], reports_dir: Path, days: tuple[date, date] | None = None
    ) -> list[Outcome]:
        """gx_suites.validate, in the warm worker when the run started one."""
        if self._worker is None:
            return validate(frames, reports_dir, days)
        return self._worker.validate(frames, reports_dir, days)


class DefaultResources(TypedDict):
    """What default_resources() returns, each resource with its own class for the type checker."""

    reports: ReportsResource
    warehouse: WarehouseResource
    feed_files: FeedFilesResource
    great_expectations: GreatExpectationsResource


def default_resources() -> DefaultResources:
    """Resources from the settings: UEC_WAREHOUSE, UEC_LANDING, UEC_FEEDS_DIR, UEC_REFERENCE_DIR, UEC_REPORTS,
    UEC_PUBLISHED, UEC_PUBLISHED_KEEP, UEC_REPORTS_URL, UEC_DUCKDB_MEMORY_LIMIT, UEC_DUCKDB_THREADS."""
    config = settings()
    return {
        "reports": ReportsResource(
            directory=config.reports_dir,
            published_dir=config.published_dir,
            published_keep=config.published_keep,
            url=config.reports_url,
        ),
        "warehouse": WarehouseResource(database=warehouse_path(), connection_config=duckdb_settings()),
        "feed_files": FeedFilesResource(
            feeds_dir=config.feeds_dir, landing_dir=config.landing_dir, reference_dir=config.reference_dir
        ),
        "great_expectations": GreatExpectationsResource(),
    }
