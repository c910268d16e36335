"""CNH / SPoA deflection marts: activity, dispatches avoided, response and outcome mix per referral source."""

from assets.cnh_cases import cnh_cases_raw
from assets.mart_factories import build_daily_mart_asset, build_rollup_assets

cnh_deflection_daily = build_daily_mart_asset(
    "cnh_deflection_daily",
    deps=[cnh_cases_raw],
    check_name="deflection_counts_are_consistent",
    check_description="Dispatched plus avoided never exceeds cases; responses within 30 minutes never exceed responses.",
    group_name="cnh",
    description="CNH / SPoA cases per day and referral source: dispatches avoided, deflection rate, response and outcome mix.",
    key=("date", "referral_source"),
)

cnh_deflection_rollups = build_rollup_assets(
    "cnh_deflection_rollup",
    {
        "cnh_deflection_rollup": "CNH / SPoA figures per referral source and ambulance-stack total by day, month to date and year to date.",
        "cnh_deflection_monthly": "CNH / SPoA figures per referral source for each calendar month (to its latest loaded day).",
    },
    deps=[cnh_deflection_daily],
    daily_table="cnh_deflection_daily",
    group_name="cnh",
)
