"""Dagster resources: the DuckDB warehouse and where feed configs, landing files and reference data live."""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_WAREHOUSE = "warehouse/uec.duckdb"


def warehouse_path() -> str:
    """UEC_WAREHOUSE, or warehouse/uec.duckdb under the repo."""
    return os.environ.get("UEC_WAREHOUSE") or str(REPO_ROOT / DEFAULT_WAREHOUSE)


class WarehouseResource(DuckDBResource):
    """DuckDB warehouse file; its folder is created on first use."""

    @contextmanager
    def get_connection(self):
        Path(self.database).parent.mkdir(parents=True, exist_ok=True)
        with super().get_connection() as conn:
            # The parent closes only on success; a failed asset must not keep the file open.
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


def default_resources() -> dict[str, dg.ConfigurableResource]:
    """Resources from the environment: UEC_WAREHOUSE, UEC_LANDING, UEC_FEEDS_DIR, UEC_REFERENCE_DIR."""
    files = FeedFilesResource()
    return {
        "warehouse": WarehouseResource(database=warehouse_path()),
        "feed_files": FeedFilesResource(
            feeds_dir=os.environ.get("UEC_FEEDS_DIR", files.feeds_dir),
            landing_dir=os.environ.get("UEC_LANDING", files.landing_dir),
            reference_dir=os.environ.get("UEC_REFERENCE_DIR", files.reference_dir),
        ),
    }
