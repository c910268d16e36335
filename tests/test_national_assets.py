"""The national publications in Dagster: the sensor on national/ starts national_job; the asset loads and checks."""

from __future__ import annotations

import shutil

import dagster as dg

from pipelines.definitions import defs
from tests.support.reference import WINTER_SITREP
from tests.support.warehouse import Env
from tests.support.winter_sitrep import expected

WINTER = WINTER_SITREP / "winter_sitrep_2022_23.csv"


def test_a_published_file_landing_under_national_starts_one_run_of_national_job(env: Env):
    sensor = defs.resolve_sensor_def("national_files")
    folder = env.landing / "national" / "winter_sitrep"
    folder.mkdir(parents=True)
    (folder / "notes.txt").write_text("not a publication file", encoding="utf-8")
    first = sensor(dg.build_sensor_context(cursor=None, resources=env.sensor_resources()))
    assert first.run_requests == [] and "Started watching 0" in first.skip_reason.skip_message
    shutil.copy(WINTER, folder)
    second = sensor(dg.build_sensor_context(cursor=first.cursor, resources=env.sensor_resources()))
    assert len(second.run_requests) == 1
    assert sensor.job_name == "national_job"
    third = sensor(dg.build_sensor_context(cursor=second.cursor, resources=env.sensor_resources()))
    assert third.run_requests == [] and "No new" in third.skip_reason.skip_message


def test_the_asset_loads_the_file_and_its_check_accounts_for_every_row(env: Env):
    folder = env.landing / "national" / "winter_sitrep"
    folder.mkdir(parents=True)
    shutil.copy(WINTER, folder)
    key = dg.AssetKey(["national", "winter_sitrep"])
    result = dg.materialize([a for a in defs.assets if key in a.keys], resources=env.resources())
    assert result.success
    [check] = result.get_asset_check_evaluations()
    assert (check.check_name, check.passed) == ("publication_rows_are_accounted", True)
    [materialization] = result.asset_materializations_for_node("national__winter_sitrep")
    want = expected(WINTER)
    assert materialization.metadata["rows_loaded"].value == want.rows_loaded
    assert materialization.metadata["rows_duplicate"].value == want.rows_duplicate
