"""`uec status`: for one day, each feed and provider: received, late, loaded, quarantined, last run, checks."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import dagster as dg

from pipelines.ingest.freshness import arrival
from pipelines.instance import persistent_instance, runs_covering
from pipelines.resources import default_resources
from pipelines.warehouse import connect, warehouse_path
from schemas import catalogue
from schemas.clock import LONDON
from schemas.registry import load_feed_configs

Print = Callable[[str], None]


def _last_run(runs: list[dg.DagsterRun], feed: str) -> dg.DagsterRun | None:
    return next(
        (r for r in runs if r.job_name in ("daily_refresh", f"refresh_{feed}", "__ephemeral_asset_job__")), None
    )


def _failed_checks(instance: dg.DagsterInstance, run: dg.DagsterRun | None, feed: str) -> list[str]:
    if run is None:
        return []
    failed = []
    for entry in instance.all_logs(run.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION):
        check = entry.dagster_event.event_specific_data
        if not check.passed and check.asset_key == dg.AssetKey(["raw", feed]):
            failed.append(f"{check.check_name}: {check.description or 'see the Dagster UI'}")
    return failed


def status(day: date, out: Print = print, now: datetime | None = None) -> int:
    """Print the day's status; exit status 1 when anything expected is missing, late or failing."""
    now = now or datetime.now(LONDON)
    feed_files = default_resources()["feed_files"]
    instance = persistent_instance()
    runs = runs_covering(instance, day.isoformat())
    loaded = _loaded(day)
    out(f"Status for {day} (at {now:%Y-%m-%d %H:%M} London time; warehouse {warehouse_path()})")
    out(f"  {'feed':<20} {'provider':<8} {'received':<30} {'due by':<12} {'loaded':>8} {'quarant.':>8}  last run")
    problems = 0
    for feed in catalogue.feed_names():
        run = _last_run(runs, feed)
        run_text = f"{run.status.value.lower()} ({run.run_id[:8]})" if run else "none"
        for config in load_feed_configs(feed, feed_files.feeds_dir):
            came = arrival(config, feed_files.landing, day, now)
            due, late = came.due, came.is_problem
            received = {
                "not expected": "none (sent only when needed)",
                "missing": "MISSING, overdue",
                "not yet due": "not yet (not due)",
            }.get(came.state) or f"{came.files} file(s), first {came.first_extract:%d %b %H:%M}" + (
                " LATE" if late else ""
            )
            counts = loaded.get((feed, config.provider_code), {})
            rejected = counts.get("rejected", 0)
            problems += late or rejected > 0
            out(
                f"  {feed:<20} {config.provider_code:<8} {received:<30} {due:%d %b %H:%M}  "
                f"{counts.get('loaded', 0):>8,} {counts.get('quarantined', 0):>8,}  {run_text}"
            )
            if rejected:
                out(
                    f"      REJECTED {rejected} file(s): see ops.rejected_files, or `uec feeds check "
                    f"{config.provider_code} FILE`"
                )
        for failed in _failed_checks(instance, run, feed):
            problems += 1
            out(f"      CHECK FAILED on raw/{feed}: {failed}")
    out("All expected files received on time and loaded." if not problems else f"{problems} problem(s) listed above.")
    return 1 if problems else 0


def _loaded(day: date) -> dict[tuple[str, str], dict[str, int]]:
    path = warehouse_path()
    if not Path(path).exists():
        return {}
    counts: dict[tuple[str, str], dict[str, int]] = {}
    with connect(path, read_only=True, timeout_seconds=600) as conn:
        for feed, provider, loaded, quarantined in conn.execute(
            "select feed, provider_code, sum(rows_loaded), sum(rows_quarantined) from ops.source_files "
            "where partition_date = ? group by all",
            [day],
        ).fetchall():
            counts[(feed, provider)] = {"loaded": int(loaded), "quarantined": int(quarantined)}
        for feed, provider, n in conn.execute(
            "select feed, provider_code, count(*) from ops.rejected_files where partition_date = ? group by all", [day]
        ).fetchall():
            counts.setdefault((feed, provider), {})["rejected"] = int(n)
    return counts
