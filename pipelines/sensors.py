"""Landing sensor: a new or corrected provider file re-materialises its day, once per file version."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

import dagster as dg

from pipelines.ingest.landing import list_folder
from pipelines.partitions import daily_partitions
from pipelines.resources import FeedFilesResource
from pipelines.settings import settings
from schemas.registry import load_feed_configs

if TYPE_CHECKING:  # what define_asset_job returns; dagster does not export the class
    from dagster._core.definitions.unresolved_asset_job_definition import UnresolvedAssetJobDefinition


@dataclass(frozen=True)
class LandedVersion:
    feed: str
    provider_code: str
    relative_path: str
    activity_date: date
    version: str  # modification time and size: a corrected file under the same name is a new version


def landed_versions(feed_files: FeedFilesResource, feeds: list[str]) -> list[LandedVersion]:
    """Every file in the landing area whose name a provider layout recognises (as every run lists it)."""
    found = []
    for feed in feeds:
        for config in load_feed_configs(feed, feed_files.feeds_dir):
            for day, files in list_folder(config, feed_files.landing).by_day.items():
                for landed in files:
                    stat = landed.path.stat()
                    found.append(
                        LandedVersion(
                            feed,
                            config.provider_code,
                            f"{config.landing_dir}/{landed.path.name}",
                            day,
                            f"{stat.st_mtime_ns}:{stat.st_size}",
                        )
                    )
    return sorted(found, key=lambda f: f.relative_path)


def build_landing_sensor(jobs: dict[str, UnresolvedAssetJobDefinition]) -> dg.SensorDefinition:
    """The landing sensor over the given feeds' refresh jobs."""

    @dg.sensor(
        name="landing_files",
        jobs=list(jobs.values()),
        # Once a minute by default; UEC_SENSOR_INTERVAL_SECONDS shortens it (the daemon test uses 5).
        minimum_interval_seconds=settings().sensor_interval_seconds,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Re-materialises a feed's day when a provider lands a new or corrected file for it.",
    )
    def landing_files(context: dg.SensorEvaluationContext, feed_files: FeedFilesResource) -> dg.SensorResult:
        return _evaluate(context, feed_files, jobs)

    return landing_files


def _evaluate(
    context: dg.SensorEvaluationContext, feed_files: FeedFilesResource, jobs: dict[str, UnresolvedAssetJobDefinition]
) -> dg.SensorResult:
    # The cursor maps each file to the version last acted on, so each version triggers exactly one run.
    seen: dict[str, str] | None = json.loads(context.cursor) if context.cursor else None
    current = landed_versions(feed_files, list(jobs))
    cursor = json.dumps({f.relative_path: f.version for f in current}, sort_keys=True)
    if seen is None:
        # First evaluation: what is already landed is the schedules' and `uec refresh`'s to load.
        return dg.SensorResult(
            skip_reason=f"Started watching {len(current)} landed files; new ones will trigger runs.", cursor=cursor
        )
    first, last = daily_partitions.get_first_partition_key(), daily_partitions.get_last_partition_key()
    assert first is not None and last is not None  # the partitions start on a past day: never empty
    requests, outside = [], []
    for landed in current:
        if seen.get(landed.relative_path) == landed.version:
            continue
        day = landed.activity_date.isoformat()
        if not first <= day <= last:
            outside.append(landed.relative_path)
            continue
        requests.append(
            dg.RunRequest(
                run_key=f"{landed.relative_path}@{landed.version}",
                partition_key=day,
                job_name=jobs[landed.feed].name,
                tags={
                    "uec/trigger": "landing_files",
                    "uec/file": landed.relative_path,
                    "uec/provider": landed.provider_code,
                },
            )
        )
    if outside:
        context.log.warning(f"Files for days outside {first} to {last} were not loaded: {outside}")
    if not requests:
        return dg.SensorResult(skip_reason="No new or corrected files.", cursor=cursor)
    return dg.SensorResult(run_requests=requests, cursor=cursor)
