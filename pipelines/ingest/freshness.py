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
    first_extract: datetime | None  # London time, from the file name
    state: str  # on time | late | missing | not yet due | not expected

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
    """A file counts as arrived at the extract time in its name (the provider's clock, not our copy's)."""
    files = list_folder(config, landing).by_day.get(day, []) if files is None else files
    due = config.due_at(day)
    if files:
        first = files[0].extracted_at.replace(tzinfo=LONDON)
        return Arrival(config, day, due, len(files), first, "late" if first > due else "on time")
    if not config.expected_daily:
        return Arrival(config, day, due, 0, None, "not expected")
    return Arrival(config, day, due, 0, None, "missing" if now > due else "not yet due")
