"""Reference tables loaded from files kept in the repo (schemas/reference/)."""

from pathlib import Path

import dagster as dg
import polars as pl

from pipelines.metadata import preview
from pipelines.resources import FeedFilesResource, WarehouseResource
from pipelines.warehouse import ensure_schema, insert_frame


def _replace_table(warehouse: WarehouseResource, table: str, path: Path) -> dg.MaterializeResult:
    frame = pl.read_csv(path, infer_schema_length=0).with_columns(pl.all().replace("", None))
    with warehouse.get_connection() as conn:
        ensure_schema(conn)
        conn.execute("begin transaction")
        conn.execute(f"delete from {table}")
        insert_frame(conn, table, frame)
        conn.execute("commit")
    return dg.MaterializeResult(
        metadata={"dagster/row_count": frame.height, "source": str(path), "preview": preview(frame)}
    )


@dg.asset(key=["ref", "sites"], kinds={"duckdb"}, group_name="reference", pool="duckdb_warehouse")
def sites(warehouse: WarehouseResource, feed_files: FeedFilesResource) -> dg.MaterializeResult:
    """Hospital sites with their trust and system (ODS codes), from schemas/reference/sites.csv."""
    return _replace_table(warehouse, "ref.sites", Path(feed_files.reference_dir) / "sites.csv")


@dg.asset(key=["ref", "targets"], kinds={"duckdb"}, group_name="reference", pool="duckdb_warehouse")
def targets(warehouse: WarehouseResource, feed_files: FeedFilesResource) -> dg.MaterializeResult:
    """Dated national standards and targets (e.g. 4-hour 76% then 78%), from schemas/reference/targets.csv."""
    return _replace_table(warehouse, "ref.targets", Path(feed_files.reference_dir) / "targets.csv")
