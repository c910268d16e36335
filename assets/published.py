"""The published marts: after every run that builds them, a snapshot readers open without touching the warehouse."""

from collections.abc import Iterable

import dagster as dg
import polars as pl

from pipelines.instance import PUBLISHED_KEY
from pipelines.metadata import preview
from pipelines.resources import ReportsResource, WarehouseResource
from pipelines.storage.publish import CURRENT, READER_DB, READER_STORAGE_VERSION, publish
from pipelines.storage.warehouse import ensure_schema
from schemas import catalogue
from schemas.catalogue import Mart, Rollup


def build_published_marts(marts: Iterable[Mart | Rollup] = catalogue.MARTS) -> dg.AssetsDefinition:
    """The published-marts asset, downstream of every mart and rollup view; the catalogue says which it publishes."""
    marts = tuple(marts)
    tables = catalogue.published_tables(marts)

    @dg.asset(
        key=PUBLISHED_KEY,
        deps=[dg.AssetKey(["marts", t]) for t in catalogue.mart_tables(marts)],
        kinds={"parquet", "duckdb"},
        group_name="reports",
    )
    def _published_marts(
        context: dg.AssetExecutionContext, warehouse: WarehouseResource, reports: ReportsResource
    ) -> dg.MaterializeResult:
        """Every published mart and rollup view as Parquet plus a reader database, swapped in whole for readers."""
        with warehouse.get_connection() as conn:
            ensure_schema(conn)
            snapshot = publish(conn, reports.published, tables, keep=reports.published_keep, run_id=context.run.run_id)
        rows = pl.DataFrame({"table": list(snapshot.rows), "rows": list(snapshot.rows.values())})
        return dg.MaterializeResult(
            metadata={
                "folder": dg.MetadataValue.path(str(reports.published / CURRENT)),
                "snapshot": dg.MetadataValue.path(str(snapshot.folder)),
                "reader_database": dg.MetadataValue.path(str(reports.published / CURRENT / READER_DB)),
                "reader_storage_version": f"{READER_STORAGE_VERSION} (opens in DuckDB 1.0 and later)",
                "tables": len(snapshot.rows),
                "dagster/row_count": sum(snapshot.rows.values()),
                "rows": preview(rows, rows=len(snapshot.rows)),
                "snapshots_pruned": len(snapshot.pruned),
            }
        )

    return _published_marts
