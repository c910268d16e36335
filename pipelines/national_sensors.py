"""The national publications' job and the sensor that runs it when a published file lands under national/."""

from __future__ import annotations

import hashlib
import json

import dagster as dg

from pipelines.national.load import landed
from pipelines.resources import FeedFilesResource
from pipelines.settings import settings
from schemas import catalogue
from schemas.national_layouts import PublicationLayoutError, load_publication_layouts

NATIONAL = dg.AssetSelection.groups("national")

national_job = dg.define_asset_job(
    name="national_job",
    selection=NATIONAL,
    description="Load every national publication's newly landed files (NHS England's published statistics).",
)


def landed_publication_files(feed_files: FeedFilesResource, log=None) -> dict[str, str]:
    """Each landed file a publication layout recognises, as national/<publication>/<file> -> its version."""
    found = {}
    for entry in catalogue.PUBLICATIONS:
        try:
            layouts = load_publication_layouts(entry.name)
        except PublicationLayoutError as exc:
            # One publication's broken layout stops only its files: the run names it when it loads them.
            if log is not None:
                log.warning(str(exc))
            continue
        for path, _ in landed(entry.name, feed_files.landing, layouts):
            stat = path.stat()
            # Modification time and size: a corrected file under the same name is a new version.
            found[f"national/{entry.name}/{path.name}"] = f"{stat.st_mtime_ns}:{stat.st_size}"
    return found


@dg.sensor(
    name="national_files",
    job=national_job,
    minimum_interval_seconds=settings().sensor_interval_seconds,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Loads the national publications when a new or corrected published file lands under national/.",
)
def national_files(context: dg.SensorEvaluationContext, feed_files: FeedFilesResource) -> dg.SensorResult:
    # The cursor maps each file to the version last acted on, so each version triggers exactly one run.
    seen: dict[str, str] | None = json.loads(context.cursor) if context.cursor else None
    current = landed_publication_files(feed_files, context.log)
    cursor = json.dumps(current, sort_keys=True)
    if seen is None:
        # As the landing sensor: what is already landed is for `uec public load` or a run started by hand.
        return dg.SensorResult(
            skip_reason=f"Started watching {len(current)} published files; new ones will trigger runs.", cursor=cursor
        )
    new = sorted(f"{path}@{version}" for path, version in current.items() if seen.get(path) != version)
    if not new:
        return dg.SensorResult(skip_reason="No new or corrected published files.", cursor=cursor)
    # One run loads every new file: the asset loads all files not yet in ops.publication_files.
    run_key = "national@" + hashlib.sha256("\n".join(new).encode()).hexdigest()[:16]
    request = dg.RunRequest(run_key=run_key, tags={"uec/trigger": "national_files", "uec/files": str(len(new))})
    return dg.SensorResult(run_requests=[request], cursor=cursor)
