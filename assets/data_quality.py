"""Warehouse-level expectations as Dagster asset checks, validated by great-expectations in one step, and the
reconciliation of local feeds with national returns."""

from collections.abc import Iterator
from datetime import date, timedelta

import dagster as dg

from assets.morning_brief import brief_day
from pipelines.brief.data import TRAILING_DAYS
from pipelines.brief.reconciliation import Reconciled, read_reconciliation
from pipelines.metadata import failing_days, preview
from pipelines.partitions import daily_partitions
from pipelines.resources import FeedFilesResource, ReportsResource, WarehouseResource
from pipelines.storage.warehouse import ensure_schema
from schemas import catalogue
from schemas.expectations import Expectation
from schemas.registry import load_feed_configs


def _key(expectation: Expectation) -> dg.AssetCheckKey:
    return dg.AssetCheckKey(dg.AssetKey(list(expectation.asset)), expectation.check_name)


def build_warehouse_expectations(expectations: list[Expectation] | None = None) -> dg.AssetChecksDefinition:
    """One multi-check validating every catalogue expectation (or those given) with great-expectations."""
    expectations = catalogue.expectations() if expectations is None else expectations

    def warehouse_expectations(
        context: dg.AssetCheckExecutionContext,
        warehouse: WarehouseResource,
        feed_files: FeedFilesResource,
        reports: ReportsResource,
    ) -> Iterator[dg.AssetCheckResult]:
        """Volumes, distributions, provider presence and gaps against the trailing 28 days, with GX Data Docs."""
        yield from _validate(context, warehouse, feed_files, reports, expectations)

    return dg.multi_asset_check(
        name="warehouse_expectations",
        specs=[
            dg.AssetCheckSpec(
                e.check_name,
                asset=dg.AssetKey(list(e.asset)),
                description=e.description,
                partitions_def=daily_partitions,
            )
            for e in expectations
        ],
        can_subset=True,
        compute_kind="great_expectations",
    )(warehouse_expectations)


def _validate(
    context: dg.AssetCheckExecutionContext,
    warehouse: WarehouseResource,
    feed_files: FeedFilesResource,
    reports: ReportsResource,
    expectations: list[Expectation],
) -> Iterator[dg.AssetCheckResult]:
    from pipelines.quality.gx_suites import expectation_frame, validate

    keys = context.partition_keys
    first, last = date.fromisoformat(keys[0]), date.fromisoformat(keys[-1])
    selected = [e for e in expectations if _key(e) in context.selected_asset_check_keys]
    with warehouse.get_connection() as conn:
        frames = {
            e: expectation_frame(
                conn,
                e,
                first,
                last,
                load_feed_configs(e.feed, feed_files.feeds_dir),
            )
            for e in selected
        }
    docs = reports.path / "data_docs" / "index.html"
    # The run's days name its results in Data Docs, which keep every run's latest result per suite and days.
    for outcome in validate(frames, reports.path, (first, last)):
        expectation = outcome.expectation
        yield dg.AssetCheckResult(
            asset_key=dg.AssetKey(list(expectation.asset)),
            check_name=expectation.check_name,
            passed=outcome.passed,
            severity=dg.AssetCheckSeverity.WARN,
            description=None
            if outcome.passed
            else f"{outcome.failing.height} row(s) failed: "
            + ", ".join(f"{r['date']} {r['subject']}" for r in outcome.failing.head(10).iter_rows(named=True)),
            metadata={
                "rows_checked": outcome.frame.height,
                "rows_judged": outcome.evaluated_rows,
                "rows_failing": outcome.failing.height,
                "failing": preview(outcome.failing) if outcome.failing.height else "none",
                "gx_suite": expectation.suite_name,
                **failing_days(outcome.failing["date"]),
                # A link the UI opens where the reports folder is served (make dev); else a file:// link to copy, as
                # browsers refuse a web page's file:// links, with the path beside it.
                "data_docs": reports.link(docs),
                "data_docs_path": dg.MetadataValue.path(str(docs)),
            },
        )


def build_reconciliation_check(
    reconciliation: catalogue.Reconciliation = catalogue.RECONCILIATION,
) -> dg.AssetChecksDefinition:
    """A warning naming every local figure that differs from the national return beyond its tolerance."""

    @dg.asset_check(
        asset=dg.AssetKey(reconciliation.name.split(".")),
        name=reconciliation.check_name,
        description=reconciliation.check_description,
        blocking=False,
    )
    def _agree(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource) -> dg.AssetCheckResult:
        # The brief's window for the run's day, so the check and the strip say the same: a difference in a period
        # long past stays in the view without failing every run for ever. A run for no day judges every period.
        last = brief_day(context.run.tags, None)
        first = last - timedelta(days=TRAILING_DAYS - 1) if last else date.min
        with warehouse.get_connection() as conn:
            ensure_schema(conn)
            found = read_reconciliation(conn, first, last or date.max)
        return reconciliation_result(found)

    return _agree


# Differences the check's description names; its metadata lists every one.
_NAMED = 10


def reconciliation_result(found: Reconciled | None) -> dg.AssetCheckResult:
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
