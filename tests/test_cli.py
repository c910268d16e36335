"""The `uec` command, run as an analyst runs it: a subprocess against a persistent instance."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from tests.conftest import Env, crh_row, uhdb_row

UEC = Path(sys.executable).with_name("uec")
DAY = "2025-01-15"


def _env(env: Env) -> dict[str, str]:
    return {
        **os.environ,
        "UEC_WAREHOUSE": str(env.warehouse),
        "UEC_LANDING": str(env.landing),
        "DAGSTER_HOME": str(env.root / "dagster_home"),
        "UEC_REPORTS": str(env.root / "reports"),
        "PYTHONWARNINGS": "ignore",
    }


def uec(env: Env, *args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run([str(UEC), *args], env=_env(env), capture_output=True, text=True, timeout=timeout)


def _three_uhdb_attendances(env: Env) -> Path:
    # 120 minutes (within 4 hours), 300 minutes (breach), 30 minutes (within): 2 of 3 = 66.7%.
    return env.write_uhdb(
        "20250115",
        "20250116T0600",
        [
            uhdb_row("A1", "2025-01-15 10:00:00", "2025-01-15 12:00:00"),
            uhdb_row("A2", "2025-01-15 10:00:00", "2025-01-15 15:00:00"),
            uhdb_row("A3", "2025-01-15 11:00:00", "2025-01-15 11:30:00"),
        ],
    )


def test_refresh_shows_progress_summary_and_lands_in_the_instance(env: Env):
    _three_uhdb_attendances(env)
    done = uec(env, "refresh", "--date", DAY)
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    # Progress per asset as it goes, then the summary.
    assert (
        out.index("ok  raw/ed_attendances") < out.index("ok  marts/ed_four_hour_daily") < out.index("Rows per provider")
    )
    assert "ed_attendances       RTG    1 file(s)         3 read         3 loaded      0 quarantined" in out
    # Chesterfield sent nothing: warnings name it, and the refresh still succeeds.
    assert "WARN  raw/ed_attendances every_provider_arrived_on_time: MISSING: RFS (Chesterfield Royal Hospital)" in out
    assert "WARN  raw/ed_attendances every_expected_provider_present: 1 row(s) failed: 2025-01-15 RFS" in out
    assert "only warnings failed" in out
    headline = next(line for line in out.splitlines() if "System 4-hour performance" in line)
    assert headline.rstrip().endswith("66.7%")  # 2 within 4 hours / 3 attendances
    # The overnight job ends with the day's brief, and says where it is.
    brief = env.root / "reports" / f"brief-{DAY}.html"
    assert f"Morning brief for {DAY}: {brief}" in out and brief.is_file()
    # The run is in the persistent instance the UI reads, tagged as the analyst's.
    os.environ["DAGSTER_HOME"], saved = str(env.root / "dagster_home"), os.environ.get("DAGSTER_HOME")
    try:
        with dg.DagsterInstance.get() as instance:
            runs = instance.get_runs(filters=dg.RunsFilter(tags={"uec/trigger": "uec refresh"}))
            assert [(r.job_name, r.status, r.tags["dagster/partition"]) for r in runs] == [
                ("daily_refresh", dg.DagsterRunStatus.SUCCESS, DAY)
            ]
    finally:
        if saved is None:
            del os.environ["DAGSTER_HOME"]
        else:
            os.environ["DAGSTER_HOME"] = saved


def test_refresh_with_one_bad_provider_loads_the_rest_and_names_it(env: Env):
    _three_uhdb_attendances(env).write_text("ATTENDANCE_ID;SITE\n", encoding="utf-8")
    env.write_crh(DAY, "202501160530", [crh_row("C1", "15/01/2025 09:00", "15/01/2025 10:30")])
    done = uec(env, "refresh", "--date", DAY)
    assert done.returncode == 1
    out = done.stdout
    assert "ed_attendances       RFS    1 file(s)         1 read         1 loaded      0 quarantined" in out
    assert "RTG  REJECTED UHDB_ED_20250115_20250116T0600.csv" in out
    assert "1 check(s) failed" in out and "every_landed_file_readable: Rejected: RTG" in out
    assert env.query("select attendances from marts.ed_four_hour_daily where site_code = 'RFSDA'").item() == 1


def test_status_names_late_missing_and_loaded_providers(env: Env):
    _three_uhdb_attendances(env)
    # CRH's first file for the day was extracted at 09:15, after it was due at 06:30: late.
    env.write_crh(DAY, "202501160915", [crh_row("C1", "15/01/2025 09:00", "15/01/2025 10:30")])
    assert uec(env, "refresh", "--date", DAY).returncode == 0
    done = uec(env, "status", "--date", DAY)
    assert done.returncode == 1
    lines = {tuple(line.split()[:2]): line for line in done.stdout.splitlines() if line.startswith("  ")}
    assert (
        "1 file(s), first 16 Jan 06:00" in lines[("ed_attendances", "RTG")]
        and "LATE" not in lines[("ed_attendances", "RTG")]
    )
    assert "first 16 Jan 09:15 LATE" in lines[("ed_attendances", "RFS")]
    assert "MISSING, overdue" in lines[("ambulance_handovers", "RX9")]
    assert "sent only when needed" in lines[("handover_sitrep", "RTG")]
    rtg = lines[("ed_attendances", "RTG")].split()
    assert rtg[-4:-2] == ["3", "0"] and rtg[-2] == "success"  # loaded, quarantined, last run outcome


def test_feeds_check_reports_without_writing(env: Env):
    path = env.write_uhdb(
        "20250115",
        "20250116T0600",
        [
            uhdb_row("A1", "2025-01-15 10:00:00", "2025-01-15 12:00:00"),
            uhdb_row("B1", "2025-01-15 10:00:00", "2025-01-15 09:00:00"),  # departs before arrival: row 3
        ],
    )
    done = uec(env, "feeds", "check", "uhdb", str(path))
    assert done.returncode == 1
    assert "rows read 2: would load 1, would quarantine 1" in done.stdout
    assert "DEPARTURE_DTTM: not before arrival  rows 3" in done.stdout
    assert not env.warehouse.exists()
    assert uec(env, "feeds", "check", "RX9", str(path)).returncode == 2  # not an EMAS file name
    path.write_bytes(b"")
    rejected = uec(env, "feeds", "check", "RTG", str(path))
    assert rejected.returncode == 1 and "REJECTED" in rejected.stdout and "empty" in rejected.stdout


@pytest.mark.parametrize(
    "command, options",
    [
        ([], ["refresh", "status", "backup", "feeds", "UEC_WAREHOUSE", "DAGSTER_HOME"]),
        (["refresh"], ["--date", "--from", "--to", "--feed", "Exit status"]),
        (["status"], ["--date", "Exit status"]),
        (["backup"], ["--to", "consistent", "Exit status"]),
        (["feeds", "check"], ["PROVIDER", "FILE", "Writes nothing", "Exit status"]),
    ],
)
def test_help_is_complete(env: Env, command: list[str], options: list[str]):
    done = uec(env, *command, "--help")
    assert done.returncode == 0
    text = " ".join(done.stdout.split())
    for option in options:
        assert option in text, option


def test_refresh_waits_for_another_writer_instead_of_failing(env: Env):
    _three_uhdb_attendances(env)
    env.warehouse.parent.mkdir(parents=True)
    # The instance exists already, as it does wherever the overnight schedule runs.
    assert uec(env, "status", "--date", DAY).returncode == 1
    # Another process holds the write lock (as the overnight run does while it writes).
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            ("import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('locked', flush=True); time.sleep(8)"),
            str(env.warehouse),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline().strip() == "locked"
    first = subprocess.Popen(
        [str(UEC), "refresh", "--date", DAY], env=_env(env), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    second = subprocess.Popen(
        [str(UEC), "refresh", "--date", DAY], env=_env(env), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    outputs = [p.communicate(timeout=300)[0] for p in (first, second)]
    holder.wait()
    for process, output in zip((first, second), outputs):
        assert process.returncode == 0, output
        assert "Could not set lock" not in output
    assert any("in use by another run; waiting" in output for output in outputs)
    # Both wrote the same day; the warehouse holds it once.
    assert env.query("select attendances, within_4h from marts.ed_four_hour_daily").rows() == [(3, 2)]
    assert env.query("select count(*) from raw.ed_attendances").item() == 3


KILL_MID_WRITE = """
import pathlib, sys, time
import pipelines.warehouse as warehouse

insert_frame, marker = warehouse.insert_frame, pathlib.Path(sys.argv[1])

def insert_then_hang(conn, table, frame):
    insert_frame(conn, table, frame)
    if table == "raw.ed_attendances":  # inside the partition's transaction: old rows deleted, new ones in
        marker.touch()
        time.sleep(600)

warehouse.insert_frame = insert_then_hang
from pipelines.cli.main import main
sys.exit(main(["refresh", "--date", sys.argv[2]]))
"""


def test_a_run_killed_mid_write_leaves_the_previous_day_and_the_next_run_completes(env: Env):
    env.write_uhdb("20250115", "20250116T0600", [uhdb_row("A1", "2025-01-15 10:00:00", "2025-01-15 12:00:00")])
    assert uec(env, "refresh", "--date", DAY).returncode == 0
    # A correction arrives: A1 now departs at 15:00 (a breach) and A2 is new.
    env.write_uhdb(
        "20250115",
        "20250117T0600",
        [
            uhdb_row("A1", "2025-01-15 10:00:00", "2025-01-15 15:00:00"),
            uhdb_row("A2", "2025-01-15 11:00:00", "2025-01-15 11:30:00"),
        ],
    )
    marker = env.root / "mid-write"
    killed = subprocess.Popen(
        [sys.executable, "-c", KILL_MID_WRITE, str(marker), DAY],
        env=_env(env),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while not marker.exists():
        assert killed.poll() is None and time.monotonic() < deadline, "the run never reached the write"
        time.sleep(0.2)
    killed.send_signal(signal.SIGKILL)
    killed.wait()
    # The killed transaction never committed: the first version is intact, with its one file.
    with duckdb.connect(str(env.warehouse)) as conn:  # a writer can open it: the lock died with the process
        assert conn.sql("select record_id, departure_at::varchar from raw.ed_attendances").fetchall() == [
            ("A1", "2025-01-15 12:00:00")
        ]
        assert conn.sql("select count(*) from ops.source_files").fetchall() == [(1,)]
    assert uec(env, "refresh", "--date", DAY).returncode == 0
    # Both files now: A1's latest version breaches, A2 is within: 2 attendances, 1 within 4 hours.
    assert env.query("select attendances, within_4h from marts.ed_four_hour_daily").rows() == [(2, 1)]


def test_backup_waits_for_a_writer_and_copies_every_table_and_view(env: Env):
    _three_uhdb_attendances(env)
    assert uec(env, "refresh", "--date", DAY).returncode == 0
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            ("import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('locked', flush=True); time.sleep(8)"),
            str(env.warehouse),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline().strip() == "locked"
    target = env.root / "backups" / "uec.duckdb"
    done = uec(env, "backup", "--to", str(target))
    holder.wait()
    assert done.returncode == 0, done.stdout + done.stderr
    assert "in use by another run; waiting" in done.stdout and "each count checked" in done.stdout
    assert not target.with_name("uec.duckdb.partial").exists()
    # The copy opens on its own, with the same relations and the same figures (2 of 3 within 4 hours).
    with (
        duckdb.connect(str(env.warehouse), read_only=True) as live,
        duckdb.connect(str(target), read_only=True) as copy,
    ):
        listing = (
            "select schema_name || '.' || table_name from duckdb_tables() union all "
            "select schema_name || '.' || view_name from duckdb_views() where not internal order by 1"
        )
        assert copy.sql(listing).fetchall() == live.sql(listing).fetchall()
        assert copy.sql(
            "select attendances, within_4h from marts.ed_four_hour_system where period = 'day' and scope = 'all_types'"
        ).fetchall() == [(3, 2)]
    assert uec(env, "backup", "--to", str(target)).returncode == 2  # never overwrites a backup
