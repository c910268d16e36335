"""`uec public`: NHS England's published statistics. `load` loads the landed publication files through Dagster."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from schemas import catalogue

Print = Callable[[str], None]


def add_public(commands) -> None:
    """The `public` command group (its own function: `fetch` joins `load` here)."""
    public = commands.add_parser(
        "public",
        help="load NHS England's published statistics",
        description="Work with NHS England's published statistics (schemas/national/<publication>/ layouts; files "
        "land in <UEC_LANDING>/national/<publication>/).",
    )
    public_commands = public.add_subparsers(dest="public_command", required=True, metavar="SUBCOMMAND")
    load = public_commands.add_parser(
        "load",
        help="load the landed files of a publication (default: every publication)",
        description="""Load every landed file of PUBLICATION not loaded before (a file whose sha256 is in
        ops.publication_files is skipped) into national.<publication>, through the Dagster instance so the run
        shows in the UI. Prints per file the rows read, loaded, quarantined and duplicate. Exit status: 0 when every
        file loaded and every row is accounted for; 1 when a file could not be read or a check failed.""",
    )
    load.add_argument(
        "publication",
        nargs="?",
        choices=[p.name for p in catalogue.PUBLICATIONS],
        metavar="PUBLICATION",
        help=f"one of {', '.join(p.name for p in catalogue.PUBLICATIONS)} (default: all)",
    )


def run_public(args, out: Print = print) -> int:
    if args.public_command == "load":
        return load(args.publication, out)
    raise AssertionError(f"unknown public subcommand {args.public_command}")  # argparse allows only those added


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
