"""Child process: the whole daily pipeline (every asset and check the overnight refresh runs) over a range of days,
then its step timings as JSON."""

from __future__ import annotations

import json
import logging
import resource
import sys

from pipelines.cli.notices import hide_dagster_notices


def main(first: str, last: str, out: str) -> None:
    # The bench prints figures, not Dagster's notices about its own beta features; any other warning still shows.
    hide_dagster_notices()
    logging.getLogger("dagster").setLevel(logging.ERROR)
    import dagster as dg

    from pipelines.definitions import defs
    from pipelines.resources import default_resources

    tags = (
        {"dagster/asset_partition_range_start": first, "dagster/asset_partition_range_end": last}
        if first != last
        else {}
    )
    # What the overnight refresh runs: the national publications load in their own job when their files land.
    daily = [a for a in defs.assets if not _national(a)]
    checks = [c for c in defs.asset_checks if not _national(c)]
    result = dg.materialize(
        [*daily, *checks],
        resources=default_resources(),
        instance=dg.DagsterInstance.ephemeral(),
        partition_key=first if first == last else None,
        tags=tags,
        raise_on_error=True,
        run_config={"loggers": {"console": {"config": {"log_level": "ERROR"}}}},
    )
    steps = {
        e.step_key: e.event_specific_data.duration_ms / 1000
        for e in result.all_events
        if e.event_type == dg.DagsterEventType.STEP_SUCCESS
    }
    raw = {}
    for event in result.get_asset_materialization_events():
        m = event.step_materialization_data.materialization
        if m.asset_key.path[0] == "raw" and "seconds_read" in m.metadata:
            raw[m.asset_key.path[1]] = {
                k: m.metadata[k].value for k in ("rows_read", "seconds_read", "seconds_validate", "seconds_write")
            }
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # The great-expectations worker the run started (and waited for at its end) is a child: its peak is its own.
    worker_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    with open(out, "w", encoding="utf-8") as f:
        json.dump({"steps": steps, "raw": raw, "peak_mib": peak_kib / 1024, "worker_peak_mib": worker_kib / 1024}, f)


def _national(definition) -> bool:
    from assets.national import GROUP

    return any(key.path[0] == GROUP for key in getattr(definition, "keys", ()))


if __name__ == "__main__":
    main(*sys.argv[1:4])
