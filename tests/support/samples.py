"""Warehouses built from the bundled sample files (data_samples/landing): one range of days, or the whole range once
per test run, shared by the xdist workers."""

from __future__ import annotations

import fcntl
import shutil
from pathlib import Path

import pytest

from pipelines.ingest.pseudonymise import KEY_ENV
from tests.support.warehouse import TEST_KEY, Env

SAMPLES = Path(__file__).resolve().parents[2] / "data_samples" / "landing"
# The bundled samples' whole range (data_samples/generate.py), for the tests that check every day of it.
SAMPLE_RANGE = ("2024-12-01", "2025-03-31")


def sample_env(root: Path, first: str, last: str, brief: bool = False) -> Env:
    """A warehouse built from the bundled samples for a range of days, as one run (for module fixtures)."""
    env = Env(root)
    env.landing.symlink_to(SAMPLES, target_is_directory=True)
    # Module fixtures run outside the per-test key fixture.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(KEY_ENV, TEST_KEY)
        env.materialize(first, last, brief=brief)
    return env


def shared_whole_samples(shared: Path) -> Env:
    """The whole sample range built once under `shared`, a folder every xdist worker of the run sees: the first
    worker to ask builds it while the others wait on the lock, so two cores never build it twice."""
    root = shared / "whole_samples"
    with (shared / "whole_samples.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (root / "built").exists():
            shutil.rmtree(root, ignore_errors=True)  # a worker that failed part-way
            root.mkdir()
            sample_env(root, *SAMPLE_RANGE)
            (root / "built").touch()
    return Env(root)
