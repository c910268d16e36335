"""Find a provider's landed files for a day and read them as text, one row per source row."""

from __future__ import annotations

import csv
import io
import os
import re
import zipfile
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl

from pipelines.ingest.pseudonymise import scrub_text
from schemas.clock import LONDON
from schemas.registry import FeedConfig


class FeedFileError(ValueError):
    """A whole file that cannot be loaded: wrong layout, encoding or format."""

    def __init__(self, config: FeedConfig, path: Path, problem: str):
        self.feed, self.provider, self.path = config.feed, config.provider_code, path
        super().__init__(f"feed {config.feed}, provider {config.provider_code}, file {path.name}: {problem}")


@dataclass(frozen=True)
class LandedFile:
    path: Path
    activity_date: date
    extracted_at: datetime  # Europe/London wall-clock, by the layout's rule (file name, arrival or fixed)

    @property
    def extracted_at_utc(self) -> datetime:
        return self.extracted_at.replace(tzinfo=LONDON).astimezone(UTC)

    @property
    def received_at_utc(self) -> datetime:
        return datetime.fromtimestamp(self.path.stat().st_mtime, tz=UTC)


def _provider_files(config: FeedConfig, landing_root: Path) -> list[Path]:
    folder = landing_root / config.landing_dir
    if not folder.is_dir():
        return []
    root = landing_root.resolve()
    # A link pointing out of the landing area is not a delivery: it is never read. Only links are
    # resolved: resolving every file cost seconds a run once a folder held a year of deliveries.
    with os.scandir(folder) as entries:
        return [
            Path(e.path)
            for e in entries
            if e.is_file() and (not e.is_symlink() or Path(e.path).resolve().is_relative_to(root))
        ]


@dataclass(frozen=True)
class FolderListing:
    """One look over a provider's folder: its files by activity day, and the names its layout does not recognise."""

    by_day: dict[date, list[LandedFile]]
    unrecognised: list[str]


def list_folder(config: FeedConfig, landing_root: Path) -> FolderListing:
    """The provider's files by day, oldest extract first (later versions win), and the unrecognised names."""
    # One pass over the folder: a folder holds a year of files, and looking it over once per day made
    # a range run's cost grow with the square of its days.
    by_day: dict[date, list[LandedFile]] = defaultdict(list)
    unrecognised: list[str] = []
    for path in _provider_files(config, landing_root):
        if matched := config.match(path):
            by_day[matched[0]].append(LandedFile(path, *matched))
        else:
            # Named by the provider and shown in logs and status: a name may hold a patient's number.
            unrecognised.append(scrub_text(path.name)[0])
    return FolderListing(
        {day: sorted(found, key=lambda f: (f.extracted_at, f.path.name)) for day, found in by_day.items()},
        sorted(unrecognised),
    )


def read_text_frame(landed: LandedFile, config: FeedConfig, data: bytes) -> pl.DataFrame:
    """The file's bytes as text columns plus `source_row`, the row a spreadsheet shows (header = 1)."""
    path = landed.path
    if config.file_format(path.name) == "xlsx":
        frame, header_row = _read_xlsx(data, path, config)
    else:
        frame, header_row = _read_csv(data, path, config), 1
    _check_header(frame.columns, path, config)
    numbered = frame.with_row_index("source_row", offset=header_row + 1).with_columns(
        pl.col("source_row").cast(pl.Int64)
    )
    # Blank spreadsheet rows keep their numbers for the rows below them, then go: they hold no record.
    return numbered.filter(~pl.all_horizontal(pl.exclude("source_row").is_null()))


@dataclass(frozen=True)
class RaggedRow:
    """A CSV row whose field count differs from the header's: its values cannot be placed in their columns."""

    source_row: int
    found: int
    expected: int
    truncated: bool  # the file ends part-way through this row (no final line break)

    @property
    def reason(self) -> str:
        if self.truncated:
            return (
                f"truncated: the file ends part-way through this row ({self.found} of {self.expected} fields, "
                "no final line break)"
            )
        kind = "short" if self.found < self.expected else "long"
        return f"{kind} row: {self.found} of {self.expected} fields"


def ragged_rows(landed: LandedFile, data: bytes, config: FeedConfig, frame: pl.DataFrame) -> list[RaggedRow]:
    """The CSV rows with fewer or more fields than the header (a missing field shifts every value after it)."""
    # The file's own name decides: a CSV layout may also deliver the odd day as a workbook.
    if config.file_format(landed.path.name) != "csv" or frame.height == 0:
        return []
    text = data.decode(config.encoding, errors="replace").removeprefix("\ufeff")
    records = csv.reader(io.StringIO(text), delimiter=config.delimiter)
    expected = len(next(records))
    # Record n below the header is source row n + 1, as the frame numbers them (blank lines keep their numbers).
    found = [(row, len(fields)) for row, fields in enumerate(records, start=2) if fields and len(fields) != expected]
    final, ends_cleanly = int(frame["source_row"][-1]), data.endswith((b"\n", b"\r"))
    return [RaggedRow(row, n, expected, row == final and n < expected and not ends_cleanly) for row, n in found]


def _read_csv(data: bytes, path: Path, config: FeedConfig) -> pl.DataFrame:
    if not data.strip():
        raise FeedFileError(config, path, "the file is empty (no header row)")
    # A UTF-8 byte-order mark says how the file is encoded, whatever the layout expects.
    encoding = "utf-8-sig" if data.startswith(b"\xef\xbb\xbf") else config.encoding
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        # Where, never what: the byte itself may be part of a patient's record.
        line = data[: exc.start].count(b"\n") + 1
        raise FeedFileError(
            config,
            path,
            f"cannot be read as {config.encoding}: line {line} (byte offset {exc.start}) holds a byte that is not "
            f"{config.encoding}; check 'encoding' in {config.config_path}",
        ) from None
    try:
        # A row with more fields than the header is cut to the header's here and quarantined by ragged_rows: it is
        # one bad row, not a bad file.
        return pl.read_csv(
            io.StringIO(text), separator=config.delimiter, infer_schema=False, truncate_ragged_lines=True
        )
    except pl.exceptions.PolarsError:
        # The parser's own message quotes the unparsed rest of the file (NHS numbers included): never
        # passed on. The fault is found again with the csv module, which reports positions only.
        raise FeedFileError(
            config, path, f"not a readable CSV with delimiter {config.delimiter!r}: {csv_fault(text, config.delimiter)}"
        ) from None


def _read_xlsx(data: bytes, path: Path, config: FeedConfig) -> tuple[pl.DataFrame, int]:
    """The sheet's rows below its header row, which may sit under a title; and that header's row number."""
    # No sheet configured means the first one (polars' sheet_id=0 would read them all).
    sheet = {"sheet_name": config.sheet} if config.sheet else {"sheet_id": 1}
    try:
        top = pl.read_excel(
            io.BytesIO(data),
            engine="calamine",
            has_header=False,
            infer_schema_length=0,
            drop_empty_rows=False,
            read_options={"n_rows": 20},
            **sheet,
        )
        expected = set(config.source_columns)
        header = next(
            (i for i, row in enumerate(top.iter_rows()) if expected <= {str(v).strip() for v in row if v is not None}),
            0,
        )
        frame = pl.read_excel(
            io.BytesIO(data), engine="calamine", drop_empty_rows=False, read_options={"header_row": header}, **sheet
        )
    except Exception as exc:  # calamine raises its own types for a bad workbook or missing sheet
        # Its message may quote cells: only the kind of fault is kept.
        where = f"sheet {config.sheet!r} missing, or " if config.sheet else ""
        raise FeedFileError(
            config, path, f"not a readable workbook ({where}not an xlsx file; the reader raised {type(exc).__name__})"
        ) from None
    # Workbook cells arrive typed; render them as a CSV would carry them, so one parser serves both:
    # date-times in ISO, and a whole number as "3", not "3.0", even in a column holding fractions.
    text = frame.with_columns([_as_text(pl.col(c), frame.schema[c]) for c in frame.columns])
    return _as_written(text, data, config, header), header + 1


# A cell the typed read renders as a plausible value it is not: an error (#DIV/0!, read as empty), TRUE in a number
# column (read as 1), a date without a time in a date-time column (read as 00:00, a stay of hours). Only a
# workbook whose parts hold such a cell is read a second time, cell by cell, to put back what was written.
_MAYBE_SPECIAL = re.compile(rb'\bt="[eb]"')
_DATE_ONLY_FORMAT = re.compile(rb'numFmtId="1[4-7]"|formatCode="[^"hHsS]*[dDyY][^"hHsS]*"')


def _as_written(frame: pl.DataFrame, data: bytes, config: FeedConfig, header: int) -> pl.DataFrame:
    """`frame` with each error, boolean and date-only cell as written: "#DIV/0!", "TRUE", "2025-03-21"."""
    with zipfile.ZipFile(io.BytesIO(data)) as parts:
        sheets = [n for n in parts.namelist() if n.startswith("xl/worksheets/") and n.endswith(".xml")]
        styles = parts.read("xl/styles.xml") if "xl/styles.xml" in parts.namelist() else b""
        if not _DATE_ONLY_FORMAT.search(styles) and not any(_MAYBE_SPECIAL.search(parts.read(n)) for n in sheets):
            return frame
    # Imported here: it costs a third of a second, and most runs never meet such a cell.
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        sheet = book[config.sheet] if config.sheet else book.worksheets[0]
        rows = sheet.iter_rows(min_row=header + 1)
        names = [None if c.value is None else str(c.value).strip() for c in next(rows, ())]
        written: dict[str, list[tuple[int, str]]] = {}
        for index, row in enumerate(rows):
            for name, cell in zip(names, row):
                value = _written(cell)
                if value is not None and name in frame.columns:
                    written.setdefault(name, []).append((index, value))
    finally:
        book.close()
    for name, cells in written.items():
        fixes = pl.DataFrame(
            {"_index": [i for i, _ in cells], "_written": [v for _, v in cells]},
            schema={"_index": pl.UInt32, "_written": pl.Utf8},
        )
        frame = (
            frame.with_row_index("_index")
            .join(fixes, on="_index", how="left")
            .with_columns(pl.coalesce("_written", name).alias(name))
            .drop("_index", "_written")
        )
    return frame


def _written(cell) -> str | None:
    """The cell's text as written where the typed read would misrender it, else None."""
    if cell.data_type == "e":
        return str(cell.value)
    if cell.data_type == "b":
        return "TRUE" if cell.value else "FALSE"
    if cell.is_date and isinstance(cell.value, datetime) and not re.search(r"[hs]", cell.number_format, re.I):
        return cell.value.strftime("%Y-%m-%d")
    return None


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
        if len(columns) == 1:
            found = "one column only: is the delimiter right?"
        elif len(missing) == len(expected):
            # No expected name at all: the first row is most likely data (a file sent without its header),
            # so its values are not repeated here.
            found = f"none of the layout's columns is in the first row ({len(columns)} columns): is the header missing?"
        else:
            found = f"unexpected columns {[column_label(c) for c in unexpected]}"
        raise FeedFileError(
            config, path, f"missing required columns {missing}; {found}; the layout is defined in {config.config_path}"
        )


def column_label(name: str) -> str:
    """A column's name as safe to show: NHS numbers, and digit runs that could be another identifier, not repeated."""
    return re.sub(r"\d{6,}", "[digits]", re.sub(r"(?:\d[ -]?){9}\d", "[digits]", scrub_text(name)[0]))[:60]


def csv_fault(text: str, delimiter: str) -> str:
    """Where and what kind of fault stops a CSV being read, by row (header = 1) and line; never its content."""
    reader = csv.reader(io.StringIO(text), delimiter=delimiter, strict=True)
    header_fields, row, line = None, 0, 0
    try:
        for record in reader:
            row += 1
            if header_fields is None:
                header_fields = len(record)
            elif len(record) > header_fields:
                return (
                    f"row {row} (line {reader.line_num}) has {len(record)} fields where the header has {header_fields}"
                )
            line = reader.line_num
    except csv.Error as exc:
        start = f"row {row + 1} (line {line + 1})"
        if "end of data" in str(exc) or "EOF" in str(exc):
            return f"unclosed quote from {start} to the end of the file"
        return f"a stray quote in {start}"
    return "the parser stopped (its message is not shown: it quotes the file)"
