"""What a feed's load has to say about its files (copies, header-only files, missing files), said once per kind."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import date

import polars as pl

from schemas.registry import FeedConfig


class Notes:
    """Warnings gathered over a run's days and said once per provider and kind, with a count.

    A range run over months logged one line per file (about 200 for the demo's "columns the layout does
    not map"), burying what mattered; the first message stands for the rest.
    """

    def __init__(self) -> None:
        self.first: dict[tuple[str, str], str] = {}
        self.count: Counter = Counter()

    def add(self, provider: str, kind: str, message: str) -> None:
        self.first.setdefault((provider, kind), message)
        self.count[(provider, kind)] += 1

    def log(self, warn: Callable[[str], object]) -> None:
        for key, message in self.first.items():
            more = self.count[key] - 1
            warn(message + (f" (and {more} more like it in this run)" if more else ""))


def note_files(notes: Notes, feed: str, duplicates: list[dict], files: pl.DataFrame) -> None:
    """Copies of a file, files with a header only, repeated rows and columns the layout does not map."""
    for copy in duplicates:
        notes.add(
            copy["provider_code"],
            "duplicate",
            f"feed {feed}, provider {copy['provider_code']}, file {copy['file_name']} is byte-identical to "
            f"{copy['duplicate_of']} (sha256 {copy['sha256'][:12]}…): recorded in ops.duplicate_files, "
            "not loaded again.",
        )
    for record in files.iter_rows(named=True):
        if record["rows_read"] == 0:
            notes.add(
                record["provider_code"],
                "header only",
                f"feed {feed}, provider {record['provider_code']}, file {record['file_name']}: "
                "header only, no rows; earlier files for the day still count.",
            )
        if record["rows_duplicate"]:
            notes.add(
                record["provider_code"],
                "duplicate rows",
                f"feed {feed}, provider {record['provider_code']}, file {record['file_name']}: "
                f"{record['rows_duplicate']} row(s) repeat an earlier row exactly; counted once, the "
                "copies recorded in ops.duplicate_rows.",
            )
        if record["unexpected_columns"]:
            notes.add(
                record["provider_code"],
                f"unmapped {record['unexpected_columns']}",
                f"feed {feed}, provider {record['provider_code']}, file {record['file_name']}: "
                f"columns the layout does not map, ignored: {record['unexpected_columns']}",
            )


def note_arrivals(notes: Notes, feed: str, day: date, configs: list[FeedConfig], arrived: set[str]) -> None:
    """Providers that sent no file when their layout expects one, or sent one outside their active dates."""
    for config in configs:
        if config.expects_file(day) and config.provider_code not in arrived:
            notes.add(
                config.provider_code,
                "no file",
                f"{day}: no {feed} file from {config.provider_code} ({config.provider_name})",
            )
        elif config.provider_code in arrived and not config.active_on(day):
            # Loaded all the same: the rows are real, and the dates are more likely out of date.
            notes.add(
                config.provider_code,
                "outside active dates",
                f"feed {feed}, provider {config.provider_code}: file(s) for {day}, outside the layout's "
                f"active dates ({config.active_from or '…'} to {config.active_to or '…'}), loaded; "
                f"check active_from / active_to in {config.config_path}",
            )
