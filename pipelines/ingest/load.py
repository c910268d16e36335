"""Load a feed's days into the warehouse: list its landed files, ingest and write them by stretches, and report."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Protocol

import duckdb
import polars as pl

from pipelines.ingest.batch import PartitionBatch, ingest_days
from pipelines.ingest.landing import LandedFile, list_folder
from pipelines.ingest.notes import Notes, note_arrivals, note_files
from pipelines.ingest.pseudonymise import check_key
from pipelines.ingest.timings import recording, stage
from pipelines.ingest.write import write_feed_days
from pipelines.storage.warehouse import ensure_schema
from schemas.canonical import FeedSpec, Reference
from schemas.catalogue import Feed
from schemas.registry import BrokenLayout, FeedConfig, load_feed_layouts


class Log(Protocol):
    """Where a load says what went wrong as it happens: a Dagster run's log, or a Python logger."""

    def error(self, msg: str) -> object: ...

    def warning(self, msg: str) -> object: ...


# Outside a Dagster run (tests, scripts) the load's refusals and notes go to Python's logging.
_LOG = logging.getLogger(__name__)


@dataclass
class FeedLoad:
    """What loading a feed's days did: the frames written, what was refused or noted, and each stage's seconds."""

    configs: list[FeedConfig]
    broken: list[BrokenLayout]
    # Each provider's landed files by day, and the names in its folder its layout does not recognise.
    listed: dict[str, dict[date, list[LandedFile]]]
    unrecognised: dict[str, list[str]]
    # The rows written over the days to ops.source_files, ops.quarantine, ops.rejected_files,
    # ops.duplicate_files and ops.duplicate_rows.
    files: pl.DataFrame
    quarantined: pl.DataFrame
    rejected: pl.DataFrame
    duplicate_files: pl.DataFrame
    duplicate_rows: pl.DataFrame
    # The rows written to the raw table: kept only when asked for, as a run over months would hold them all.
    loaded: pl.DataFrame
    # Providers whose day (any of the days) was left as it was.
    blocked: set[str]
    notes: Notes
    seconds: Counter

    @property
    def failed_providers(self) -> list[str]:
        return sorted(self.blocked)


def feed_configs(spec: FeedSpec, feeds_dir: str) -> tuple[list[FeedConfig], list[BrokenLayout]]:
    """Provider layouts for a feed checked against its canonical schema: the usable ones, and the broken ones."""
    configs, broken = load_feed_layouts(spec.feed, feeds_dir)
    usable = []
    for config in configs:
        try:
            spec.check_mapping(set(config.columns), config.config_path)
        except ValueError as exc:
            broken.append(BrokenLayout(spec.feed, Path(config.config_path), config.provider_code, str(exc)))
            continue
        usable.append(config)
    return usable, broken


def load_feed_days(
    conn: duckdb.DuckDBPyConnection,
    entry: Feed,
    days: list[date],
    landing: Path,
    feeds_dir: str,
    partition_days: Callable[[], tuple[date, date]],
    log: Log = _LOG,
    keep_loaded: bool = False,
    days_per_write: int | None = None,
) -> FeedLoad:
    """Ingest and write the feed's days, as the raw asset does; what was written, refused and noted.

    Refusals are logged as they happen and the notes once at the end. Raises KeyMismatchError before anything is
    written when the pseudonymisation key is not the warehouse's. `partition_days`: see write.marts_to_rebuild.
    `days_per_write`: how many days share a pandera call and a transaction (DAYS_PER_WRITE unless given).
    """
    configs, broken = feed_configs(entry.spec, feeds_dir)
    for layout in broken:
        log.error(
            f"feed {entry.name}, provider {layout.provider_code}: layout {layout.path} cannot be used "
            f"({layout.reason}); the other providers load."
        )
    listed, unrecognised = _list_landed(configs, landing, log)
    ensure_schema(conn)
    check_key(conn, record=True)
    reference = _reference(conn)
    # A contract that knows only one day (a feed added the older way) is built and run for each day in turn.
    any_day = entry.contract_for_any_day
    contract = entry.contract(reference, None) if any_day else None
    written: list[dict[str, pl.DataFrame]] = []
    blocked: set[str] = set()
    notes = Notes()
    with recording() as seconds:
        for chunk in _chunks(days, (days_per_write or DAYS_PER_WRITE) if any_day else 1):
            checks = contract or entry.contract(reference, chunk[0])
            batches = ingest_days(configs, entry.spec, landing, chunk, checks, listed, broken)
            with stage("write"):
                frames = write_feed_days(conn, entry, batches, set(days), partition_days)
            written.append(
                {name: frames[name] for name in _WRITTEN}
                | {"loaded": frames["loaded"] if keep_loaded else pl.DataFrame()}
            )
            for day in chunk:
                batch = batches[day]
                files = batch.files_frame()
                note_files(notes, entry.name, batch.duplicates, files)
                blocked |= batch.blocked
                _log_rejections(log, entry.name, day, batch)
                arrived = set(files["provider_code"].to_list()) | set(batch.failed_providers)
                note_arrivals(notes, entry.name, day, configs, arrived)
    notes.log(log.warning)
    return FeedLoad(
        configs,
        broken,
        listed,
        unrecognised,
        **{_KEPT_AS[name]: pl.concat([w[name] for w in written]) for name in _WRITTEN},
        # Days without rows, and days whose optional columns came out untyped, line up by name.
        loaded=pl.concat([w["loaded"] for w in written], how="diagonal_relaxed"),
        blocked=blocked,
        notes=notes,
        seconds=seconds,
    )


# A run's days are read, checked and written this many at a time: one pandera call and one transaction for each
# stretch rather than each day. A week, not the marts' month: the raw rows themselves are held in memory, and 31
# England days of ED (2.2 million rows) took a 30-day run's peak from 1.7 to 3.1 GiB, where a week's fixed costs
# (a pandera call, a transaction) are already a small share.
DAYS_PER_WRITE = 7


def _chunks(days: list[date], size: int) -> list[list[date]]:
    return [days[i : i + size] for i in range(0, len(days), size)]


# The frames write_feed_days returns that FeedLoad keeps, by the name FeedLoad gives them.
_KEPT_AS = {
    "files": "files",
    "quarantined": "quarantined",
    "rejected": "rejected",
    "duplicates": "duplicate_files",
    "duplicate_rows": "duplicate_rows",
}
_WRITTEN = tuple(_KEPT_AS)


def _list_landed(
    configs: list[FeedConfig], landing: Path, log: Log
) -> tuple[dict[str, dict[date, list[LandedFile]]], dict[str, list[str]]]:
    """Each provider's landed files by day, listed once for the whole run, and the names its layout skipped."""
    listed, unrecognised = {}, {}
    for config in configs:
        listing = list_folder(config, landing)
        listed[config.provider_code] = listing.by_day
        if listing.unrecognised:
            unrecognised[config.provider_code] = listing.unrecognised
            log.warning(
                f"{config.provider_code}: files in {config.landing_dir} not named as the layout expects, "
                f"not loaded: {listing.unrecognised}"
            )
    return listed, unrecognised


def _reference(conn: duckdb.DuckDBPyConnection) -> Reference:
    """The codes a contract checks against, from the warehouse's reference tables."""
    return Reference(
        sites=[r[0] for r in conn.execute("select site_code from ref.sites").fetchall()],
        providers=[r[0] for r in conn.execute("select provider_code from ref.providers").fetchall()],
    )


def _log_rejections(log: Log, feed: str, day: date, batch: PartitionBatch) -> None:
    for rejection in batch.rejected:
        provider = rejection["provider_code"]
        outcome = (
            f"{provider}'s data for {day} was left as it was; the other providers loaded. Fix the file or "
            "its layout and re-run the day."
            if provider in batch.blocked
            else f"a later file from {provider} for {day} was read and loaded instead."
        )
        log.error(
            f"feed {feed}, provider {provider}, file {rejection['file_name']} rejected: "
            f"{rejection['reason']}. {outcome}"
        )
