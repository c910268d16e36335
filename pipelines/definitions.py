"""The Dagster code location: `dagster dev` and `dagster definitions validate` load this module."""

import dagster as dg

from assets import ed_attendances, ed_metrics, reference
from pipelines.jobs import daily_refresh_job
from pipelines.resources import default_resources

all_assets = dg.load_assets_from_modules([reference, ed_attendances, ed_metrics])
all_asset_checks = dg.load_asset_checks_from_modules([reference, ed_attendances, ed_metrics])

defs = dg.Definitions(
    assets=all_assets,
    asset_checks=all_asset_checks,
    jobs=[daily_refresh_job],
    resources=default_resources(),
)
