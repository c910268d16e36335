"""The instance's storage (dagster.yaml): the SQLite files `storage: sqlite` writes, read back by a plain instance."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import dagster as dg
import pytest

from pipelines import instance_storage
from pipelines.instance_storage import KeptEngineEventLogStorage, KeptEngineRunStorage

REPO_YAML = Path(__file__).resolve().parents[1] / "dagster.yaml"
PLAIN_SQLITE = "storage:\n  sqlite:\n    base_dir:\n      env: DAGSTER_HOME\n"


@dg.asset(partitions_def=dg.DailyPartitionsDefinition("2025-01-01"))
def counted(context) -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata={"day": context.partition_key})


def _instance(home: Path, config: str, monkeypatch: pytest.MonkeyPatch) -> dg.DagsterInstance:
    home.mkdir(exist_ok=True)
    (home / "dagster.yaml").write_text(config)
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    return dg.DagsterInstance.from_config(str(home))


def test_runs_and_events_it_stores_are_what_a_plain_sqlite_instance_reads(tmp_path, monkeypatch):
    home = tmp_path / "home"
    with _instance(home, REPO_YAML.read_text(), monkeypatch) as instance:
        assert isinstance(instance.run_storage, KeptEngineRunStorage)
        assert isinstance(instance.event_log_storage, KeptEngineEventLogStorage)
        days = [(date(2025, 1, 1) + timedelta(n)).isoformat() for n in range(5)]
        instance_storage.engine.cache_clear()
        for day in days:
            assert dg.materialize([counted], partition_key=day, instance=instance).success
        # One engine per file (the runs, the index, each run's own event log), each used many times, none made twice.
        cache = instance_storage.engine.cache_info()
        assert cache.currsize == 2 + len(days) and cache.hits > 20 * cache.misses, cache
        stored = instance.get_latest_materialization_event(counted.key)
    # The same folders and tables as `storage: sqlite`: a plain instance on the same home reads every run and event.
    with _instance(home, PLAIN_SQLITE, monkeypatch) as plain:
        assert not isinstance(plain.event_log_storage, KeptEngineEventLogStorage)
        runs = plain.get_runs()
        assert len(runs) == len(days) and {r.status for r in runs} == {dg.DagsterRunStatus.SUCCESS}
        assert sorted(r.tags["dagster/partition"] for r in runs) == sorted(days)
        assert plain.get_materialized_partitions(counted.key) == set(days)
        latest = plain.get_latest_materialization_event(counted.key)
        assert stored is not None and latest is not None and latest.run_id == stored.run_id
        assert latest.asset_materialization.metadata["day"].value == days[-1]
        # Every run's own event log (one file per run) reads back whole, the first runs' as much as the last's.
        for run in (runs[0], runs[-1]):
            kinds = [e.dagster_event_type for e in plain.all_logs(run.run_id) if e.is_dagster_event]
            assert dg.DagsterEventType.ASSET_MATERIALIZATION in kinds and kinds[-1] == dg.DagsterEventType.RUN_SUCCESS
