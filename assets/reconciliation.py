"""Local feeds reconciled with NHS England's returns: the view asset (the check naming its differences is in
assets/data_quality.py)."""

import dagster as dg

from pipelines.metadata import column_schema, preview
from pipelines.resources import WarehouseResource
from pipelines.storage.warehouse import ensure_schema, quoted
from schemas import catalogue
from schemas.catalogue import Reconciliation

RECONCILIATION_KEY = dg.AssetKey(catalogue.RECONCILIATION.name.split("."))


def build_reconciliation(reconciliation: Reconciliation = catalogue.RECONCILIATION) -> dg.AssetsDefinition:
    """marts.<table>, a view (re)created by ensure_schema: its asset reports what it holds after each run."""

    @dg.asset(
        key=reconciliation.name.split("."),
        description=reconciliation.description,
        metadata=column_schema(reconciliation.name, reconciliation.columns),
        deps=[dg.AssetKey(t.split(".")) for t in reconciliation.deps],
        kinds={"duckdb", "sql"},
        group_name=reconciliation.group,
    )
    def _reconciliation(warehouse: WarehouseResource) -> dg.MaterializeResult:
        """Local figures beside the national returns per trust and month or day, with the difference judged."""
        with warehouse.get_connection() as conn:
            ensure_schema(conn)
            relation = quoted(reconciliation.name)
            frame = conn.sql(
                f"select * from {relation} order by period desc, trust_code, publication, measure limit 20"
            ).pl()
            rows = conn.sql(f"select count(*) from {relation}").fetchall()[0][0]
        return dg.MaterializeResult(metadata={"dagster/row_count": rows, "latest rows": preview(frame)})

    return _reconciliation
