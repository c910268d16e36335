"""Read each expectation's frame from DuckDB, validate it with great-expectations, build the Data Docs site."""

from __future__ import annotations

import fcntl
import html
import json
import os
import re
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any, cast
from urllib.parse import quote

import duckdb
import polars as pl

from pipelines.quality.data_docs_offline import make_offline
from pipelines.settings import disable_gx_analytics
from pipelines.storage.warehouse import sql
from schemas.expectations import HISTORY_DAYS, MIN_BAND, MIN_HISTORY_DAYS, Expectation
from schemas.registry import FeedConfig

# Every frame carries these, so a failing row names its day and its site, trust, source or provider.
INDEX_COLUMNS = ["date", "subject"]
# Every run's results and suites, kept beside the site (reports/.data_docs_store) so each build shows them all:
# a run that replaced the site with its own results alone left the 12:45 OPEL run's site without the morning's
# ED and handover failures.
STORE = ".data_docs_store"
# GX's folders for them inside a project, and in the store.
RESULTS, SUITES = Path("gx/uncommitted/validations"), Path("gx/expectations")
# How long results are kept: a month of briefs can still follow their link.
KEEP_DAYS = 35
# A run's name is the days it validated, so the site lists "2025-03-31" rather than a timestamp.
RUN_NAME = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:_to_(\d{4}-\d{2}-\d{2}))?$")
# The page the brief links: every suite's latest result for its own day.
DAYS_DIR = "days"


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
        assert expectation.series_sql is not None  # within_trailing_bounds() names its series
        query = f"with series as ({sql(expectation.series_sql)}) {sql('expect_within_trailing_bounds')}"
        return conn.sql(
            query,
            params={
                **window,
                "history_start": history_start,
                "history_days": HISTORY_DAYS,
                "min_history_days": MIN_HISTORY_DAYS,
                "min_band": MIN_BAND,
            },
        ).pl()
    if expectation.kind == "provider_present":
        files = conn.sql(sql("expect_provider_files"), params={**window, "feed": expectation.feed}).pl()
        days = pl.date_range(first, last, "1d", eager=True).to_list()
        # Only the days each layout expects a file: not before its active_from, after its active_to (domain.md §7.5).
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
        # A day without enough history has no bounds yet: it is listed, not judged.
        pair = partial(
            gx.expectations.ExpectColumnPairValuesAToBeGreaterThanB,
            or_equal=True,
            ignore_row_if="either_value_is_missing",
        )
        return [
            pair(column_A="value", column_B="lower_bound", meta={"notes": "at or above the lower bound"}),
            pair(column_A="upper_bound", column_B="value", meta={"notes": "at or below the upper bound"}),
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


def run_name(first: date, last: date) -> str:
    """The name a run's results carry in Data Docs: its day, or its first and last day."""
    return first.isoformat() if first == last else f"{first.isoformat()}_to_{last.isoformat()}"


def day_page(day: date) -> str:
    """Where, inside the Data Docs site, the results for one day are listed (the brief links it)."""
    return f"{DAYS_DIR}/{day.isoformat()}.html"


def validate(
    frames: dict[Expectation, pl.DataFrame], reports_dir: Path, days: tuple[date, date] | None = None
) -> list[Outcome]:
    """Run one GX suite per expectation and rebuild the Data Docs site in <reports_dir>/data_docs, offline-ready,
    with every earlier run's latest result per suite and day kept beside this run's."""
    disable_gx_analytics()
    import great_expectations as gx  # slow to import (about 12 s): only runs that check pay for it
    from great_expectations.data_context.types.base import ProgressBarsConfig

    reports_dir.mkdir(parents=True, exist_ok=True)
    # Each run validates in a GX project of its own and then swaps the finished Data Docs site into place:
    # two runs sharing one mutable GX folder (two `uec refresh`, or one beside the daemon's run) read each
    # other's half-written suite files.
    with tempfile.TemporaryDirectory(prefix=".gx-run-", dir=reports_dir) as project:
        # The run's days name its results; without them, the days the frames hold.
        dated = [d for f in frames.values() for d in (f["date"].min(), f["date"].max()) if d is not None]
        first, last = days or ((min(dated), max(dated)) if dated else (None, None))
        name = run_name(cast(date, first), cast(date, last)) if first else None  # dates: from date columns
        context, outcomes = _validate(gx, ProgressBarsConfig, frames, Path(project), name)
        site = reports_dir / "data_docs"
        # Two runs finishing together take turns from here: each merges the other's results, never drops them.
        with open(site.with_name(f".{site.name}.lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            _merge_store(reports_dir / STORE, Path(project))
            context.build_data_docs()
            make_offline(Path(project) / "data_docs")
            _write_day_pages(Path(project))
            _save_store(Path(project), reports_dir / STORE)
            _publish(Path(project) / "data_docs", site)
    return outcomes


def _results(root: Path) -> list[tuple[str, str, str, Path]]:
    """Each validation result JSON under root: (suite folder, run name, run time, path)."""
    out = []
    for path in root.rglob("*.json"):
        parts = path.relative_to(root).parts
        if len(parts) >= 4:
            out.append(("/".join(parts[:-3]), parts[-3], parts[-2], path))
    return out


def _merge_store(store: Path, project: Path) -> None:
    """Bring every kept result and suite into this run's project, keeping per suite and run name only the latest
    run (this one's, where it validated the same days), and none whose days are more than KEEP_DAYS old."""
    if (store / "expectations").is_dir():
        # This run's suites win where it has them: they are the definitions now in force.
        _copy_missing(store / "expectations", project / SUITES)
    if (store / "validations").is_dir():
        _copy_missing(store / "validations", project / RESULTS)
    latest: dict[tuple[str, str], str] = {}
    results = _results(project / RESULTS)
    last_days = {}
    for suite, name, time, _ in results:
        latest[(suite, name)] = max(time, latest.get((suite, name), time))
        match = RUN_NAME.match(name)
        last_days[name] = (match.group(2) or match.group(1)) if match else ""
    # Counted back from the newest day validated, not the clock: a re-run of last year's days keeps its own.
    newest = max(last_days.values(), default="")
    oldest = (date.fromisoformat(newest) - timedelta(days=KEEP_DAYS)).isoformat() if newest else ""
    for suite, name, time, path in results:
        if time != latest[(suite, name)] or last_days[name] < oldest:
            shutil.rmtree(path.parent, ignore_errors=True)


def _copy_missing(source: Path, target: Path) -> None:
    for path in source.rglob("*"):
        if path.is_file() and not (target / path.relative_to(source)).exists():
            (target / path.relative_to(source)).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target / path.relative_to(source))


def _save_store(project: Path, store: Path) -> None:
    """Keep what this build showed for the next run, swapped in whole."""
    incoming = store.with_name(f"{store.name}.new-{os.getpid()}")
    shutil.rmtree(incoming, ignore_errors=True)
    shutil.copytree(project / RESULTS, incoming / "validations")
    shutil.copytree(project / SUITES, incoming / "expectations")
    old = store.with_name(f"{store.name}.old-{os.getpid()}")
    if store.exists():
        store.rename(old)
    incoming.rename(store)
    shutil.rmtree(old, ignore_errors=True)


def _write_day_pages(project: Path) -> None:
    """One page per day: each suite's latest result whose days include it, passed or failed, linking its page."""
    site = project / "data_docs"
    by_day: dict[date, dict[str, tuple[str, str, Path, bool]]] = {}
    for suite, name, time, path in _results(project / RESULTS):
        match = RUN_NAME.match(name)
        if not match:
            continue
        first = date.fromisoformat(match.group(1))
        last = date.fromisoformat(match.group(2) or match.group(1))
        passed = bool(json.loads(path.read_text(encoding="utf-8")).get("success"))
        page = site / "validations" / suite / name / time / path.with_suffix(".html").name
        for n in range((last - first).days + 1):
            day = first + timedelta(days=n)
            kept = by_day.setdefault(day, {}).get(suite)
            if kept is None or time > kept[0]:
                by_day[day][suite] = (time, name, page, passed)
    (site / DAYS_DIR).mkdir(parents=True, exist_ok=True)
    for day, suites in by_day.items():
        rows = []
        for suite, (time, name, page, passed) in sorted(suites.items(), key=lambda kv: (kv[1][3], kv[0])):
            link = quote(os.path.relpath(page, site / DAYS_DIR))
            when = datetime.strptime(time, "%Y%m%dT%H%M%S.%fZ").replace(tzinfo=UTC)
            rows.append(
                f'<tr data-suite="{html.escape(suite)}" data-passed="{str(passed).lower()}">'
                f'<td><a href="{link}">{html.escape(suite.replace("/", "."))}</a></td>'
                f"<td>{'Passed' if passed else '<strong>Failed</strong>'}</td>"
                f"<td>{html.escape(name.replace('_to_', ' to '))}</td><td>{when:%d %b %Y %H:%M} UTC</td></tr>"
            )
        (site / day_page(day)).write_text(
            '<!DOCTYPE html>\n<html lang="en-GB"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>Data-quality results for {day:%A %d %B %Y}</title>"
            '<link rel="stylesheet" href="../static/vendor/bootstrap@4.3.1/bootstrap.min.css"></head>'
            f'<body class="container"><h1 class="h3 my-3">Data-quality results for {day:%A %d %B %Y}</h1>'
            "<p>Each check's latest result for this day, from whichever run last validated it (failed first). "
            '<a href="../index.html">Every result, every day</a>.</p>'
            '<table class="table table-sm"><thead><tr><th scope="col">Suite</th><th scope="col">Result</th>'
            '<th scope="col">Days the run validated</th><th scope="col">Run at</th></tr></thead><tbody>'
            + "".join(rows)
            + "</tbody></table></body></html>\n",
            encoding="utf-8",
        )


def _publish(built: Path, site: Path) -> None:
    """Replace the Data Docs site with a newly built one by renames, so a reader never sees half a site."""
    old = site.with_name(f".{site.name}.old-{os.getpid()}")
    incoming = site.with_name(f".{site.name}.new-{os.getpid()}")
    shutil.move(str(built), incoming)
    # The caller holds the site's lock: a reader sees the old site or the new one, never half of one.
    if site.exists():
        site.rename(old)
    incoming.rename(site)
    shutil.rmtree(old, ignore_errors=True)


def _validate(
    gx, progress_bars, frames: dict[Expectation, pl.DataFrame], reports_dir: Path, name: str | None = None
) -> tuple[Any, list[Outcome]]:
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
    from great_expectations.core.run_identifier import RunIdentifier

    outcomes = []
    run_time = datetime.now(UTC)
    for expectation, definition in zip(frames, definitions):
        frame = frames[expectation]
        result = definition.run(
            batch_parameters={"dataframe": frame.with_columns(pl.col("date").cast(pl.Utf8)).to_pandas()},
            result_format={"result_format": "COMPLETE", "unexpected_index_column_names": INDEX_COLUMNS},
            run_id=RunIdentifier(run_name=name, run_time=run_time),
        )
        evaluated = frame.height
        if expectation.kind == "within_trailing_bounds":
            evaluated = frame.filter(pl.col("lower_bound").is_not_null()).height
        outcomes.append(Outcome(expectation, bool(result.success), frame, _failing(frame, result), evaluated))
    return context, outcomes
