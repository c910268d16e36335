"""The persistent Dagster instance in .dagster/ that the UI, the daemon and `uec` share."""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg

from pipelines import REPO_ROOT


def persistent_instance() -> dg.DagsterInstance:
    """The instance in DAGSTER_HOME, defaulting to .dagster/ linked to the repo's dagster.yaml."""
    home = os.environ.get("DAGSTER_HOME")
    if not home:
        home = str(REPO_ROOT / ".dagster")
        os.environ["DAGSTER_HOME"] = home
    config = Path(home) / "dagster.yaml"
    if not config.exists():
        config.parent.mkdir(parents=True, exist_ok=True)
        config.symlink_to(REPO_ROOT / "dagster.yaml")
    return dg.DagsterInstance.get()


RANGE_START, RANGE_END = "dagster/asset_partition_range_start", "dagster/asset_partition_range_end"
BRIEF_KEY = dg.AssetKey(["reports", "morning_brief"])


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
    for event in result.get_asset_materialization_events():
        materialization = event.step_materialization_data.materialization
        if materialization.asset_key == BRIEF_KEY:
            return {k: v.value for k, v in materialization.metadata.items()}
    return None
