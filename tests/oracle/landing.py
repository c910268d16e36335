"""Reading landing files row by row, and the cell rules every feed shares (codes, times, the London clock)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl

from schemas.registry import ColumnMapping, FeedConfig, load_feed_configs

LONDON = ZoneInfo("Europe/London")

# Spellings of yes and no for a yes/no column whose layout gives no `values` of its own.
YES_NO = {"Y": True, "YES": True, "TRUE": True, "1": True, "N": False, "NO": False, "FALSE": False, "0": False}


@dataclass
class Row:
    """One data row of one landed file, with what the file's name says about it."""

    config: FeedConfig
    file: str
    file_day: date  # the activity day the file's name gives
    extracted_utc: datetime  # the extract time the file's name gives, as a UTC instant
    number: int  # 1 = the first row under the header
    cells: dict[str, object]  # source column -> text (CSV) or the workbook's value
    notes: list[str] = field(default_factory=list)  # values set to unknown, as "canonical: why"

    @property
    def raw(self) -> tuple:
        """The row as sent: two rows with equal `raw` in one file are the same bytes sent twice."""
        return tuple(self.cells.values())


@dataclass(frozen=True)
class Event:
    """Something the brief's rules did to a row, kept to explain a difference with the pipeline."""

    what: str
    provider: str
    ref: str  # record id, or the row number when there is none
    file: str
    day: date  # the record's own day where known, else the file's activity day

    def __str__(self) -> str:
        return f"{self.day} {self.provider} {self.ref}: {self.what} ({self.file})"


def event(row: Row, what: str, ref: str | None = None, day: date | None = None) -> Event:
    return Event(what, row.config.provider_code, ref or f"row {row.number}", row.file, day or row.file_day)


def to_utc(local: datetime) -> datetime | None:
    """A Europe/London wall-clock time as a UTC instant; None for a time the spring clock change skips."""
    instant = local.replace(tzinfo=LONDON).astimezone(UTC)
    if instant.astimezone(LONDON).replace(tzinfo=None) != local:
        return None
    return instant


def london_day(instant: datetime) -> date:
    return instant.astimezone(LONDON).date()


def london_wall_clock(instant: datetime) -> datetime:
    return instant.astimezone(LONDON).replace(tzinfo=None)


def minutes(later: datetime, earlier: datetime) -> float:
    return (later - earlier) / timedelta(minutes=1)


def read_feed(feed: str, landing: Path, feeds_dir: Path) -> list[Row]:
    """Every data row of every file the feed's provider layouts recognise, oldest extract first."""
    rows: list[Row] = []
    for config in load_feed_configs(feed, feeds_dir):
        folder = landing / config.landing_dir
        for path in sorted(folder.glob("*")) if folder.is_dir() else []:
            matched = config.match(path)
            if matched is None:
                continue
            day, extracted = matched
            extracted_utc = to_utc(extracted)
            for number, cells in enumerate(_read_file(path, config), start=1):
                rows.append(Row(config, path.name, day, extracted_utc, number, cells))
    rows.sort(key=lambda r: (r.extracted_utc, r.file, r.number))
    return rows


def _read_file(path: Path, config: FeedConfig) -> list[dict[str, object]]:
    if path.suffix.lower() == ".xlsx":
        frame = pl.read_excel(path, sheet_name=config.sheet, engine="calamine") if config.sheet else None
        if frame is None:
            frame = pl.read_excel(path, engine="calamine")
        return frame.to_dicts()
    text = path.read_bytes().decode(config.encoding).removeprefix("\ufeff")
    return list(csv.DictReader(io.StringIO(text, newline=""), delimiter=config.delimiter))


def text(row: Row, mapping: ColumnMapping | None) -> str | None:
    """The cell as trimmed text (a constant if the layout gives one); None when empty or not mapped."""
    if mapping is None:
        return None
    if mapping.constant is not None:
        return mapping.constant
    value = row.cells.get(mapping.column)
    if value is None:
        return None
    value = str(value).strip()
    return value or None


def code(row: Row, name: str, boolean: bool = False) -> object | None:
    """A coded cell through the layout's `values` (or yes/no spellings): None and a note when not mapped."""
    mapping = row.config.columns.get(name)
    value = text(row, mapping)
    if value is None:
        return None
    if mapping.values is not None:
        found = mapping.values.get(value)
    elif boolean:
        found = YES_NO.get(value.upper())
    else:
        return value
    if found is None:
        row.notes.append(f"{name}: code {value!r} not mapped")
    return found


def number(row: Row, name: str) -> float | None:
    """A decimal cell; None (and a note) when it is not a number."""
    value = text(row, row.config.columns.get(name))
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        row.notes.append(f"{name}: not a number")
        return None


def instant(row: Row, name: str) -> datetime | None:
    """A local date-time cell in one of the layout's formats, as a UTC instant; None when empty or unreadable."""
    mapping = row.config.columns.get(name)
    if mapping is None or mapping.column is None:
        return None
    value = row.cells.get(mapping.column)
    if isinstance(value, datetime):  # a workbook's own date cell
        local = value
    else:
        value = text(row, mapping)
        if value is None:
            return None
        local = None
        for fmt in row.config.datetime_formats:
            try:
                local = datetime.strptime(value, fmt)
                break
            except ValueError:
                continue
        if local is None:
            row.notes.append(f"{name}: unreadable date-time")
            return None
    utc = to_utc(local)
    if utc is None:
        row.notes.append(f"{name}: skipped by the clock change")
    return utc


def day(row: Row, name: str) -> date | None:
    """A date cell in one of the layout's date formats."""
    value = text(row, row.config.columns.get(name))
    if value is None:
        return None
    for fmt in row.config.date_formats:
        try:
            return datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    row.notes.append(f"{name}: unreadable date")
    return None
