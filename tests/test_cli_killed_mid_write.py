"""A `uec refresh` killed mid-write leaves the previous day whole, and status says the run died."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import duckdb

from tests.support.cli import DAY, uec, uec_env
from tests.support.rows import uhdb_row
from tests.support.warehouse import Env

KILL_MID_WRITE = """
import pathlib, sys, time
import pipelines.storage.warehouse as warehouse

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
    env.materialize(DAY)  # the day as an earlier run left it (in process: what is tested is the killed `uec refresh`)
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
