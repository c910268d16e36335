"""The persistent Dagster instance in .dagster/ that the UI, the daemon and `uec` share."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import dagster as dg

from pipelines import REPO_ROOT
from pipelines.settings import export_dagster_home


def persistent_instance() -> dg.DagsterInstance:
    """The instance in DAGSTER_HOME, defaulting to .dagster/ linked to the repo's dagster.yaml."""
    home = export_dagster_home()
    config = Path(home) / "dagster.yaml"
    if not config.exists():
        config.parent.mkdir(parents=True, exist_ok=True)
        config.symlink_to(REPO_ROOT / "dagster.yaml")
    return dg.DagsterInstance.get()


RANGE_START, RANGE_END = "dagster/asset_partition_range_start", "dagster/asset_partition_range_end"
BRIEF_KEY = dg.AssetKey(["reports", "morning_brief"])
PUBLISHED_KEY = dg.AssetKey(["reports", "published_marts"])


def runs_covering(instance: dg.DagsterInstance, day: str, limit: int = 500) -> list[dg.DagsterRun]:
    """Recent runs whose partition, or partition range, includes the day (newest first)."""
    return [
        run
        for run in instance.get_runs(limit=limit)
        if run.tags.get("dagster/partition") == day
        or (RANGE_START in run.tags and run.tags[RANGE_START] <= day <= run.tags[RANGE_END])
    ]


def written_brief(result: dg.ExecuteInProcessResult) -> dict | None:
    """The metadata (day, brief, workbook) of the brief a run wrote, for the command line to print; None if none."""
    return written_report(result, BRIEF_KEY)


def written_report(result: dg.ExecuteInProcessResult, key: dg.AssetKey) -> dict | None:
    """The metadata of a report asset (the brief, the published marts) a run wrote; None if it wrote none."""
    for event in result.get_asset_materialization_events():
        materialization = event.step_materialization_data.materialization
        if materialization.asset_key == key:
            return {k: v.value for k, v in materialization.metadata.items()}
    return None


def data_docs_url(result: dg.ExecuteInProcessResult) -> str | None:
    """The link to the Data Docs site a run's great-expectations checks built (its served address, else its file://
    URL); None if they did not run."""
    for evaluation in result.get_asset_check_evaluations():
        if "data_docs" in evaluation.metadata:
            return cast(str, evaluation.metadata["data_docs"].value)
    return None


# `uec refresh` runs in its own process outside the daemon: it tags its runs with where it runs, so a run
# whose process died (killed, machine restarted) can be told apart from one still going.
PID_TAG, HOST_TAG = "uec/pid", "uec/host"
UNFINISHED = {dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.NOT_STARTED}


def process_tags() -> dict[str, str]:
    return {PID_TAG: str(os.getpid()), HOST_TAG: socket.gethostname()}


def mark_if_abandoned(instance: dg.DagsterInstance, run: dg.DagsterRun) -> dg.DagsterRun:
    """A started run whose `uec` process no longer exists is reported failed (the daemon's monitor does the rest)."""
    pid, host = run.tags.get(PID_TAG), run.tags.get(HOST_TAG)
    if run.status not in UNFINISHED or not pid or host != socket.gethostname():
        return run
    try:
        os.kill(int(pid), 0)
        return run
    except ProcessLookupError:
        pass
    except PermissionError:
        return run  # alive, another user's
    instance.report_run_failed(run, message=f"The process running it (pid {pid}) is gone: it was killed or stopped.")
    return instance.get_run_by_id(run.run_id) or run


@dataclass(frozen=True)
class CheckFailure:
    asset: str
    check_name: str
    severity: dg.AssetCheckSeverity
    description: str
    run: dg.DagsterRun


def check_failures_on(
    instance: dg.DagsterInstance, day: str, runs: list[dg.DagsterRun] | None = None
) -> list[CheckFailure]:
    """Checks whose latest evaluation, among the runs covering the day, failed on that day itself.

    A range run's check fails if any of its days fails; its metadata names those days (failing_days), so a
    clean day inside the range is not reported for another day's problem.
    """
    from pipelines.metadata import FAILING_DAYS

    latest: dict[tuple[str, str], tuple[dg.AssetCheckEvaluation, dg.DagsterRun]] = {}
    for run in runs if runs is not None else runs_covering(instance, day):  # newest first: the first seen wins
        for entry in instance.all_logs(run.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION):
            check = entry.get_dagster_event().asset_check_evaluation_data
            latest.setdefault((check.asset_key.to_user_string(), check.check_name), (check, run))
    failures = []
    for (asset, name), (check, run) in sorted(latest.items()):
        if check.passed:
            continue
        named = check.metadata.get(FAILING_DAYS)
        if named is not None and named.value and day not in cast(str, named.value).split(", "):
            continue
        failures.append(CheckFailure(asset, name, check.severity, check.description or "", run))
    return failures


def failed_checks_on(instance: dg.DagsterInstance, day: str) -> list:
    """The checks that failed on the day (check_failures_on) as the brief's plain FailedCheck: the brief never
    imports Dagster."""
    # Imported here: the brief's modules load polars, which most users of this module never need.
    from pipelines.brief.problems import FailedCheck

    return [
        FailedCheck(
            failure.asset,
            failure.check_name,
            "ERROR" if failure.severity == dg.AssetCheckSeverity.ERROR else "WARN",
            failure.description,
            failure.run.tags.get(RANGE_START),
            failure.run.tags.get(RANGE_END),
        )
        for failure in check_failures_on(instance, day)
    ]


def innermost_error(error):
    """The cause Dagster wrapped ("Error occurred while executing op …"): what the analyst needs to read."""
    while error is not None and error.cause is not None:
        error = error.cause
    return error
