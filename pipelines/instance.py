"""The persistent Dagster instance in .dagster/ that the UI, the daemon and `uec` share."""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg

from pipelines.resources import REPO_ROOT


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
