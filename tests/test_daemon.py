"""The overnight path as it really runs: `dagster dev` (webserver and daemon), the landing sensor and the run queue.

The suite was green while every run the daemon started failed on a key `uec` could find and the daemon could not.
Here the test process passes no key and no UEC_* setting to Dagster: everything comes from the .env file, the way
`make dev` finds it, and both a sensor-triggered run and a queued daily_refresh run must end in SUCCESS.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import dagster as dg
import pytest

from pipelines.ingest.landing import list_folder
from pipelines.ingest.pseudonymise import KEY_ENV
from schemas import catalogue
from schemas.registry import load_feed_configs
from tests.conftest import SAMPLES, TEST_KEY

REPO = Path(__file__).resolve().parents[1]
DAGSTER = Path(sys.executable).with_name("dagster")
DAY = date(2025, 1, 15)
TERMINAL = {dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _land_the_samples_for(day: date, landing: Path) -> None:
    """One day of every feed's bundled sample files, as the providers landed them."""
    for name in catalogue.feed_names():
        for config in load_feed_configs(name):
            for landed in list_folder(config, SAMPLES).by_day.get(day, []):
                target = landing / config.landing_dir / landed.path.name
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(landed.path, target)


def _wait_for(what: str, probe, timeout: float):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if found := probe():
            return found
        time.sleep(1)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def _finished_sensor_ticks(instance: dg.DagsterInstance) -> list:
    # A tick is recorded as it starts: only a finished one has taken its look at the landing area.
    states = [s for s in instance.all_instigator_state() if s.instigator_name == "landing_files"]
    ticks = [t for s in states for t in instance.get_ticks(s.instigator_origin_id, s.selector_id)]
    return [t for t in ticks if t.status.value in ("SKIPPED", "SUCCESS")]


def _finished(instance: dg.DagsterInstance, run_id: str) -> dg.DagsterRun | None:
    run = instance.get_run_by_id(run_id)
    return run if run and run.status in TERMINAL else None


def _failure(instance: dg.DagsterInstance, run: dg.DagsterRun) -> str:
    failures = instance.all_logs(run.run_id, of_type=dg.DagsterEventType.STEP_FAILURE)
    return "; ".join(e.dagster_event.event_specific_data.error.message[:300] for e in failures) or run.status.value


@pytest.fixture
def deployment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """`dagster dev` on a fresh instance, finding its settings in a .env file only."""
    home, landing = tmp_path / "dagster_home", tmp_path / "landing"
    home.mkdir()
    shutil.copy(REPO / "dagster.yaml", home / "dagster.yaml")
    _land_the_samples_for(DAY, landing)
    env_file = tmp_path / ".env"
    env_file.write_text(
        f"{KEY_ENV}={TEST_KEY}\n"
        f"UEC_WAREHOUSE={tmp_path / 'warehouse' / 'uec.duckdb'}\n"
        f"UEC_LANDING={landing}\n"
        f"UEC_REPORTS={tmp_path / 'reports'}\n"
        "UEC_SENSOR_INTERVAL_SECONDS=5\n"
    )
    # Nothing of the test process's own settings reaches Dagster: no key, no UEC_* variable but the file's path.
    environment = {k: v for k, v in os.environ.items() if not k.startswith("UEC_") and k != "DAGSTER_HOME"}
    environment |= {"DAGSTER_HOME": str(home), "UEC_ENV_FILE": str(env_file), "PYTHONWARNINGS": "ignore"}
    assert KEY_ENV not in environment
    # Storage is created here, before the webserver, daemon and code server start together: created by
    # several processes at once, a fresh SQLite instance can end up with two schema heads.
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    instance = dg.DagsterInstance.get()
    instance.get_runs(limit=1)
    port = _free_port()
    log = (tmp_path / "dagster-dev.log").open("w")
    process = subprocess.Popen(
        [str(DAGSTER), "dev", "-m", "pipelines.definitions", "-h", "127.0.0.1", "-p", str(port)],
        cwd=tmp_path,
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        yield instance, landing, port, tmp_path / "dagster-dev.log"
    finally:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()
        instance.dispose()


def test_the_daemon_runs_a_landed_file_and_a_queued_refresh_to_success(deployment):
    from dagster_graphql import DagsterGraphQLClient

    instance, landing, port, log = deployment
    # The sensor's first tick records what is already landed and starts nothing.
    _wait_for("the landing sensor's first tick", lambda: _finished_sensor_ticks(instance), timeout=240)

    # A provider lands a corrected file for the day: the next tick starts one run for it.
    corrected = next((landing / "ed_attendances" / "uhdb").glob("UHDB_ED_20250115_*.csv"))
    shutil.copy(corrected, corrected.with_name("UHDB_ED_20250115_20250116T0930.csv"))
    triggered = _wait_for(
        "the sensor's run",
        lambda: instance.get_runs(filters=dg.RunsFilter(tags={"uec/trigger": "landing_files"})),
        timeout=120,
    )[0]
    run = _wait_for("the sensor's run to finish", lambda: _finished(instance, triggered.run_id), timeout=300)
    assert run.status == dg.DagsterRunStatus.SUCCESS, _failure(instance, run) + "\n" + log.read_text()[-3000:]
    assert run.job_name == "refresh_ed_attendances" and run.tags["dagster/partition"] == DAY.isoformat()

    # What the 07:15 schedule submits: a daily_refresh for one day, through the queue.
    client = DagsterGraphQLClient("127.0.0.1", port_number=port)
    run_id = client.submit_job_execution("daily_refresh", tags={"dagster/partition": DAY.isoformat()})
    run = _wait_for("the queued daily_refresh run", lambda: _finished(instance, run_id), timeout=420)
    assert run.status == dg.DagsterRunStatus.SUCCESS, _failure(instance, run) + "\n" + log.read_text()[-3000:]
    materialized = {
        e.dagster_event.event_specific_data.materialization.asset_key.to_user_string()
        for e in instance.all_logs(run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION)
    }
    assert {"raw/ed_attendances", "marts/ed_four_hour_daily", "reports/morning_brief"} <= materialized
