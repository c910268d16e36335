"""Jobs and the asset selections they and the command-line tool use."""

import dagster as dg

FEEDS = ("ed_attendances", "ambulance_handovers", "handover_sitrep", "cnh_cases", "opel_submissions")
REFERENCE = dg.AssetSelection.groups("reference")


def feed_selection(feed: str) -> dg.AssetSelection:
    """One feed's raw asset and everything built from it, with the reference tables it validates against."""
    if feed not in FEEDS:
        raise ValueError(f"unknown feed {feed!r}; feeds are {', '.join(FEEDS)}")
    return dg.AssetSelection.assets(dg.AssetKey(["raw", feed])).downstream() | REFERENCE


# Partitioning comes from the selected assets (daily, Europe/London).
daily_refresh_job = dg.define_asset_job(
    name="daily_refresh",
    selection=dg.AssetSelection.all(),
    description="Ingest, validate and materialise every feed and mart for the selected day(s).",
)

# One job per feed, for the landing sensor, the midday OPEL schedule and `uec refresh --feed`.
feed_refresh_jobs = {
    feed: dg.define_asset_job(
        name=f"refresh_{feed}",
        selection=feed_selection(feed),
        description=f"Load the day's {feed} files and rebuild everything computed from them.",
    )
    for feed in FEEDS
}
