"""The Dagster code location: `dagster dev` and `dagster definitions validate` load this module."""

import dagster as dg

from assets import (
    ambulance_handovers, cnh_cases, cnh_metrics, data_quality, ed_attendances, ed_metrics, handover_metrics, morning_brief,
    opel_metrics, opel_submissions, reference,
)
from pipelines.jobs import daily_refresh_job, feed_refresh_jobs
from pipelines.resources import default_resources
from pipelines.schedules import midday_opel_refresh, overnight_refresh
from pipelines.sensors import landing_files

MODULES = [
    reference, ed_attendances, ed_metrics, ambulance_handovers, handover_metrics, cnh_cases, cnh_metrics,
    opel_submissions, opel_metrics, data_quality, morning_brief,
]
all_assets = dg.load_assets_from_modules(MODULES)
all_asset_checks = dg.load_asset_checks_from_modules(MODULES)

defs = dg.Definitions(
    assets=all_assets,
    asset_checks=all_asset_checks,
    jobs=[daily_refresh_job, *feed_refresh_jobs.values()],
    schedules=[overnight_refresh, midday_opel_refresh],
    sensors=[landing_files],
    resources=default_resources(),
)
