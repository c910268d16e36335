"""Did each provider's file for a day arrive by the time its layout says (arrives_by)? Shared by checks and status."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from pipelines.ingest.landing import LandedFile, list_folder
from schemas.clock import LONDON
from schemas.registry import FeedConfig


@dataclass(frozen=True)
class Arrival:
    """One provider's file(s) for one day against when the first was due."""

    config: FeedConfig
    day: date
    due: datetime
    files: int
    first_extract: datetime | None  # London time the first file counts as arrived (see `arrival`)
    # on time | late | missing | not yet due | not expected | inactive (no file, outside the layout's active dates)
    # | outside active dates (files came for such a day: loaded, not judged)
    state: str

    @property
    def is_problem(self) -> bool:
        return self.state in ("late", "missing")

    def describe(self) -> str:
        who = f"{self.config.provider_code} ({self.config.provider_name})"
        if self.state == "late":
            return (
                f"{who} {self.day}: first file extracted {self.first_extract:%d %b %H:%M}, due {self.due:%d %b %H:%M}"
            )
        return f"{who} {self.day}: no file, due {self.due:%d %b %H:%M}"


def arrival(
    config: FeedConfig, landing: Path, day: date, now: datetime, files: list[LandedFile] | None = None
) -> Arrival:
    """A file counts as arrived at the extract time in its name (the provider's clock, not our copy's).

    A layout whose extract time is a rule (docs/domain.md §7.5) has no such clock: its files count as arrived when they
    landed, since a fixed extract time would make every file on time, or every file late.
    """
    files = list_folder(config, landing).by_day.get(day, []) if files is None else files
    due = config.due_at(day)
    if files:
        if config.extracted_at.source == "file_name":
            first = min(f.extracted_at for f in files).replace(tzinfo=LONDON)
        else:
            first = min(f.received_at_utc for f in files).astimezone(LONDON)
        if not config.active_on(day):
            return Arrival(config, day, due, len(files), first, "outside active dates")
        return Arrival(config, day, due, len(files), first, "late" if first > due else "on time")
    if not config.active_on(day):
        return Arrival(config, day, due, 0, None, "inactive")
    if not config.expected_daily:
        return Arrival(config, day, due, 0, None, "not expected")
    return Arrival(config, day, due, 0, None, "missing" if now > due else "not yet due")
