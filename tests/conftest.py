"""Pytest's fixtures and hooks for every test module: a private Env per test, the pseudonymisation key, the
whole-samples warehouse, and the order files are handed to xdist workers. Helpers live in tests/support/."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pipelines.ingest.pseudonymise import KEY_ENV
from tests.support.samples import SAMPLE_RANGE, sample_env, shared_whole_samples
from tests.support.warehouse import TEST_KEY, Env

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")


@pytest.fixture(scope="session")
def whole_samples(tmp_path_factory) -> Env:
    """A warehouse built from every sample day as one run (about a minute), built once and only read after.

    Each xdist worker has a session of its own: the first worker to ask builds it in the run's shared
    temporary folder while the others wait on the lock, so two cores never build it twice.
    """
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return sample_env(tmp_path_factory.mktemp("whole_samples"), *SAMPLE_RANGE)
    return shared_whole_samples(tmp_path_factory.getbasetemp().parent)  # this run's folder, common to its workers


@pytest.fixture
def settings_left_as_found():
    """Fails a test that leaves a UEC_* setting changed: a later test in the same worker, and every `uec` it
    starts, would read it (a merged .env file once left UEC_HOME_SYSTEM set, and a status test failed).

    Set up before monkeypatch (the key fixture asks for it first), so it looks after monkeypatch has put back
    what the test set through it."""
    before = {k: v for k, v in os.environ.items() if k.startswith("UEC_")}
    yield
    after = {k: v for k, v in os.environ.items() if k.startswith("UEC_")}
    changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    assert not changed, f"the test left these settings changed in the environment: {changed}"


@pytest.fixture(autouse=True)
def pseudonymisation_key(settings_left_as_found: None, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv(KEY_ENV, TEST_KEY)
    return TEST_KEY


@pytest.fixture
def env(tmp_path: Path) -> Env:
    return Env(tmp_path)


# The slowest files first: pytest-xdist hands whole files (--dist loadfile, in this order with
# --no-loadscope-reorder: by default it orders files by their number of tests) to whichever worker is free,
# so starting the long ones early keeps every worker busy to the end instead of one finishing a long
# file alone (the uec subprocess and daemon tests take 40-90 s each; most files take a few seconds).
SLOWEST_FIRST = (
    # Builds the whole-samples warehouse the oracle and sample tests share; they come later and find it built.
    "test_sample_cases.py",
    # Waits on the daemon's ticks between bursts of work: best beside the whole-samples build.
    "test_daemon.py",
    "test_cli.py",
    "test_cli_waits_for_a_writer.py",
    "test_cli_killed_mid_write.py",
    "test_cli_backup_beside_runs.py",
    "test_infrastructure.py",
    "test_data_protection.py",
    "test_quarantine.py",
    "test_brief_browser.py",
    "test_published.py",
    # The other files that read the whole-samples warehouse: by the time a worker reaches them it is built, where
    # earlier they would idle on its lock (a worker waited 55 s so).
    "test_spc.py",
    "test_samples.py",
    "test_oracle.py",
    "test_forecast_browser.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {name: i for i, name in enumerate(SLOWEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))
