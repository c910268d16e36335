"""Raw ambulance handovers: EMAS conveyances, and daily sitrep counts where a site has no conveyances."""

from assets.raw_feed import build_raw_feed_asset
from schemas import ambulance_handovers, handover_sitrep

ambulance_handovers_raw = build_raw_feed_asset(
    ambulance_handovers.SPEC, ambulance_handovers.contract, group_name="handovers",
    description="Every valid version of every EMAS conveyance landed for the day; failing rows go to ops.quarantine.",
)

handover_sitrep_raw = build_raw_feed_asset(
    handover_sitrep.SPEC, handover_sitrep.contract, group_name="handovers",
    description="Daily handover counts per site in NHS England's published layout, for sites without conveyance data.",
)
