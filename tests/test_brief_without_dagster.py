"""The brief, its exports and the published marts load without the Dagster runtime, so they run and test alone."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from datetime import date

import pipelines.brief
from pipelines import REPO_ROOT
from pipelines.brief.problems import FailedCheck, Problem, check_problems


def test_the_brief_and_publish_never_import_dagster():
    modules = [f"pipelines.brief.{m.name}" for m in pkgutil.iter_modules(pipelines.brief.__path__)]
    assert {"pipelines.brief.data", "pipelines.brief.render", "pipelines.brief.exports"} <= set(modules)
    # A fresh interpreter: this one has Dagster loaded already, by the fixtures and the other tests.
    script = "\n".join(
        [
            "import sys",
            *(f"import {m}" for m in [*modules, "pipelines.storage.publish"]),
            "runtime = ('dagster', 'pipelines.instance', 'pipelines.resources', 'pipelines.definitions')",
            "print(sorted(m for m in sys.modules if m in runtime or m.startswith('dagster.')))",
        ]
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO_ROOT, capture_output=True, text=True, check=True, timeout=120
    )
    assert result.stdout.strip() == "[]", (
        f"The Dagster runtime loaded by the brief or publish: {result.stdout.strip()[:500]}"
    )


def test_failed_checks_reach_the_brief_as_plain_data():
    day = date(2025, 1, 20)
    failed = [
        FailedCheck("raw/ed_attendances", "rows_pass_the_contract", "ERROR", "3 rows failed"),
        FailedCheck("marts/ed_four_hour_daily", "no_gaps", "WARN", "RTG missing", "2025-01-20", "2025-01-20"),
        FailedCheck("marts/opel_daily", "within_trailing_bounds", "ERROR", "every day", "2025-01-14", "2025-01-20"),
        FailedCheck("warehouse/summary", "no_gaps", "WARN", ""),
    ]
    assert check_problems(failed, day) == [
        # The strip already lists the contract's failures per provider: not repeated as a check.
        Problem("ed_attendances", None, "check failed", "WARN marts/ed_four_hour_daily: no_gaps: RTG missing"),
        # A range run's description is about all its days: only that it failed on this one.
        Problem(
            "opel_submissions",
            None,
            "check failed",
            "ERROR marts/opel_daily: within_trailing_bounds (failed on 2025-01-20 in a run over 2025-01-14 to "
            "2025-01-20)",
        ),
        Problem("", None, "check failed", "WARN warehouse/summary: no_gaps"),
    ]
