"""Jobs: the daily refresh of every feed and mart for a partition (or a range, as one run)."""

import dagster as dg

# Partitioning comes from the selected assets (daily, Europe/London).
daily_refresh_job = dg.define_asset_job(
    name="daily_refresh",
    selection=dg.AssetSelection.all(),
    description="Ingest, validate and materialise every feed and mart for the selected day(s).",
)
