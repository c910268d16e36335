"""`uec status`: for one day, each feed and provider: received, late, loaded, quarantined, last run, checks."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import dagster as dg

from pipelines.ingest.freshness import arrival
from pipelines.ingest.landing import list_folder
from pipelines.instance import (
    RANGE_END,
    RANGE_START,
    check_failures_on,
    innermost_error,
    mark_if_abandoned,
    persistent_instance,
    runs_covering,
)
from pipelines.resources import default_resources
from pipelines.storage.record_changes import current_records, describe, record_changes
from pipelines.storage.warehouse import connect, warehouse_path
from schemas import catalogue
from schemas.clock import LONDON
from schemas.registry import load_feed_layouts

Print = Callable[[str], None]


def _last_run(instance: dg.DagsterInstance, runs: list[dg.DagsterRun], feed: str) -> dg.DagsterRun | None:
    run = next((r for r in runs if r.job_name in ("daily_refresh", f"refresh_{feed}", "__ephemeral_asset_job__")), None)
    return mark_if_abandoned(instance, run) if run else None


def _run_failure(instance: dg.DagsterInstance, run: dg.DagsterRun) -> str:
    """Which step failed and why, in the error's own first line (the innermost cause)."""
    for entry in instance.all_logs(run.run_id, of_type=dg.DagsterEventType.STEP_FAILURE):
        error = innermost_error(entry.get_dagster_event().step_failure_data.error)
        reason = error.message.strip().splitlines()[0] if error and error.message.strip() else "see the Dagster UI"
        return f"step {entry.get_dagster_event().step_key}: {reason}"
    failure = next(iter(instance.all_logs(run.run_id, of_type=dg.DagsterEventType.RUN_FAILURE)), None)
    return (failure.message if failure else None) or run.status.value.lower()


def status(day: date, out: Print = print, now: datetime | None = None) -> int:
    """Print the day's status; exit status 1 when anything expected is missing, late, rejected, failed or failing."""
    now = now or datetime.now(LONDON)
    feed_files = default_resources()["feed_files"]
    instance = persistent_instance()
    runs = runs_covering(instance, day.isoformat())
    loaded = _loaded(day)
    out(f"Status for {day} (at {now:%Y-%m-%d %H:%M} London time; warehouse {warehouse_path()})")
    # "counted": records counted on the day (the latest version of each; earlier re-sent versions are listed apart),
    # rows loaded for a feed without record versions. Quarantined rows are whole records not loaded;
    # "unknown": loaded with a value set to unknown (docs/domain.md §7.2);
    # "dup.": rows sent twice in one file, counted once (7.1).
    out(
        f"  {'feed':<20} {'provider':<8} {'received':<30} {'due by':<12} {'counted':>8} {'quarant.':>8} "
        f"{'unknown':>8} {'dup.':>5}  last run"
    )
    problems = 0
    failed_runs: dict[str, dg.DagsterRun] = {}
    for feed in catalogue.feed_names():
        run = _last_run(instance, runs, feed)
        run_text = f"{run.status.value.lower()} ({run.run_id[:8]})" if run else "none"
        configs, broken = load_feed_layouts(feed, feed_files.feeds_dir)
        for config in configs:
            came = arrival(config, feed_files.landing, day, now)
            due, late = came.due, came.is_problem
            received = {
                "not expected": "none (sent only when needed)",
                "inactive": "none (not active that day)",
                "missing": "MISSING, overdue",
                "not yet due": "not yet (not due)",
            }.get(came.state) or f"{came.files} file(s), first {came.first_extract:%d %b %H:%M}" + (
                " LATE" if late else " (inactive)" if came.state == "outside active dates" else ""
            )
            counts = loaded.get((feed, config.provider_code), {})
            rejected = counts.get("rejected", 0)
            problems += late or rejected > 0
            out(
                f"  {feed:<20} {config.provider_code:<8} {received:<30} {due:%d %b %H:%M}  "
                f"{counts.get('current', counts.get('loaded', 0)):>8,} {counts.get('quarantined', 0):>8,} "
                f"{counts.get('unknown', 0):>8,} "
                f"{counts.get('duplicate', 0):>5,}  {run_text}"
            )
            if counts.get("resent"):
                out(
                    f"      RE-SENT: {counts['resent']:,} earlier version(s) replaced by re-sent rows, not counted "
                    f"({counts.get('loaded', 0):,} rows loaded across the day's files)"
                )
            if rejected:
                out(
                    f"      REJECTED {rejected} file(s): see ops.rejected_files, or `uec feeds check "
                    f"{config.provider_code} FILE`"
                )
            for change in counts.get("changes", []):
                problems += change["kind"] == "resent_with_fault"
                label = "WITHDRAWN" if change["kind"] == "withdrawn" else "RE-SENT WITH A FAULT"
                out(f"      {label}: {describe(change)}")
            if misnamed := list_folder(config, feed_files.landing).unrecognised:
                problems += 1
                out(f"      NOT LOADED, named as the layout does not expect ({config.landing_dir}): {misnamed}")
        for layout in broken:
            problems += 1
            out(f"  {feed:<20} {layout.provider_code:<8} LAYOUT UNUSABLE {layout.path.name}: {layout.reason}")
        if run and run.status in (dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED):
            failed_runs[run.run_id] = run
    for run in failed_runs.values():
        problems += 1
        out(f"  RUN {run.status.value} ({run.run_id[:8]}) covering {day}: {_run_failure(instance, run)}")
    for failure in check_failures_on(instance, day.isoformat(), runs):
        problems += 1
        first, last = failure.run.tags.get(RANGE_START), failure.run.tags.get(RANGE_END)
        detail = (
            f"failed on {day} in a run over {first} to {last}"
            if first and first != last
            else failure.description or "see the Dagster UI"
        )
        out(f"  CHECK FAILED {failure.asset} {failure.check_name}: {detail}")
    out("All expected files received on time and loaded." if not problems else f"{problems} problem(s) listed above.")
    return 1 if problems else 0


def _loaded(day: date) -> dict[tuple[str, str], dict]:
    path = warehouse_path()
    if not Path(path).exists():
        return {}
    counts: dict[tuple[str, str], dict[str, Any]] = {}
    with connect(path, read_only=True, timeout_seconds=600) as conn:
        for feed, provider, loaded, quarantined, unknown, duplicate in conn.execute(
            "select feed, provider_code, sum(rows_loaded), sum(rows_quarantined), sum(rows_with_unknown_values), "
            "sum(rows_duplicate) from ops.source_files where partition_date = ? group by all",
            [day],
        ).fetchall():
            counts[(feed, provider)] = {
                "loaded": int(loaded),
                "quarantined": int(quarantined),
                "unknown": int(unknown or 0),
                "duplicate": int(duplicate or 0),
            }
        for feed, provider, n in conn.execute(
            "select feed, provider_code, count(*) from ops.rejected_files where partition_date = ? group by all", [day]
        ).fetchall():
            counts.setdefault((feed, provider), {})["rejected"] = int(n)
        # Records counted on the day, re-sent versions apart: every file's rows summed counted a re-send twice.
        for row in current_records(conn, day).iter_rows(named=True):
            entry = counts.setdefault((row["feed"], row["provider_code"]), {})
            entry["current"], entry["resent"] = row["records_current"], row["versions_resent"]
        for change in record_changes(conn, day).iter_rows(named=True):
            counts.setdefault((change["feed"], change["provider_code"]), {}).setdefault("changes", []).append(change)
    return counts
