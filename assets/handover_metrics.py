"""Ambulance handover marts: delays and hours lost per day and site, rolled up to trust and system."""

from assets.ambulance_handovers import ambulance_handovers_raw, handover_sitrep_raw
from assets.mart_factories import build_daily_mart_asset, build_rollup_assets
from assets.reference import sites, targets

handover_daily = build_daily_mart_asset(
    "handover_daily",
    deps=[ambulance_handovers_raw, handover_sitrep_raw, sites],
    check_name="handover_counts_are_consistent",
    check_description="known + unknown = arrivals, and over 60 <= over 45 <= over 30 <= over 15 <= known.",
    group_name="handovers",
    description="Ambulance handovers per day and site: delays over 15/30/45/60 minutes, hours lost, mean and percentiles.",
    key=("date", "site_code"),
)

handover_rollups = build_rollup_assets(
    "handover_rollup",
    {
        "handover_rollup": "Handover figures for site, trust and system by day, month to date and year to date, against the standards.",
        "handover_trust": "Trust-level handover delays and hours lost for the day, month to date and year to date.",
        "handover_system": "System-level handover delays and hours lost for the day, month to date and year to date.",
    },
    deps=[handover_daily, targets],
    daily_table="handover_daily",
    group_name="handovers",
)
