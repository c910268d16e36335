"""The benchmark's bookkeeping: every second of a run lands in exactly one stage, from timings the raw assets record."""

from __future__ import annotations

import os
from datetime import date

import pytest

from bench.generate_volume import generate
from bench.run import ENGLAND_FIRST, ENGLAND_LAST, _stages
from pipelines.partitions import daily_partitions
from tests.support.rows import uhdb_row
from tests.support.warehouse import Env


def test_stages_split_the_wall_time_without_gaps_or_double_counting():
    steps = {
        "raw__ed_attendances": 4.0,
        "marts__ed_four_hour_daily": 1.5,
        "ed_four_hour_rollups": 0.5,
        "warehouse_expectations": 1.0,
        "reports__morning_brief": 0.5,
        "reference": 0.5,
    }
    raw = {"ed_attendances": {"rows_read": 10, "seconds_read": 1.0, "seconds_validate": 1.5, "seconds_write": 0.5}}
    stages = _stages(10.0, steps, raw)
    # The raw step's 4.0 s: read 1.0 + validate 1.5 + write 0.5, and 1.0 s of its own checks; the GX step adds 1.0.
    assert (stages["read"], stages["validate"], stages["write"], stages["checks"]) == (1.0, 1.5, 0.5, 2.0)
    assert (stages["marts"], stages["brief"], stages["reference"]) == (2.0, 0.5, 0.5)
    # Steps add to 8.0 s of the 10.0 s wall: 2.0 s is Dagster and start-up.
    assert stages["Dagster and start-up"] == 2.0
    assert sum(stages.values()) == pytest.approx(10.0)


def test_raw_assets_record_seconds_read_validated_and_written(env: Env):
    env.write_uhdb("20250115", "20250116T0600", [uhdb_row("R1", "2025-01-15 10:00:00", "2025-01-15 11:00:00")])
    result = env.materialize("2025-01-15", selection="raw/ed_attendances*")
    [meta] = [
        e.step_materialization_data.materialization.metadata
        for e in result.get_asset_materialization_events()
        if e.step_materialization_data.materialization.asset_key.path == ["raw", "ed_attendances"]
    ]
    assert all(meta[f"seconds_{s}"].value > 0 for s in ("read", "validate", "write"))


def test_generated_volume_loads_whole_in_the_providers_layouts(env: Env):
    # 5 sites in trusts of 1-3, one day; every row must load through the real layouts and contracts.
    written = generate(env.root, sites=5, first=date(2025, 3, 10), days=1)
    env.feeds_dir, env.reference_dir = str(env.root / "feeds"), str(env.root / "reference")
    env.materialize("2025-03-10")
    loaded = dict(env.query("select feed, sum(rows_loaded) from ops.source_files group by feed").rows())
    assert loaded == written
    assert env.query("select count(*) from ops.quarantine").item() == 0
    # Every generated site reaches the ED mart, and the system total is every attendance written.
    assert env.query("select count(distinct site_code) from marts.ed_four_hour_daily").item() == 5
    assert env.query("select sum(attendances) from marts.ed_four_hour_daily").item() == written["ed_attendances"]


def test_the_england_year_is_365_days_the_partitions_hold():
    # A year starting before the partitions do makes Dagster refuse the run after 13 minutes of generating.
    first, last = date.fromisoformat(ENGLAND_FIRST), date.fromisoformat(ENGLAND_LAST)
    assert (last - first).days + 1 == 365
    keys = daily_partitions.get_partition_keys()
    assert ENGLAND_FIRST in keys and ENGLAND_LAST in keys


def test_duckdb_memory_and_thread_caps_come_from_the_environment(tmp_path, monkeypatch):
    from pipelines.resources import default_resources

    def settings() -> tuple:
        with default_resources()["warehouse"].get_connection() as conn:
            return conn.sql("select current_setting('memory_limit'), current_setting('threads')").fetchall()[0]

    monkeypatch.setenv("UEC_WAREHOUSE", str(tmp_path / "uec.duckdb"))
    monkeypatch.setenv("UEC_DUCKDB_MEMORY_LIMIT", "1GB")
    monkeypatch.setenv("UEC_DUCKDB_THREADS", "3")  # not this machine's core count, nor the suite's 1
    assert settings() == ("953.6 MiB", 3)  # 1 GB = 10^9 bytes
    monkeypatch.delenv("UEC_DUCKDB_MEMORY_LIMIT")
    monkeypatch.delenv("UEC_DUCKDB_THREADS")
    # Unset, the project's cap (2 GB = 1.86 GiB, shown rounded) rather than DuckDB's 80% of RAM.
    assert settings() == ("1.8 GiB", os.cpu_count())


def test_the_suite_runs_duckdb_and_polars_on_one_thread_each(env: Env):
    # tests/__init__.py sets both before polars is first imported; were a plugin to import it sooner, the pool
    # would be sized to every core again and the suite would quietly spend more CPU.
    import polars as pl

    assert pl.thread_pool_size() == 1
    env.warehouse.parent.mkdir(parents=True)
    with env.resources()["warehouse"].get_connection() as conn:
        assert conn.sql("select current_setting('threads')").fetchall() == [(1,)]


def test_the_england_bench_runs_end_to_end_on_a_small_generated_day(tmp_path, capsys):
    # make bench-england's path on 4 generated sites and one day: the generator, the pipeline with a home system
    # from the generated reference (not Derbyshire's QJ2, which it lacks), and the floor, as `bench.run` runs them.
    from bench.run import bench, first_system

    generate(tmp_path, sites=4, first=date(2025, 3, 10), days=1)
    home = first_system(tmp_path / "reference")
    assert home.startswith("S")
    bench(
        "England, tiny",
        "2025-03-10",
        "2025-03-10",
        str(tmp_path / "landing"),
        str(tmp_path / "feeds"),
        str(tmp_path / "reference"),
        home,
    )
    out = capsys.readouterr().out
    assert "ratio pipeline / floor, end to end" in out and "wall time, end to end (s)" in out
