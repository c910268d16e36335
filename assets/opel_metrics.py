"""OPEL marts: declared and derived level per provider, parameter contributions, and the system level."""

from assets.ed_metrics import ed_four_hour_rollups
from assets.handover_metrics import handover_rollups
from assets.mart_factories import build_daily_mart_asset
from assets.opel_submissions import opel_submissions_raw
from assets.reference import opel_config, providers

opel_parameter_scores = build_daily_mart_asset(
    "opel_parameter_scores",
    deps=[opel_submissions_raw, opel_config],
    check_name="contributions_are_level_times_weight",
    check_description="Every parameter scores a level 1-4 and contributes level x weight.",
    group_name="opel",
    description="Each acute provider's OPEL parameters scored against the configured bounds, with weighted contributions.",
    key=("date", "provider_code", "parameter"),
)

opel_daily = build_daily_mart_asset(
    "opel_daily",
    deps=[opel_parameter_scores, providers, ed_four_hour_rollups, handover_rollups],
    check_name="opel_flags_are_consistent",
    check_description="A provider with no submission is missing; a late provider is also missing at 11:00; levels are 1-4.",
    group_name="opel",
    description="Every expected provider's OPEL per day: declared (latest by 11:00), late, missing, changed, derived, cross-check.",
    key=("date", "provider_code"),
)

opel_system_daily = build_daily_mart_asset(
    "opel_system_daily",
    deps=[opel_daily, opel_config],
    check_name="system_level_is_between_1_and_4",
    check_description="The system score and level lie in 1-4 and no more providers declared than expected.",
    group_name="opel",
    description="The system OPEL score and level per day: the configured weighted mean of providers' declared levels.",
    key=("date", "system_code"),
)
