"""`uec status --date D` reports D's own problems, even when D was loaded in a run over many days."""

from __future__ import annotations

import dagster as dg
import pytest

from pipelines.ingest.pseudonymise import KEY_ENV
from pipelines.instance import failed_checks_on
from tests.support.cli import uec
from tests.support.samples import SAMPLES
from tests.support.warehouse import TEST_KEY, Env


@pytest.fixture(scope="module")
def two_days(tmp_path_factory) -> Env:
    # 20 January's UHDB file has a departure before arrival (the record quarantined: a failed contract
    # check that day); 21 January is clean. One `uec refresh` run covers both, as a backfill does.
    env = Env(tmp_path_factory.mktemp("status"))
    env.landing.symlink_to(SAMPLES, target_is_directory=True)
    with pytest.MonkeyPatch.context() as patch:  # module fixtures run outside the per-test key fixture
        patch.setenv(KEY_ENV, TEST_KEY)
        done = uec(env, "refresh", "--from", "2025-01-20", "--to", "2025-01-21")
    assert done.returncode in (0, 1), done.stdout + done.stderr
    return env


def test_a_clean_day_inside_a_range_run_exits_0_and_lists_nothing(two_days: Env):
    clean = uec(two_days, "status", "--date", "2025-01-21")
    assert clean.returncode == 0, clean.stdout
    assert "CHECK FAILED" not in clean.stdout and "problem(s)" not in clean.stdout
    assert "All expected files received on time and loaded." in clean.stdout


def test_the_other_day_of_the_range_still_shows_its_own_failure(two_days: Env):
    dirty = uec(two_days, "status", "--date", "2025-01-20")
    assert dirty.returncode == 1, dirty.stdout
    assert "CHECK FAILED raw/ed_attendances rows_pass_the_contract: failed on 2025-01-20 in a run over" in dirty.stdout


def test_the_brief_is_handed_the_days_failed_checks_as_plain_data(two_days: Env, monkeypatch: pytest.MonkeyPatch):
    # The instance `uec refresh` wrote to; its dagster.yaml names its storage by DAGSTER_HOME.
    monkeypatch.setenv("DAGSTER_HOME", str(two_days.root / "dagster_home"))
    instance = dg.DagsterInstance.from_config(str(two_days.root / "dagster_home"))
    try:
        failed = failed_checks_on(instance, "2025-01-20")
        assert not failed_checks_on(instance, "2025-01-21")
    finally:
        instance.dispose()
    [contract] = [f for f in failed if f.check_name == "rows_pass_the_contract"]
    assert (contract.asset, contract.range_start, contract.range_end) == (
        "raw/ed_attendances",
        "2025-01-20",
        "2025-01-21",
    )
    assert contract.severity in ("ERROR", "WARN")
