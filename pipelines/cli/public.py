"""`uec public fetch` and `load`: download NHS England's publications into the landing area with their provenance,
then load the landed files through Dagster."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from pipelines.national.fetch import FetchError, fetch, load_sources
from pipelines.settings import settings
from schemas import catalogue

Print = Callable[[str], None]


def fetch_publications(
    publication: str | None, every: bool, matching: str | None = None, out: Print = print, err: Print | None = None
) -> int:
    """Exit status 0 when every publication asked for is landed (or was already), 1 when any could not be fetched,
    2 for a usage error."""
    err = err or (lambda text: print(text, file=sys.stderr))
    if every == (publication is not None):
        err("Name one publication, or give --all for every one in schemas/national/sources.yaml.")
        return 2
    try:
        sources = load_sources()
    except FetchError as exc:
        err(str(exc))
        return 2
    if publication is not None and publication not in sources:
        err(f"{publication} has no source in schemas/national/sources.yaml; configured: {', '.join(sources)}.")
        return 2
    if every and matching:
        err("--matching narrows one publication's files: name the publication.")
        return 2
    names = list(sources) if every else [publication]
    landing = Path(settings().landing_dir)
    failed: list[str] = []
    new = 0
    for name in names:
        assert name is not None
        try:
            new += fetch(sources[name], landing, out, matching).new
        except FetchError as exc:
            err(f"FAILED: {exc}")
            failed.append(name)
    out(
        f"{len(names)} publication(s): {new} new file(s) landed, {len(names) - new - len(failed)} already landed, "
        f"{len(failed)} failed{': ' + ', '.join(failed) if failed else ''}."
    )
    return 1 if failed else 0


def load(publication: str | None, out: Print = print) -> int:
    """Materialise the publication's asset (or all of them) and print what each new file gave."""
    # Dagster and every asset load slowly: only when a run is asked for, never for `uec --help`.
    import dagster as dg

    from pipelines.cli.refresh import QUIET_LOGGERS, plain_reason
    from pipelines.definitions import defs
    from pipelines.instance import persistent_instance, process_tags

    entries = [catalogue.publication(publication)] if publication else list(catalogue.PUBLICATIONS)
    started = datetime.now(UTC).replace(tzinfo=None)
    run_id = str(uuid.uuid4())
    out(f"Loading {', '.join(e.label for e in entries)} (run {run_id}).")
    result = defs.resolve_job_def("national_job").execute_in_process(
        instance=persistent_instance(),
        run_id=run_id,
        tags={"uec/trigger": "uec public load", **process_tags()},
        raise_on_error=False,
        run_config=QUIET_LOGGERS,
        asset_selection=[dg.AssetKey(["national", e.name]) for e in entries],
    )
    _summary([e.name for e in entries], started, out)
    failed_checks = [e for e in result.get_asset_check_evaluations() if not e.passed]
    if not result.success:
        failures = [e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE]
        for failure in failures:
            out(f"FAILED {failure.step_key}: {plain_reason(failure.step_failure_data.error) or 'see the Dagster UI'}")
        return 1
    for check in failed_checks:
        out(f"CHECK FAILED {check.asset_key.to_user_string()} {check.check_name}")
    return 1 if failed_checks else 0


def _summary(names: list[str], since: datetime, out: Print) -> None:
    from pipelines.storage.warehouse import connect, warehouse_path

    if not Path(warehouse_path()).exists():
        return
    with connect(warehouse_path(), read_only=True, timeout_seconds=600) as conn:
        files = conn.execute(
            "select publication, file_name, rows_read, rows_loaded, rows_quarantined, rows_duplicate, "
            "rows_with_unknown_values, period_from, period_to from ops.publication_files "
            "where loaded_at_utc >= ? and list_contains(?, publication) order by publication, file_name",
            [since, names],
        ).fetchall()
    if not files:
        out("No new files (a file already loaded is skipped).")
    for name, file, read, loaded, quarantined, duplicate, unknown, start, end in files:
        out(
            f"  {name:<22} {file}: {read:,} read = {loaded:,} loaded + {quarantined:,} quarantined + "
            f"{duplicate:,} duplicate; {unknown:,} with a value unknown; {start} to {end}"
        )
