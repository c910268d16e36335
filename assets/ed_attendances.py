"""Raw ED attendances: every provider's landed files for a day, validated, with bad rows quarantined."""

from assets.raw_feed import build_raw_feed_asset
from schemas import ed_attendances as ed

ed_attendances = build_raw_feed_asset(
    ed.SPEC, ed.contract, group_name="ed",
    description="Every valid version of every ED attendance landed for the day; failing rows go to ops.quarantine.",
)
