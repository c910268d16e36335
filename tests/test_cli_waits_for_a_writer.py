"""`uec refresh` beside another writer: it waits for the warehouse instead of failing."""

from __future__ import annotations

import subprocess

from tests.support.cli import DAY, UEC, hold_the_warehouse, three_uhdb_attendances, uec, uec_env
from tests.support.warehouse import Env


def test_refresh_waits_for_another_writer_instead_of_failing(env: Env):
    three_uhdb_attendances(env)
    env.warehouse.parent.mkdir(parents=True)
    # The instance exists already, as it does wherever the overnight schedule runs.
    assert uec(env, "status", "--date", DAY).returncode == 1
    # Another process holds the write lock (as the overnight run does while it writes).
    holder = hold_the_warehouse(env)
    refreshes = [
        subprocess.Popen(
            [str(UEC), "refresh", "--date", DAY],
            env=uec_env(env),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=300)[0] for p in refreshes]
    holder.wait()
    for process, output in zip(refreshes, outputs):
        assert process.returncode == 0, output
        assert "Could not set lock" not in output
    assert any("in use by another run; waiting" in output for output in outputs)
    # Both wrote the same day; the warehouse holds it once.
    assert env.query("select attendances, within_4h from marts.ed_four_hour_daily").rows() == [(3, 2)]
    assert env.query("select count(*) from raw.ed_attendances").item() == 3
