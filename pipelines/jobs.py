"""Jobs and the asset selections they and the command-line tool use, one refresh job per catalogue feed."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import dagster as dg

from schemas import catalogue
from schemas.catalogue import Feed

if TYPE_CHECKING:  # what define_asset_job returns; dagster does not export the class
    from dagster._core.definitions.unresolved_asset_job_definition import UnresolvedAssetJobDefinition

REFERENCE = dg.AssetSelection.groups("reference")


def feed_selection(feed: str) -> dg.AssetSelection:
    """One feed's raw asset and everything built from it, with the reference tables it validates against."""
    return dg.AssetSelection.assets(dg.AssetKey(["raw", feed])).downstream() | REFERENCE


# Partitioning comes from the selected assets (daily, Europe/London).
daily_refresh_job = dg.define_asset_job(
    name="daily_refresh",
    # The national publications are not daily partitions: their files load when they land (national_job).
    selection=dg.AssetSelection.all() - dg.AssetSelection.groups("national"),
    description="Ingest, validate and materialise every feed and mart for the selected day(s).",
)


def build_feed_refresh_jobs(feeds: Iterable[Feed] = catalogue.FEEDS) -> dict[str, UnresolvedAssetJobDefinition]:
    """One job per feed, for the landing sensor, the midday OPEL schedule and `uec refresh --feed`."""
    return {
        entry.name: dg.define_asset_job(
            name=f"refresh_{entry.name}",
            selection=feed_selection(entry.name),
            description=f"Load the day's {entry.label} files and rebuild everything computed from them.",
        )
        for entry in feeds
    }
