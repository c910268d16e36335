"""`uec`: the analysts' command line over the Dagster pipeline (refresh, status, report, backup, restore, rekey,
feeds)."""

from __future__ import annotations

import argparse
import logging
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

from schemas.catalogue import feed_names
from schemas.clock import LONDON


def _yesterday() -> date:
    return datetime.now(LONDON).date() - timedelta(days=1)


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date: write it as YYYY-MM-DD, e.g. 2025-01-15") from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="uec",
        description="Run and inspect the Derby and Derbyshire SCC urgent and emergency care pipeline. "
        "Runs go through the persistent Dagster instance (DAGSTER_HOME, default .dagster/), so they "
        "appear in the Dagster UI beside the overnight schedule's runs.",
        epilog="Environment: UEC_WAREHOUSE (DuckDB file), UEC_LANDING (landing area), UEC_FEEDS_DIR, "
        "UEC_REFERENCE_DIR, UEC_REPORTS (reports folder), UEC_PUBLISHED (readers' copy of the marts, default "
        "reports/published), UEC_PSEUDONYMISATION_KEY (HMAC secret for patient identifiers), DAGSTER_HOME.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    # In this order in `uec --help`.
    _add_refresh(commands)
    _add_status(commands)
    _add_backup_and_restore(commands)
    _add_report(commands)
    _add_rekey(commands)
    _add_feeds(commands)
    from pipelines.cli.public import add_public

    add_public(commands)
    return parser


def _add_day_option(command: argparse.ArgumentParser) -> None:
    command.add_argument("--date", type=_day, metavar="YYYY-MM-DD", help="the day (default: yesterday, London time)")


def _add_refresh(commands) -> None:
    refresh = commands.add_parser(
        "refresh",
        help="load and rebuild a day (default yesterday) or a range of days",
        description="""Materialise every feed and mart (or one feed and what is built from it) for yesterday, a
        date, or a date range run as one Dagster run. Shows each step as it finishes, then rows loaded and
        quarantined per provider, failed checks and the headline figures. If another run is writing the warehouse,
        waits for it. Exit status: 0 when every step ran and no ERROR check failed; 1 otherwise, with the reason; 2
        for a usage error.""",
    )
    when = refresh.add_mutually_exclusive_group()
    when.add_argument("--date", type=_day, metavar="YYYY-MM-DD", help="one day (default: yesterday, London time)")
    when.add_argument("--from", dest="first", type=_day, metavar="YYYY-MM-DD", help="first day of a range (with --to)")
    refresh.add_argument(
        "--to", dest="last", type=_day, metavar="YYYY-MM-DD", help="last day of a range (default: yesterday)"
    )
    refresh.add_argument("--feed", choices=feed_names(), help="only this feed and the marts built from it")


def _add_status(commands) -> None:
    status = commands.add_parser(
        "status",
        help="what arrived for a day, what is late, what loaded, and failing checks",
        description="""For one day (default yesterday): per feed and provider, files received (first extract time)
        against when they are due (arrives_by in the provider's layout), rows loaded and quarantined, the last run
        covering the day and its outcome, and failing checks. Exit status 1 when a file is late, missing, rejected
        or a check failed; 0 otherwise.""",
    )
    _add_day_option(status)


def _add_backup_and_restore(commands) -> None:
    backup = commands.add_parser(
        "backup",
        help="copy the warehouse to a backup file, safely while runs may be going",
        description="""Copy every table and view of the warehouse (UEC_WAREHOUSE) into a new DuckDB file, then check
        each one's row count against the warehouse. A run that is writing is waited for, and no run can write until
        the copy is done, so the copy is one consistent state. The file appears only when complete. Exit status: 0
        when the copy is written and checked; 2 when there is no warehouse, it is damaged, the disk is full, or the
        target exists already.""",
    )
    backup.add_argument(
        "--to",
        dest="target",
        type=Path,
        metavar="PATH",
        help="the new file (default: backups/uec-YYYYMMDD-HHMM.duckdb beside warehouse/)",
    )
    restore = commands.add_parser(
        "restore",
        help="put a backup back in place of a damaged warehouse",
        description="""Check that FILE (a `uec backup` copy) opens, holds the warehouse's schemas and reads back
        whole, then put it in place of the warehouse (UEC_WAREHOUSE) in one step. The file it replaces is kept
        beside it as <name>.damaged-YYYYMMDD-HHMMSS (or <name>.replaced-… when it was not damaged), with its
        write-ahead log, which would otherwise be replayed into the backup. Refused while any process has the
        warehouse open. Exit status: 0 when restored; 1 when refused (the backup is unusable or the warehouse is in
        use); 2 when FILE is not a file.""",
    )
    restore.add_argument("backup_file", metavar="FILE", type=Path, help="the backup to restore")


def _add_report(commands) -> None:
    report = commands.add_parser(
        "report",
        help="write the SCC morning brief and the day's marts for the system call pack",
        description="""Write reports/brief-YYYY-MM-DD.html (one self-contained page: headline tiles, XmR charts over
        the trailing 90 days, and a data-quality strip marking provisional figures), the day's marts as CSV in
        reports/marts-YYYY-MM-DD/ and one workbook reports/marts-YYYY-MM-DD.xlsx, from the warehouse as it stands
        (it does not load files: run `uec refresh` first). Exit status: 0 when written; 1 when the warehouse has no
        figures for the day; 2 for a usage error.""",
    )
    _add_day_option(report)


def _add_rekey(commands) -> None:
    commands.add_parser(
        "rekey",
        help="adopt a new pseudonymisation key for the warehouse, where that is possible",
        description="""A warehouse keeps one pseudonymisation key for life: runs with another key stop. Keyed hashes
        cannot be turned into hashes under a new key without the NHS numbers, which are never stored, so rekey
        adopts the key now set only while the warehouse holds no patient keys; otherwise it refuses, says how many
        it holds, and how to rebuild the warehouse from the landing files under the new key. Exit status: 0 when the
        key was adopted (or already the warehouse's); 1 when refused.""",
    )


def _add_feeds(commands) -> None:
    feeds = commands.add_parser(
        "feeds",
        help="work with provider layouts",
        description="Work with provider layouts (schemas/feeds/<feed>/<provider>.yaml).",
    )
    feed_commands = feeds.add_subparsers(dest="feeds_command", required=True, metavar="SUBCOMMAND")
    check = feed_commands.add_parser(
        "check",
        help="dry-run a provider's layout over a file, writing nothing",
        description="""Read FILE with PROVIDER's layout and the feed's contract, exactly as a run would, and show
        what would load, what would be quarantined and why (by column, with row numbers as a spreadsheet shows
        them), or why the whole file would be rejected. Writes nothing. Exit status: 0 when every row would load; 1
        when rows would be quarantined or the file rejected; 2 when no layout of PROVIDER recognises the file name.""",
    )
    check.add_argument(
        "provider", metavar="PROVIDER", help="ODS code (e.g. RTG, RX9) or landing folder (e.g. uhdb, emas)"
    )
    check.add_argument("file", metavar="FILE", type=Path, help="the file to check")
    init = feed_commands.add_parser(
        "init",
        help="draft a provider layout from a sample file",
        description="""Read FILE and write a draft layout for PROVIDER (schemas/feeds/<feed>/<provider>.yaml, or
        --out): encoding, delimiter, workbook or CSV, header row, date and time formats, a file_pattern from the
        file's name, source columns matched to the feed's canonical columns by name, and the codes seen in coded
        columns. What it cannot decide is left as TODO, and a layout with a TODO left never loads: fill them, then
        run `uec feeds check PROVIDER FILE`. Never overwrites a layout. Exit status: 0 when written; 2 when the
        layout exists or the feed cannot be told (give --feed).""",
    )
    init.add_argument("provider", metavar="PROVIDER", help="ODS code (e.g. RK5) or short name (e.g. sfh)")
    init.add_argument("file", metavar="FILE", type=Path, help="a sample file from the provider")
    init.add_argument("--feed", choices=feed_names(), help="the feed (default: from the folder, else the columns)")
    init.add_argument("--out", type=Path, metavar="PATH", help="where to write the draft (default: the feeds folder)")


def _key_fits() -> bool:
    """The key set (never created here) is the warehouse's: a command that hashes must not start otherwise."""
    from pipelines.cli.rekey import key_problem
    from pipelines.ingest.pseudonymise import use_local_key

    if message := use_local_key(create=False):
        print(message)
    if problem := key_problem():
        print(problem, file=sys.stderr)
        return False
    return True


# Commands that open the warehouse: each first checks that it is a usable DuckDB file, so a damaged one is
# named before anything reads it or writes to it (`refresh` would otherwise write reference tables into it).
OPENS_WAREHOUSE = {"refresh", "status", "report", "backup", "rekey", "public"}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from pipelines.settings import load_settings

    load_settings()
    # Dagster's beta notices and debug log are for developers; the analyst sees progress and results.
    from pipelines.cli.notices import hide_dagster_notices

    hide_dagster_notices()
    logging.basicConfig(level=logging.WARNING, format="  %(message)s")
    logging.getLogger("dagster").setLevel(logging.ERROR)
    from pipelines.storage import warehouse

    try:
        if args.command in OPENS_WAREHOUSE:
            # Waits, saying so on stdout as `uec backup` always has, while a run holds the file.
            warehouse.check_openable(on_wait=print)
        return _run(args)
    except Exception as exc:
        # A damaged file or a full disk is said in plain words, naming the file, instead of a traceback.
        if (fault := warehouse.plain_fault(exc, warehouse.warehouse_path())) is None:
            raise
        print(fault, file=sys.stderr)
        # backup's help gives 2 for "cannot back up here"; for the others 1 means "needs attention".
        return 2 if args.command == "backup" else 1


def _run(args: argparse.Namespace) -> int:
    from pipelines.ingest.pseudonymise import use_local_key

    if args.command == "refresh":
        if args.last and not args.first:
            print("--to needs --from (for one day use --date).", file=sys.stderr)
            return 2
        if args.date:
            first = last = args.date
        elif args.first:
            first, last = args.first, args.last or _yesterday()
        else:
            first = last = _yesterday()
        if last < first:
            print(f"--to {last} is before --from {first}.", file=sys.stderr)
            return 2
        from pipelines.partitions import daily_partitions

        start, end = daily_partitions.get_first_partition_key(), daily_partitions.get_last_partition_key()
        if not (start <= first.isoformat() and last.isoformat() <= end):
            print(f"Days must fall between {start} and {end} (today).", file=sys.stderr)
            return 2
        if not _key_fits():
            return 1
        from pipelines.cli.refresh import refresh

        return refresh(first, last, args.feed)
    if args.command == "status":
        from pipelines.cli.status import status

        return status(args.date or _yesterday())
    if args.command == "report":
        from pipelines.cli.report import report

        return report(args.date or _yesterday())
    if args.command == "backup":
        from pipelines.cli.backup import backup, default_target

        return backup(args.target or default_target())
    if args.command == "restore":
        from pipelines.cli.restore import restore

        return restore(args.backup_file)
    if args.command == "public":
        from pipelines.cli.public import run_public

        return run_public(args)
    if args.command == "rekey":
        use_local_key(create=False)
        from pipelines.cli.rekey import rekey

        return rekey()
    if not args.file.is_file():
        print(f"{args.file} is not a file.", file=sys.stderr)
        return 2
    from pipelines.resources import default_resources

    files = default_resources()["feed_files"]
    if args.feeds_command == "init":
        from pipelines.cli.feeds_init import init_layout

        return init_layout(args.provider, args.file, args.feed, args.out, files.feeds_dir, files.reference_dir, print)
    if not _key_fits():
        return 1
    from pipelines.cli.dry_run import check_file

    return check_file(args.provider, args.file, files.feeds_dir, files.reference_dir)


if __name__ == "__main__":
    sys.exit(main())
