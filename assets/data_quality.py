"""Warehouse-level expectations as Dagster asset checks, validated by great-expectations in one step."""

from collections.abc import Iterator
from datetime import date

import dagster as dg

from pipelines.metadata import failing_days, preview
from pipelines.partitions import daily_partitions
from pipelines.resources import FeedFilesResource, GreatExpectationsResource, ReportsResource, WarehouseResource
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
        great_expectations: GreatExpectationsResource,
    ) -> Iterator[dg.AssetCheckResult]:
        """Volumes, distributions, provider presence and gaps against the trailing 28 days, with GX Data Docs."""
        yield from _validate(context, warehouse, feed_files, reports, great_expectations, expectations)

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
    great_expectations: GreatExpectationsResource,
    expectations: list[Expectation],
) -> Iterator[dg.AssetCheckResult]:
    from pipelines.quality.gx_suites import expectation_frame

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
    for outcome in great_expectations.run_suites(frames, reports.path, (first, last)):
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
