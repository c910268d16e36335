"""The Dagster code location: `dagster dev` and `dagster definitions validate` load this module."""

from collections.abc import Iterable

import dagster as dg

from assets.data_quality import build_warehouse_expectations
from assets.forecast import build_forecasts
from assets.marts import mart_assets
from assets.morning_brief import build_morning_brief
from assets.national import national_assets
from assets.published import build_published_marts
from assets.raw import raw_feed_assets
from assets.reconciliation import build_reconciliation
from assets.reference import reference_assets
from pipelines.alerts.sensors import build_alerts
from pipelines.jobs import build_feed_refresh_jobs, daily_refresh_job
from pipelines.national_sensors import national_files, national_job
from pipelines.resources import default_resources
from pipelines.schedules import midday_opel_refresh, overnight_refresh
from pipelines.sensors import build_landing_sensor
from pipelines.settings import load_settings
from schemas import catalogue
from schemas.catalogue import Feed, Mart, Rollup

# The daemon, its run workers and `dagster dev` import this module: they find the key and every UEC_*
# setting in the environment or the .env file, exactly as `uec` does.
load_settings()


def build_definitions(
    feeds: Iterable[Feed] = catalogue.FEEDS, marts: Iterable[Mart | Rollup] = catalogue.MARTS
) -> dg.Definitions:
    """Every asset, check, job, schedule and sensor, derived from the catalogue's feeds and marts."""
    feeds, marts = tuple(feeds), tuple(marts)
    feed_jobs = build_feed_refresh_jobs(feeds)
    # The midday schedule refreshes OPEL: present only while the catalogue has that feed.
    schedules = [overnight_refresh, *([midday_opel_refresh] if "opel_submissions" in feed_jobs else [])]
    alerts = build_alerts(feeds)
    return dg.Definitions(
        assets=[
            *reference_assets,
            *raw_feed_assets(feeds),
            *mart_assets(marts),
            build_forecasts(),
            build_morning_brief(marts),
            build_published_marts(marts),
            build_reconciliation(),
            *national_assets(),
        ],
        asset_checks=[build_warehouse_expectations(catalogue.expectations(feeds, marts))],
        jobs=[daily_refresh_job, *feed_jobs.values(), national_job],
        schedules=[*schedules, *alerts.schedules],
        sensors=[build_landing_sensor(feed_jobs), *alerts.sensors, national_files],
        resources=default_resources(),
        # Steps run one after another in the run's process: DuckDB takes one writer, and a process per
        # step would only queue on the file lock after paying Dagster's start-up each time.
        executor=dg.in_process_executor,
    )


defs = build_definitions()
