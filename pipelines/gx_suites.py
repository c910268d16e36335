"""Read each expectation's frame from DuckDB, validate it with great-expectations, build the Data Docs site."""

from __future__ import annotations

import fcntl
import os
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import duckdb
import polars as pl

from pipelines.data_docs_offline import make_offline
from pipelines.warehouse import sql
from schemas.expectations import HISTORY_DAYS, MIN_BAND, MIN_HISTORY_DAYS, Expectation
from schemas.registry import FeedConfig

# Every frame carries these, so a failing row names its day and its site, trust, source or provider.
INDEX_COLUMNS = ["date", "subject"]


@dataclass
class Outcome:
    """One expectation's verdict, with the rows that failed it."""

    expectation: Expectation
    passed: bool
    frame: pl.DataFrame
    failing: pl.DataFrame
    evaluated_rows: int


def expectation_frame(
    conn: duckdb.DuckDBPyConnection, expectation: Expectation, first: date, last: date, layouts: Sequence[FeedConfig]
) -> pl.DataFrame:
    """The rows the expectation is checked against, for the days first..last (`layouts`: the feed's providers)."""
    window = {"first": first, "last": last}
    history_start = first - timedelta(days=HISTORY_DAYS)
    if expectation.kind == "within_trailing_bounds":
        query = f"with series as ({sql(expectation.series_sql)}) {sql('expect_within_trailing_bounds')}"
        return conn.sql(
            query,
            params={
                **window,
                "history_start": history_start,
                "min_history_days": MIN_HISTORY_DAYS,
                "min_band": MIN_BAND,
            },
        ).pl()
    if expectation.kind == "provider_present":
        files = conn.sql(sql("expect_provider_files"), params={**window, "feed": expectation.feed}).pl()
        days = pl.date_range(first, last, "1d", eager=True).to_list()
        # Only the days each layout expects a file: not before its active_from, after its active_to (brief 7.5).
        expected = pl.DataFrame(
            [(day, c.provider_code) for c in layouts for day in days if c.expects_file(day)],
            schema={"date": pl.Date, "subject": pl.Utf8},
            orient="row",
        )
        return (
            expected.join(files, on=["date", "subject"], how="left")
            .with_columns(pl.col("files").fill_null(0))
            .select("date", "subject", "files")
            .sort("date", "subject")
        )
    return conn.sql(
        sql("expect_daily_rows", raw_table=f"raw.{expectation.feed}"),
        params={
            "feed": expectation.feed,
            "history_start": history_start,
            "last": last,
        },
    ).pl()


def _gx_expectations(gx, expectation: Expectation) -> list:
    if expectation.kind == "within_trailing_bounds":
        pair = gx.expectations.ExpectColumnPairValuesAToBeGreaterThanB
        # A day without enough history has no bounds yet: it is listed, not judged.
        return [
            pair(
                column_A="value",
                column_B="lower_bound",
                or_equal=True,
                ignore_row_if="either_value_is_missing",
                meta={"notes": "at or above the lower bound"},
            ),
            pair(
                column_A="upper_bound",
                column_B="value",
                or_equal=True,
                ignore_row_if="either_value_is_missing",
                meta={"notes": "at or below the upper bound"},
            ),
        ]
    column = "files" if expectation.kind == "provider_present" else "rows"
    return [gx.expectations.ExpectColumnValuesToBeBetween(column=column, min_value=1)]


def _failing(frame: pl.DataFrame, result) -> pl.DataFrame:
    """The frame's rows GX reported as unexpected, found by their day and subject."""
    keys = [
        (row["date"], row["subject"])
        for each in result.results
        for row in (each.result.get("unexpected_index_list") or [])
    ]
    if not keys:
        return frame.clear()
    unexpected = pl.DataFrame(keys, schema={"date": pl.Utf8, "subject": pl.Utf8}, orient="row").unique()
    return frame.join(unexpected.with_columns(pl.col("date").str.to_date()), on=["date", "subject"], how="semi")


def validate(frames: dict[Expectation, pl.DataFrame], reports_dir: Path) -> list[Outcome]:
    """Run one GX suite per expectation and rebuild the Data Docs site in <reports_dir>/data_docs, offline-ready."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx  # slow to import (about 12 s): only runs that check pay for it
    from great_expectations.data_context.types.base import ProgressBarsConfig

    reports_dir.mkdir(parents=True, exist_ok=True)
    # Each run validates in a GX project of its own and then swaps the finished Data Docs site into place:
    # two runs sharing one mutable GX folder (two `uec refresh`, or one beside the daemon's run) read each
    # other's half-written suite files.
    with tempfile.TemporaryDirectory(prefix=".gx-run-", dir=reports_dir) as project:
        outcomes = _validate(gx, ProgressBarsConfig, frames, Path(project))
        make_offline(Path(project) / "data_docs")
        _publish(Path(project) / "data_docs", reports_dir / "data_docs")
    return outcomes


def _publish(built: Path, site: Path) -> None:
    """Replace the Data Docs site with a newly built one by renames, so a reader never sees half a site."""
    old = site.with_name(f".{site.name}.old-{os.getpid()}")
    incoming = site.with_name(f".{site.name}.new-{os.getpid()}")
    shutil.move(str(built), incoming)
    # Two runs finishing together take turns at the two renames only (milliseconds), never at validating.
    with open(site.with_name(f".{site.name}.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if site.exists():
            site.rename(old)
        incoming.rename(site)
    shutil.rmtree(old, ignore_errors=True)


def _validate(gx, progress_bars, frames: dict[Expectation, pl.DataFrame], reports_dir: Path) -> list[Outcome]:
    context = gx.get_context(mode="file", project_root_dir=str(reports_dir))
    context.variables.progress_bars = progress_bars(globally=False)
    context.update_data_docs_site(
        "local_site",
        {
            "class_name": "SiteBuilder",
            "store_backend": {
                "class_name": "TupleFilesystemStoreBackend",
                "base_directory": str(reports_dir / "data_docs"),
            },
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        },
    )
    source = context.data_sources.add_or_update_pandas("uec_warehouse")
    definitions = []
    for expectation in frames:
        asset = source.add_dataframe_asset(expectation.suite_name)
        suite = context.suites.add_or_update(
            gx.ExpectationSuite(
                name=expectation.suite_name,
                expectations=_gx_expectations(gx, expectation),
                meta={"notes": expectation.description},
            )
        )
        definitions.append(
            context.validation_definitions.add_or_update(
                gx.ValidationDefinition(
                    name=expectation.suite_name,
                    data=asset.add_batch_definition_whole_dataframe("days"),
                    suite=suite,
                )
            )
        )
    outcomes = []
    for expectation, definition in zip(frames, definitions):
        frame = frames[expectation]
        result = definition.run(
            batch_parameters={"dataframe": frame.with_columns(pl.col("date").cast(pl.Utf8)).to_pandas()},
            result_format={"result_format": "COMPLETE", "unexpected_index_column_names": INDEX_COLUMNS},
        )
        evaluated = frame.height
        if expectation.kind == "within_trailing_bounds":
            evaluated = frame.filter(pl.col("lower_bound").is_not_null()).height
        outcomes.append(Outcome(expectation, bool(result.success), frame, _failing(frame, result), evaluated))
    context.build_data_docs()
    return outcomes
