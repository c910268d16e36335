"""The brief, its exports and the published marts load without the Dagster runtime, so they run and test alone."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import pipelines.brief
from pipelines import REPO_ROOT


def test_the_brief_and_publish_never_import_dagster():
    modules = [f"pipelines.brief.{m.name}" for m in pkgutil.iter_modules(pipelines.brief.__path__)]
    assert {"pipelines.brief.data", "pipelines.brief.render", "pipelines.brief.exports"} <= set(modules)
    # A fresh interpreter: this one has Dagster loaded already, by the fixtures and the other tests.
    script = "\n".join(
        [
            "import sys",
            *(f"import {m}" for m in [*modules, "pipelines.publish"]),
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
