"""Local feeds reconciled with NHS England's returns: the view asset and the check naming its differences."""

from datetime import date, timedelta

import dagster as dg

from assets.morning_brief import brief_day
from pipelines.brief.data import TRAILING_DAYS
from pipelines.brief.reconciliation import Reconciled, read_reconciliation
from pipelines.metadata import column_schema, preview
from pipelines.resources import WarehouseResource
from pipelines.storage.warehouse import ensure_schema, quoted
from schemas import catalogue
from schemas.catalogue import Reconciliation


def build_reconciliation(reconciliation: Reconciliation = catalogue.RECONCILIATION) -> dg.AssetsDefinition:
    """marts.<table>, a view (re)created by ensure_schema: its asset reports what it holds after each run."""

    @dg.asset(
        key=reconciliation.name.split("."),
        description=reconciliation.description,
        metadata=column_schema(reconciliation.name, reconciliation.columns),
        deps=[dg.AssetKey(t.split(".")) for t in reconciliation.deps],
        kinds={"duckdb", "sql"},
        group_name=reconciliation.group,
        # In the asset's own step: a step of its own cost more in Dagster's overhead than the check's query.
        check_specs=[
            dg.AssetCheckSpec(
                reconciliation.check_name,
                asset=reconciliation.name.split("."),
                description=reconciliation.check_description,
                blocking=False,
            )
        ],
    )
    def _reconciliation(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
        """Local figures beside the national returns per trust and month or day, with the difference judged."""
        # The brief's window for the run's day, so the check and the strip say the same: a difference in a period
        # long past stays in the view without failing every run for ever. A run for no day judges every period.
        last = brief_day(context.run.tags, None)
        first = last - timedelta(days=TRAILING_DAYS - 1) if last else date.min
        with warehouse.get_connection() as conn:
            ensure_schema(conn)
            relation = quoted(reconciliation.name)
            frame = conn.sql(
                f"select * from {relation} order by period desc, trust_code, publication, measure limit 20"
            ).pl()
            rows = conn.sql(f"select count(*) from {relation}").fetchall()[0][0]
            found = read_reconciliation(conn, first, last or date.max)
        return dg.MaterializeResult(
            metadata={"dagster/row_count": rows, "latest rows": preview(frame)},
            check_results=[reconciliation_result(found, reconciliation.check_name)],
        )

    return _reconciliation


# Differences the check's description names; its metadata lists every one.
_NAMED = 10


def reconciliation_result(found: Reconciled | None, check_name: str) -> dg.AssetCheckResult:
    """Passes when nothing could be compared (and says so) or every compared figure is within tolerance."""
    # ensure_schema has just made the view, so it is there; None only satisfies the reader's type.
    found = found or Reconciled(date.min, date.max, national_loaded=False)
    if not found.compared:
        summary = (
            "Nothing to compare: no trust-month or trust-day is both in the local marts and in NHS England's returns "
            "loaded."
        )
    elif found.differences:
        more = len(found.differences) - _NAMED
        summary = f"{len(found.differences)} difference(s) beyond tolerance: " + "; ".join(found.differences[:_NAMED])
        summary += f"; and {more} more, listed in the metadata" if more > 0 else ""
    else:
        summary = f"Local and national returns agree within tolerance for {found.agreement()}."
    return dg.AssetCheckResult(
        check_name=check_name,
        passed=not found.differences,
        severity=dg.AssetCheckSeverity.WARN,
        description=summary,
        metadata={
            "periods": "every period held"
            if found.first == date.min
            else f"trust-days {found.first} to {found.last} and the months they start in",
            "trust_days_compared": found.trust_days,
            "trust_months_compared": found.trust_months,
            "beyond_tolerance": len(found.differences),
            "differences": dg.MetadataValue.md("\n".join(f"- {d}" for d in found.differences) or "none"),
            "not_compared": dg.MetadataValue.md("\n".join(f"- {n}" for n in found.not_compared) or "none"),
        },
    )
