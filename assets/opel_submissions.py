"""Raw OPEL submissions: every provider's every submission for the day, kept for audit."""

from assets.raw_feed import build_raw_feed_asset
from schemas import opel_submissions

opel_submissions_raw = build_raw_feed_asset(
    opel_submissions.SPEC, opel_submissions.contract, group_name="opel",
    description="Every OPEL submission for the day (re-submissions included, for audit); failing rows go to ops.quarantine.",
)
