"""`uec refresh`: run days through the persistent Dagster instance, show progress, end with a summary."""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import cast

import dagster as dg

from pipelines.ingest.landing import list_folder
from pipelines.instance import data_docs_url, innermost_error, persistent_instance, process_tags
from pipelines.metadata import file_url
from pipelines.resources import default_resources
from pipelines.storage.record_changes import describe, record_changes
from pipelines.storage.warehouse import connect, sql, warehouse_path
from schemas import catalogue
from schemas.registry import load_feed_layouts

Print = Callable[[str], None]
PROGRESS_EVENTS = {
    dg.DagsterEventType.STEP_SUCCESS,
    dg.DagsterEventType.STEP_FAILURE,
    dg.DagsterEventType.ASSET_MATERIALIZATION,
    dg.DagsterEventType.ASSET_CHECK_EVALUATION,
}
QUIET_LOGGERS = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}


@dataclass
class Progress:
    """Prints each step as it finishes by reading the run's events from the instance."""

    run_id: str
    out: Print
    cursor: str | None = None
    assets_in_step: dict[str, list[str]] = field(default_factory=dict)
    rows_in_step: dict[str, int] = field(default_factory=dict)

    def poll(self, instance: dg.DagsterInstance) -> None:
        while True:
            page = instance.get_records_for_run(self.run_id, cursor=self.cursor, of_type=PROGRESS_EVENTS)
            for record in page.records:
                self._show(record.event_log_entry.get_dagster_event())
            self.cursor = page.cursor
            if not page.has_more:
                return

    def _show(self, event: dg.DagsterEvent) -> None:
        step = event.step_key or ""
        kind = event.event_type
        if kind == dg.DagsterEventType.ASSET_MATERIALIZATION:
            materialization = event.materialization
            name = materialization.asset_key.to_user_string()
            if "rebuilt_by_the_run_for" in materialization.metadata:
                # docs/domain.md §7.1: this run's files carry records placed on another day, so that day moved too.
                self.out(f"  also rebuilt {name} for {materialization.partition}: this run's files carry its records")
                return
            if name not in self.assets_in_step.setdefault(step, []):
                self.assets_in_step[step].append(name)
            rows = materialization.metadata.get("dagster/row_count")
            if rows is not None and name.startswith("raw/"):
                self.rows_in_step[step] = cast(int, rows.value)
        elif kind == dg.DagsterEventType.STEP_SUCCESS:
            names = ", ".join(self.assets_in_step.get(step, [])) or step
            loaded = f", {self.rows_in_step[step]:,} rows loaded" if step in self.rows_in_step else ""
            self.out(f"  ok  {names} ({event.step_success_data.duration_ms / 1000:.1f} s{loaded})")
        elif kind == dg.DagsterEventType.STEP_FAILURE:
            self.out(f"  FAILED {step}: {plain_reason(event.step_failure_data.error) or 'see the Dagster UI'}")
        elif kind == dg.DagsterEventType.ASSET_CHECK_EVALUATION and not event.asset_check_evaluation_data.passed:
            check = event.asset_check_evaluation_data
            line = f"  CHECK FAILED {check.asset_key.to_user_string()} {check.check_name}: {check.description or ''}"
            self.out(line.rstrip(": "))


def _watch(progress: Progress, done: threading.Event, instance: dg.DagsterInstance) -> None:
    while not done.wait(0.5):
        progress.poll(instance)
    progress.poll(instance)


def refresh(first: date, last: date, feed: str | None, out: Print = print) -> int:
    """Materialise the days (one run for a range) and return the process exit status."""
    from pipelines.definitions import defs  # loading every asset is slow: only when a run is asked for
    from pipelines.instance import PUBLISHED_KEY, written_brief, written_report

    instance = persistent_instance()
    job = defs.resolve_job_def("daily_refresh" if feed is None else f"refresh_{feed}")
    run_id = str(uuid.uuid4())
    days = f"{first}" if first == last else f"{first} to {last}"
    tags = {"uec/trigger": "uec refresh", **process_tags()}
    if first != last:
        tags |= {
            "dagster/asset_partition_range_start": first.isoformat(),
            "dagster/asset_partition_range_end": last.isoformat(),
        }
    out(f"Refreshing {feed or 'every feed'} for {days} (run {run_id} on the instance in {instance.root_directory}).")
    progress = Progress(run_id, out)
    done = threading.Event()
    # A separate instance object for the watcher: the run's own one is busy writing in this thread.
    watcher = threading.Thread(target=_watch, args=(progress, done, persistent_instance()), daemon=True)
    watcher.start()
    try:
        result = job.execute_in_process(
            instance=instance,
            run_id=run_id,
            tags=tags,
            raise_on_error=False,
            run_config=QUIET_LOGGERS,
            partition_key=first.isoformat() if first == last else None,
        )
    finally:
        done.set()
        watcher.join()
    failed_checks = [e for e in result.get_asset_check_evaluations() if not e.passed]
    _summary(first, last, feed, failed_checks, out)
    if brief := written_brief(result):
        out(f"\nMorning brief for {brief['day']}: {file_url(brief['brief'])}")
    if docs := data_docs_url(result):
        out(f"Data Docs (great-expectations, what passed and failed): {docs}")
    if published := written_report(result, PUBLISHED_KEY):
        out(f"Marts published for readers ({published['tables']} tables): {published['reader_database']}")
    return _verdict(result, failed_checks, out)


def _verdict(result: dg.ExecuteInProcessResult, failed_checks: list[dg.AssetCheckEvaluation], out: Print) -> int:
    if not result.success:
        failures = [e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE]
        first = failures[0] if failures else None
        reason = plain_reason(first.step_failure_data.error if first else None) or "see the run in the Dagster UI"
        out(f"\nRefresh FAILED at {first.step_key if first else 'start-up'}: {reason}")
        out(
            "Steps after it did not run for these days; what had already finished is kept. Fix the cause and run "
            "the same command again."
        )
        return 1
    errors = [e for e in failed_checks if e.severity == dg.AssetCheckSeverity.ERROR]
    if errors:
        out(f"\nRefresh finished, but {len(errors)} check(s) failed, so some figures are incomplete:")
        for check in errors:
            out(
                f"  - {check.asset_key.to_user_string()} {check.check_name}: "
                f"{check.description or 'see the Dagster UI'}"
            )
        return 1
    out(
        "\nRefresh finished: every step ran and every check passed."
        if not failed_checks
        else "\nRefresh finished; only warnings failed (listed above)."
    )
    return 0


def _summary(first: date, last: date, feed: str | None, failed_checks: list, out: Print) -> None:
    path = warehouse_path()
    if not Path(path).exists():
        return
    with connect(path, read_only=True, timeout_seconds=600) as conn:
        files = conn.sql(
            "select feed, provider_code, count(*) as files, sum(rows_read) as read, sum(rows_loaded) as loaded, "
            "sum(rows_quarantined) as quarantined, sum(rows_with_unknown_values) as unknown, "
            "sum(rows_duplicate) as duplicate from ops.source_files "
            "where partition_date between $first and $last and ($feed is null or feed = $feed) group by all order "
            "by all",
            params={"first": first, "last": last, "feed": feed},
        ).fetchall()
        rejected = conn.sql(
            "select feed, provider_code, file_name, reason from ops.rejected_files "
            "where partition_date between $first and $last and ($feed is null or feed = $feed) order by all",
            params={"first": first, "last": last, "feed": feed},
        ).fetchall()
        headlines = conn.sql(sql("headline_figures"), params={"day": last}).fetchall()
        changes = record_changes(conn, first, last)
        if feed:
            changes = changes.filter(changes["feed"] == feed)
    out(
        f"\nRows per provider, {first} to {last} (rows read = loaded + quarantined + duplicate rows ignored; "
        "some loaded rows have a value set to unknown):"
    )
    for name, provider, n, read, loaded, quarantined, unknown, duplicate in files:
        out(
            f"  {name:<20} {provider:<4} {n:>3} file(s) {read:>9,} read {loaded:>9,} loaded {quarantined:>6,} "
            f"quarantined {unknown or 0:>6,} with a value unknown {duplicate or 0:>4,} duplicate rows ignored"
        )
    for name, provider, file_name, reason in rejected:
        out(f"  {name:<20} {provider:<4} REJECTED {file_name}: {reason}")
    for change in changes.iter_rows(named=True):
        label = "WITHDRAWN" if change["kind"] == "withdrawn" else "RE-SENT WITH A FAULT"
        where = f"{change['feed']:<20} {change['provider_code']:<4}"
        out(f"  {where} {label} ({change['partition_date']}): {describe(change)}")
    for line in _not_loadable(feed):
        out(line)
    out(f"Checks failed: {len(failed_checks)}")
    for check in failed_checks:
        out(
            f"  {check.severity.value:<5} {check.asset_key.to_user_string()} {check.check_name}: "
            f"{(check.description or 'see the Dagster UI')[:200]}"
        )
    if headlines:
        out(f"\nHeadline figures for {last}:")
        for _, figure, value, unit in headlines:
            shown = "n/a" if value is None else f"{value:,.1f}{unit}" if unit else f"{value:.0f}"
            out(f"  {figure:<70} {shown:>10}")


def _not_loadable(feed: str | None) -> list[str]:
    """Landed files no layout will ever load (misnamed) and layouts that cannot be used, for the summary."""
    files = default_resources()["feed_files"]
    lines = []
    for name in [feed] if feed else catalogue.feed_names():
        configs, broken = load_feed_layouts(name, files.feeds_dir)
        for config in configs:
            if misnamed := list_folder(config, files.landing).unrecognised:
                lines.append(
                    f"  {name:<20} {config.provider_code:<4} NOT LOADED, not named as the layout expects: {misnamed} "
                    f"(file_pattern {config.file_pattern} in {config.config_path})"
                )
        lines += [f"  {name:<20} {b.provider_code:<4} LAYOUT UNUSABLE {b.path.name}: {b.reason}" for b in broken]
    return lines


def plain_reason(error) -> str | None:
    """The innermost cause's message, without Dagster's wrapper or the exception's class name."""
    error = innermost_error(error)
    if error is None or not error.message.strip():
        return None
    return re.sub(r"^[\w.]+: ", "", error.message.strip(), count=1)
