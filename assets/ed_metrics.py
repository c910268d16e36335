"""ED 4-hour and 12-hour marts: daily per site and type, rolled up to trust and system."""

from assets.ed_attendances import ed_attendances
from assets.mart_factories import build_daily_mart_asset, build_rollup_assets
from assets.reference import sites, targets

ed_four_hour_daily = build_daily_mart_asset(
    "ed_four_hour_daily",
    deps=[ed_attendances, sites],
    check_name="attendances_equal_within_plus_breaches_plus_pending",
    check_description="Every attendance is counted exactly once as within 4 hours, a breach or pending.",
    group_name="ed",
    description="ED attendances, within 4 hours, breaches, pending and over 12 hours per day, site and department type.",
    key=("date", "site_code", "department_type"),
)

ed_four_hour_rollups = build_rollup_assets(
    "ed_four_hour_rollup",
    {
        "ed_four_hour_rollup": "ED 4-hour and 12-hour figures for site, trust and system by day, month to date and year to date.",
        "ed_four_hour_trust": "Trust-level ED 4-hour performance for the day, month to date and year to date, beside the target.",
        "ed_four_hour_system": "System-level (ICB) ED 4-hour performance for the day, month to date and year to date, beside the target.",
    },
    deps=[ed_four_hour_daily, targets],
    daily_table="ed_four_hour_daily",
    group_name="ed",
    preview_filter="scope = 'all_types'",
)
