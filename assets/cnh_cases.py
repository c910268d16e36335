"""Raw CNH / SPoA cases from DHU: every case passed to the clinical hub, validated, bad rows quarantined."""

from assets.raw_feed import build_raw_feed_asset
from schemas import cnh_cases

cnh_cases_raw = build_raw_feed_asset(
    cnh_cases.SPEC, cnh_cases.contract, group_name="cnh",
    description="Every valid version of every CNH / SPoA case landed for the day; failing rows go to ops.quarantine.",
)
