"""`uec backup` while runs go: it waits for the writer and copies every table and view."""

from __future__ import annotations

import duckdb

from tests.support.cli import DAY, hold_the_warehouse, three_uhdb_attendances, uec
from tests.support.warehouse import Env


def test_backup_waits_for_a_writer_and_copies_every_table_and_view(env: Env):
    three_uhdb_attendances(env)
    env.materialize(DAY)  # a warehouse a run has written (in process: what is tested is `uec backup`)
    holder = hold_the_warehouse(env)
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
            "select attendances, within_4h from marts.ed_four_hour_system where period = 'day' and scope = 'all_types' "
            "and level = 'system'"
        ).fetchall() == [(3, 2)]
    assert uec(env, "backup", "--to", str(target)).returncode == 2  # never overwrites a backup
