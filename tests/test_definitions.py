"""The code location loads, names its assets as tables, and partitions by London day."""

from __future__ import annotations

from datetime import UTC

import dagster as dg

from pipelines.definitions import defs
from pipelines.partitions import daily_partitions
from schemas import catalogue
from schemas.registry import load_feed_configs, load_feed_layouts


def test_definitions_load_with_expected_assets():
    dg.Definitions.validate_loadable(defs)
    keys = {key.to_user_string() for key in defs.resolve_asset_graph().get_all_asset_keys()}
    assert {
        "ref/sites",
        "ref/targets",
        "raw/ed_attendances",
        "marts/ed_four_hour_daily",
        "marts/ed_four_hour_trust",
        "marts/ed_four_hour_system",
    } <= keys


def test_every_asset_has_a_description_group_and_kind():
    for spec in defs.resolve_all_asset_specs():
        assert spec.description, spec.key
        assert spec.group_name and spec.group_name != "default", spec.key
        assert spec.kinds, spec.key


def test_every_raw_and_mart_asset_has_a_blocking_check_and_raw_ones_the_full_set():
    graph = defs.resolve_asset_graph()
    checks = {}
    for key in graph.asset_check_keys:
        checks.setdefault(key.asset_key.to_user_string(), {})[key.name] = graph.get_check_spec(key).blocking
    tables = {k.to_user_string() for k in graph.get_all_asset_keys() if k.path[0] in ("raw", "marts")}
    # Every catalogue feed and mart is an asset here: a table the graph lost would otherwise go unchecked.
    reconciliation = "/".join(catalogue.RECONCILIATION.name.split("."))
    assert tables == {f"raw/{f}" for f in catalogue.feed_names()} | {
        *(f"marts/{t}" for t in catalogue.mart_tables()),
        *("/".join(f.name.split(".")) for f in catalogue.FORECASTS),
        reconciliation,
    }
    # The reconciliation only warns: a difference from a national return is to be looked into, and must not stop
    # the brief that names it.
    assert checks.pop(reconciliation) == {catalogue.RECONCILIATION.check_name: False}
    for table in tables - {reconciliation}:
        assert any(checks.get(table, {}).values()), f"{table} has no blocking check"
    for feed in catalogue.feed_names():
        assert {
            "rows_in_equal_loaded_plus_quarantined",
            "record_keys_unique_per_file",
            "rows_pass_the_contract",
            "every_provider_arrived_on_time",
            "every_landed_file_readable",
        } <= set(checks[f"raw/{feed}"])
    # great-expectations suites: presence and gaps on the daily feeds, trailing bounds on the marts.
    assert {"every_expected_provider_present", "no_gaps_in_daily_series"} <= set(checks["raw/cnh_cases"])
    assert {"site_volumes_within_trailing_bounds", "type_1_share_within_trailing_bounds"} <= set(
        checks["marts/ed_four_hour_daily"]
    )
    assert "mean_handover_within_trailing_bounds" in checks["marts/handover_daily"]


def test_partitions_are_london_days():
    assert daily_partitions.timezone == "Europe/London"
    # The spring-forward day is still one partition of one calendar day.
    window = daily_partitions.time_window_for_partition_key("2025-03-30")
    # Same-zone subtraction in Python is wall-clock; the day's true length needs UTC.
    hours = (window.end.astimezone(UTC) - window.start.astimezone(UTC)).total_seconds() / 3600
    assert hours == 23


def test_shipped_feed_configs_cover_two_providers():
    assert [c.provider_code for c in load_feed_configs("ed_attendances")] == ["RFS", "RTG"]


def test_bad_feed_config_is_named(tmp_path):
    folder = tmp_path / "ed_attendances"
    folder.mkdir()
    (folder / "broken.yaml").write_text("feed: ed_attendances\nprovider_code: X\n")
    configs, [broken] = load_feed_layouts("ed_attendances", tmp_path)
    assert configs == [] and broken.provider_code == "X" and broken.path.name == "broken.yaml"
    assert "broken.yaml" in broken.reason and "landing_dir" in broken.reason
    assert load_feed_configs("ed_attendances", tmp_path) == []


def test_one_run_at_a_time_and_one_step_at_a_time_within_a_run(tmp_path, monkeypatch):
    # DuckDB takes one writer: the instance the daemon runs (the repo's dagster.yaml) queues runs one at a
    # time, and every job runs its steps in one process, one after another.
    from pathlib import Path

    home = tmp_path / "home"
    home.mkdir()
    (home / "dagster.yaml").write_text((Path(__file__).resolve().parents[1] / "dagster.yaml").read_text())
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    instance = dg.DagsterInstance.from_config(str(home))
    try:
        assert instance.get_concurrency_config().run_queue_config.max_concurrent_runs == 1
    finally:
        instance.dispose()
    for job in defs.get_repository_def().get_all_jobs():
        assert job.executor_def.name == dg.in_process_executor.name, job.name
