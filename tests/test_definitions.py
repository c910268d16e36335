"""The code location loads, names its assets as tables, and partitions by London day."""

from __future__ import annotations

from datetime import timezone

import dagster as dg
import pytest

from pipelines.definitions import defs
from pipelines.partitions import daily_partitions
from schemas.registry import RegistryError, load_feed_configs


def test_definitions_load_with_expected_assets():
    dg.Definitions.validate_loadable(defs)
    keys = {key.to_user_string() for key in defs.resolve_asset_graph().get_all_asset_keys()}
    assert {"ref/sites", "ref/targets", "raw/ed_attendances", "marts/ed_four_hour_daily",
            "marts/ed_four_hour_trust", "marts/ed_four_hour_system"} <= keys


def test_every_asset_has_a_description_group_and_kind():
    for spec in defs.resolve_all_asset_specs():
        assert spec.description, spec.key
        assert spec.group_name and spec.group_name != "default", spec.key
        assert spec.kinds, spec.key


def test_partitions_are_london_days():
    assert daily_partitions.timezone == "Europe/London"
    # The spring-forward day is still one partition of one calendar day.
    window = daily_partitions.time_window_for_partition_key("2025-03-30")
    # Same-zone subtraction in Python is wall-clock; the day's true length needs UTC.
    hours = (window.end.astimezone(timezone.utc) - window.start.astimezone(timezone.utc)).total_seconds() / 3600
    assert hours == 23


def test_shipped_feed_configs_cover_two_providers():
    assert [c.provider_code for c in load_feed_configs("ed_attendances")] == ["RFS", "RTG"]


def test_bad_feed_config_is_named(tmp_path):
    folder = tmp_path / "ed_attendances"
    folder.mkdir()
    (folder / "broken.yaml").write_text("feed: ed_attendances\nprovider_code: X\n")
    with pytest.raises(RegistryError, match="broken.yaml"):
        load_feed_configs("ed_attendances", tmp_path)
