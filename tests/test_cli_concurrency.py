"""`uec` beside other writers: waiting for a busy warehouse, surviving a kill mid-write, backing up while runs go."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import duckdb

from tests.cli_support import DAY, UEC, three_uhdb_attendances, uec, uec_env
from tests.conftest import Env, uhdb_row


def test_refresh_waits_for_another_writer_instead_of_failing(env: Env):
    three_uhdb_attendances(env)
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
        [str(UEC), "refresh", "--date", DAY],
        env=uec_env(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    second = subprocess.Popen(
        [str(UEC), "refresh", "--date", DAY],
        env=uec_env(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
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
        env=uec_env(env),
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
    # No daemon watches a `uec refresh`: status itself sees the process is gone, marks the run failed, says so.
    after_kill = uec(env, "status", "--date", DAY)
    assert after_kill.returncode == 1 and "RUN FAILURE" in after_kill.stdout and "is gone" in after_kill.stdout
    assert uec(env, "refresh", "--date", DAY).returncode == 0
    # Both files now: A1's latest version breaches, A2 is within: 2 attendances, 1 within 4 hours.
    assert env.query("select attendances, within_4h from marts.ed_four_hour_daily").rows() == [(2, 1)]


def test_backup_waits_for_a_writer_and_copies_every_table_and_view(env: Env):
    three_uhdb_attendances(env)
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
