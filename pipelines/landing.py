"""Find a provider's landed files for a day and read them as text, one row per source row."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl

from schemas.registry import FeedConfig

LONDON = ZoneInfo("Europe/London")


class FeedFileError(ValueError):
    """A whole file that cannot be loaded: wrong layout, encoding or format."""

    def __init__(self, config: FeedConfig, path: Path, problem: str):
        self.feed, self.provider, self.path = config.feed, config.provider_code, path
        super().__init__(f"feed {config.feed}, provider {config.provider_code}, file {path.name}: {problem}")


@dataclass(frozen=True)
class LandedFile:
    path: Path
    activity_date: date
    extracted_at: datetime  # provider's wall-clock, Europe/London

    @property
    def extracted_at_utc(self) -> datetime:
        return self.extracted_at.replace(tzinfo=LONDON).astimezone(timezone.utc)

    @property
    def received_at_utc(self) -> datetime:
        return datetime.fromtimestamp(self.path.stat().st_mtime, tz=timezone.utc)


def _provider_files(config: FeedConfig, landing_root: Path) -> list[Path]:
    folder = landing_root / config.landing_dir
    return [p for p in folder.iterdir() if p.is_file()] if folder.is_dir() else []


def landed_files(config: FeedConfig, landing_root: Path, day: date) -> list[LandedFile]:
    """The provider's files for one activity day, oldest extract first (so later versions win)."""
    found = [
        LandedFile(path, *matched)
        for path in _provider_files(config, landing_root)
        if (matched := config.match(path.name)) and matched[0] == day
    ]
    return sorted(found, key=lambda f: (f.extracted_at, f.path.name))


def unrecognised_files(config: FeedConfig, landing_root: Path) -> list[str]:
    """Files in the provider's folder whose names the layout does not recognise (never loaded)."""
    return sorted(p.name for p in _provider_files(config, landing_root) if not config.match(p.name))


def read_text_frame(landed: LandedFile, config: FeedConfig, data: bytes) -> pl.DataFrame:
    """The file's bytes as text columns plus `source_row`, the row a spreadsheet shows (header = 1)."""
    path = landed.path
    if config.file_format(path.name) == "xlsx":
        frame = _read_xlsx(data, path, config)
    else:
        frame = _read_csv(data, path, config)
    _check_header(frame.columns, path, config)
    return frame.with_row_index("source_row", offset=2).with_columns(pl.col("source_row").cast(pl.Int64))


def _read_csv(data: bytes, path: Path, config: FeedConfig) -> pl.DataFrame:
    if not data.strip():
        raise FeedFileError(config, path, "the file is empty (no header row)")
    try:
        text = data.decode(config.encoding)
    except UnicodeDecodeError as exc:
        raise FeedFileError(
            config, path, f"cannot be read as {config.encoding}: byte {data[exc.start]:#04x} at offset {exc.start}; "
            f"check 'encoding' in {config.config_path}"
        ) from exc
    text = text.removeprefix("\ufeff")  # a BOM is harmless whatever encoding is configured
    try:
        return pl.read_csv(io.StringIO(text), separator=config.delimiter, infer_schema=False)
    except pl.exceptions.PolarsError as exc:
        raise FeedFileError(config, path, f"not a readable CSV with delimiter {config.delimiter!r}: {exc}") from exc


def _read_xlsx(data: bytes, path: Path, config: FeedConfig) -> pl.DataFrame:
    # No sheet configured means the first one (polars' sheet_id=0 would read them all).
    sheet = {"sheet_name": config.sheet} if config.sheet else {"sheet_id": 1}
    try:
        frame = pl.read_excel(io.BytesIO(data), engine="calamine", **sheet)
    except Exception as exc:  # calamine raises its own types for a bad workbook or missing sheet
        raise FeedFileError(config, path, f"not a readable workbook (sheet {config.sheet!r}): {exc}") from exc
    # Workbook cells arrive typed; render them as a CSV would carry them, so one parser serves both:
    # date-times in ISO, and a whole number as "3", not "3.0", even in a column holding fractions.
    return frame.with_columns([_as_text(pl.col(c), frame.schema[c]) for c in frame.columns])


def _as_text(column: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    if dtype in (pl.Datetime, pl.Date):
        return column.dt.strftime("%Y-%m-%d %H:%M:%S")
    if dtype.is_float():
        whole = column.is_finite() & (column == column.round(0))
        return pl.when(whole).then(column.cast(pl.Int64).cast(pl.Utf8)).otherwise(column.cast(pl.Utf8))
    return column.cast(pl.Utf8)


def _check_header(columns: list[str], path: Path, config: FeedConfig) -> None:
    expected = config.source_columns
    missing = [c for c in expected if c not in columns]
    if missing:
        unexpected = [c for c in columns if c not in expected]
        hint = " (one column only: is the delimiter right?)" if len(columns) == 1 else ""
        raise FeedFileError(
            config, path, f"missing required columns {missing}; unexpected columns {unexpected}{hint}; "
            f"the layout is defined in {config.config_path}"
        )
