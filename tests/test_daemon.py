"""The overnight path as it really runs: `dagster dev` (webserver and daemon), the landing sensor and the run queue.

The suite was green while every run the daemon started failed on a key `uec` could find and the daemon could not.
Here the test process passes no key and no UEC_* setting to Dagster: everything comes from the .env file, the way
`make dev` finds it, and both a sensor-triggered run and a queued daily_refresh run must end in SUCCESS.

The alert sensors that react to a finished run (`rejected_file_alerts`, `brief_revised_alerts`) were tested only by
evaluating them in the test process. Here the .env file names an alerts file switching e-mail on (as
docs/operations.md#alerts says), a local SMTP server stands in for the relay, and the daemon itself must mail a
revised brief and a rejected file after the landing sensor's runs for a provider's corrected files.
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from datetime import date, datetime, timedelta
from html import unescape
from pathlib import Path

import dagster as dg
import pytest
import yaml

from pipelines.ingest.landing import list_folder
from pipelines.ingest.pseudonymise import KEY_ENV
from schemas import catalogue
from schemas.registry import load_feed_configs
from tests.support.samples import SAMPLES
from tests.support.servers import Mailbox, body, free_port, local_smtp, smtp_channel
from tests.support.warehouse import TEST_KEY

REPO = Path(__file__).resolve().parents[1]
DAGSTER = Path(sys.executable).with_name("dagster")
DAY = date(2025, 1, 15)
TERMINAL = {dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED}
UHDB = Path("ed_attendances") / "uhdb"
# Later than both bundled files for the day (extracted 16 and 17 January 06:00), so each is UHDB's latest.
CORRECTED = f"UHDB_ED_{DAY:%Y%m%d}_20250117T1000.csv"
UNREADABLE = f"UHDB_ED_{DAY:%Y%m%d}_20250117T1100.csv"


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


def _file_run(instance: dg.DagsterInstance, file: Path, landing: Path) -> dg.DagsterRun | None:
    """The landing sensor's run for one landed file, once it has finished."""
    runs = instance.get_runs(filters=dg.RunsFilter(tags={"uec/file": str(file.relative_to(landing))}))
    return _finished(instance, runs[0].run_id) if runs else None


def _mail(mailbox: Mailbox, subject: str, *words: str):
    return next((m for m in mailbox.messages if subject in m["Subject"] and all(w in body(m) for w in words)), None)


def _four_hour(brief: Path, org: str) -> str:
    found = re.search(rf'data-figure="ed\.{org}\.day\.pct_within_4h"[^>]*>([^<]*)<', brief.read_text(encoding="utf-8"))
    assert found, f"no {org} 4-hour figure on {brief.name}"
    return unescape(found.group(1)).strip()


def _revisions(brief: Path) -> list[str]:
    return [unescape(r) for r in re.findall(r'<li data-rule="revised"[^>]*>([^<]*)</li>', brief.read_text("utf-8"))]


def _corrected(latest: Path, breaches_fixed: int = 40) -> str:
    """UHDB's latest file for the day with the first `breaches_fixed` over-4-hour attendances departing after 3
    hours instead: the correction a provider re-sends when its departure times were wrong."""
    rows = list(csv.DictReader(io.StringIO(latest.read_text(encoding="utf-8-sig"))))
    stamp = "%Y-%m-%d %H:%M:%S"
    fixed = 0
    for row in rows:
        arrived, departed = row["ARRIVAL_DTTM"], row["DEPARTURE_DTTM"]
        if fixed == breaches_fixed or not departed:
            continue
        if datetime.strptime(departed, stamp) - datetime.strptime(arrived, stamp) > timedelta(hours=4):
            row["DEPARTURE_DTTM"] = (datetime.strptime(arrived, stamp) + timedelta(hours=3)).strftime(stamp)
            fixed += 1
    assert fixed == breaches_fixed, f"{latest.name} has only {fixed} attendances over 4 hours"
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


@pytest.fixture
def smtp_server():
    """The alert tests' local SMTP server, standing in for the relay."""
    with local_smtp() as server:
        yield server


@pytest.fixture
def deployment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, smtp_server):
    """`dagster dev` on a fresh instance, finding its settings in a .env file only, with e-mail alerts switched on."""
    home, landing = tmp_path / "dagster_home", tmp_path / "landing"
    mailbox, smtp_port = smtp_server
    alerts_file = tmp_path / "alerts.yaml"
    alerts_file.write_text(
        yaml.safe_dump({"email": smtp_channel(smtp_port, ["scc.team@example.nhs.uk"])}), encoding="utf-8"
    )
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
        f"UEC_ALERTS_FILE={alerts_file}\n"
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
    port = free_port()
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
        yield instance, landing, port, tmp_path / "dagster-dev.log", mailbox
    finally:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()
        instance.dispose()


def test_the_daemon_runs_landed_files_and_a_queued_refresh_and_mails_a_revised_brief_and_a_rejected_file(deployment):
    from dagster_graphql import DagsterGraphQLClient

    instance, landing, port, log, mailbox = deployment
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

    # UHDB re-sends the day with departure times corrected: the sensor's run re-makes the brief, which says what moved.
    brief = landing.parent / "reports" / f"brief-{DAY.isoformat()}.html"
    before = _four_hour(brief, "RTG")
    latest = sorted((landing / UHDB).glob(f"UHDB_ED_{DAY:%Y%m%d}_*.csv"))[-1]
    (landing / UHDB / CORRECTED).write_text(_corrected(latest), encoding="utf-8-sig")
    corrected = _wait_for(
        "the corrected file's run", lambda: _file_run(instance, landing / UHDB / CORRECTED, landing), 420
    )
    assert corrected.status == dg.DagsterRunStatus.SUCCESS, (
        _failure(instance, corrected) + "\n" + log.read_text()[-3000:]
    )
    after = _four_hour(brief, "RTG")
    assert after != before, f"the corrected file left RTG's 4-hour figure at {before}"
    revised = [line for line in _revisions(brief) if CORRECTED in line]
    assert len(revised) == 1, _revisions(brief)
    assert re.match(r"Revised \d\d:\d\d: RTG re-sent ", revised[0]), revised[0]
    assert f"RTG 4-hour performance {before} → {after}" in revised[0]

    # Then a re-send with the wrong delimiter: rejected, RTG's day stays as the corrected file left it, and mailed.
    text = (landing / UHDB / CORRECTED).read_text(encoding="utf-8-sig")
    (landing / UHDB / UNREADABLE).write_text(text.replace(",", ";"), encoding="utf-8-sig")
    rejected = _wait_for(
        "the unreadable file's run", lambda: _file_run(instance, landing / UHDB / UNREADABLE, landing), 420
    )
    assert rejected.status == dg.DagsterRunStatus.SUCCESS, _failure(instance, rejected) + "\n" + log.read_text()[-3000:]
    assert _four_hour(brief, "RTG") == after
    mail = _wait_for(
        "the rejected file e-mail",
        lambda: _mail(mailbox, "File rejected: ", UNREADABLE, "delimiter", rejected.run_id),
        timeout=180,
    )
    assert mail["Subject"].endswith(f"from RTG for {DAY}: {UNREADABLE}")

    # The daemon's brief_revised_alerts sensor mails the corrected file's line once it sees that run finished (the
    # run status sensors tick every 30 s: waited for after the second run, so the two waits overlap).
    mail = _wait_for(
        "the brief revised e-mail",
        lambda: _mail(mailbox, f"Morning brief for {DAY} revised", revised[0], corrected.run_id),
        timeout=180,
    )
    assert mail["To"] == "scc.team@example.nhs.uk"
