"""What a sample file says about its own layout: encoding, delimiter, header row, value formats, name pattern.

Used by `uec feeds init` to draft a provider layout. It reads the file with the pipeline's own reader, so
the values it looks at are the ones a run would see (a workbook's date cells already in ISO form).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from pipelines.ingest.landing import LandedFile, read_text_frame
from schemas.registry import FeedConfig

if TYPE_CHECKING:
    from polars._typing import PolarsTemporalType

DELIMITERS = [",", ";", "\t", "|"]
# Day-first before month-first: an NHS file's 03/04/2025 is 3 April. A month-first format is chosen only
# when day-first cannot read some value.
DATETIME_FORMATS = [
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d-%b-%Y %H:%M:%S",
    "%d-%b-%Y %H:%M",
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
]
DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y", "%d-%b-%Y", "%d.%m.%Y", "%Y%m%d", "%Y-%m-%d %H:%M:%S", "%m/%d/%Y"]
# Runs of digits in a file name that may be a date or a time, longest shapes first, with their formats.
_NAME_DATES = [
    (r"\d{4}-\d{2}-\d{2}", ["%Y-%m-%d"]),
    (r"\d{8}T\d{6}", ["%Y%m%dT%H%M%S"]),
    (r"\d{8}T\d{4}", ["%Y%m%dT%H%M"]),
    (r"\d{14}", ["%Y%m%d%H%M%S"]),
    (r"\d{12}", ["%Y%m%d%H%M"]),
    (r"\d{8}", ["%Y%m%d", "%d%m%Y"]),
]
_HEADER_SEARCH_ROWS = 20


@dataclass
class Sniffed:
    format: str  # csv or xlsx
    encoding: str = "utf-8"
    delimiter: str = ","
    sheet: str | None = None
    header_row: int = 1  # as a spreadsheet numbers it
    frame: pl.DataFrame = field(default_factory=pl.DataFrame)  # text columns as a run reads them
    notes: list[str] = field(default_factory=list)


def encoding_of(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return "cp1252"  # what Windows exports write when they are not UTF-8
    return "utf-8"


def delimiter_of(text: str) -> str:
    lines = [line for line in text.splitlines()[:_HEADER_SEARCH_ROWS] if line.strip()]

    def fields(delimiter: str) -> list[int]:
        return [len(row) for row in csv.reader(lines, delimiter=delimiter)]

    # The delimiter that splits the lines into the most fields, most consistently.
    return max(DELIMITERS, key=lambda d: (min(fields(d), default=0), -len(set(fields(d)))))


def header_index(rows: Sequence[Sequence[object]]) -> int:
    """The first row that looks like names: as wide as the widest row, and no cell a number or a date."""
    widths = [sum(1 for v in row if v not in (None, "")) for row in rows]
    widest = max(widths, default=0)
    for i, row in enumerate(rows):
        cells = [str(v).strip() for v in row if v not in (None, "")]
        if widths[i] >= max(2, widest * 0.8) and not any(re.fullmatch(r"[\d\s.:/+-]+", c) for c in cells):
            return i
    return 0


def sniff(path: Path, feed: str) -> Sniffed:
    data = path.read_bytes()
    if path.suffix.lower() == ".xlsx" or data.startswith(b"PK\x03\x04"):
        found = _sniff_workbook(data)
    else:
        found = _sniff_csv(data)
    names = found.frame.columns  # header names only at this point
    landed = LandedFile(path, date.today(), datetime.now())
    found.frame = read_text_frame(landed, _reading_config(feed, found, names), data)
    return found


def _sniff_csv(data: bytes) -> Sniffed:
    encoding = encoding_of(data)
    text = data.decode(encoding).removeprefix("\ufeff")
    delimiter = delimiter_of(text)
    rows = list(csv.reader(text.splitlines()[:_HEADER_SEARCH_ROWS], delimiter=delimiter))
    header = header_index(rows)
    found = Sniffed("csv", encoding, delimiter, header_row=header + 1)
    if header:
        found.notes.append(
            f"the header is on line {header + 1}, but a run reads a CSV's header from line 1: ask the provider "
            f"to drop the {header} line(s) above it (a workbook may have a title above its header)"
        )
    found.frame = pl.DataFrame({str(name): [] for name in rows[header] if name})
    return found


def _sniff_workbook(data: bytes) -> Sniffed:
    import fastexcel

    sheet = fastexcel.read_excel(data).sheet_names[0]
    top = pl.read_excel(
        io.BytesIO(data),
        engine="calamine",
        sheet_name=sheet,
        has_header=False,
        infer_schema_length=0,
        drop_empty_rows=False,
        read_options={"n_rows": _HEADER_SEARCH_ROWS},
    )
    rows = [list(row) for row in top.iter_rows()]
    header = header_index(rows)
    found = Sniffed("xlsx", sheet=sheet, header_row=header + 1)
    found.frame = pl.DataFrame({str(name).strip(): [] for name in rows[header] if name not in (None, "")})
    return found


def _reading_config(feed: str, found: Sniffed, names: list[str]) -> FeedConfig:
    # A throwaway layout naming every header column, so the pipeline's reader finds the header and keeps all.
    return FeedConfig(
        feed=feed,
        provider_code="DRAFT",
        provider_name="draft",
        landing_dir="draft",
        file_pattern=r"(?P<activity_date>)(?P<extracted_at>)",
        activity_date_format="",
        extracted_at_format="",
        format=found.format,
        encoding=found.encoding,
        delimiter=found.delimiter,
        sheet=found.sheet,
        columns={f"c{i}": {"column": name} for i, name in enumerate(names)},
    )


def formats_for(values: pl.Series, candidates: list[str], kind: PolarsTemporalType) -> tuple[list[str], int]:
    """The fewest candidate formats, most used first, that read the values; and how many values none reads."""
    values = values.drop_nulls().unique()
    readable = {fmt: values.str.strptime(kind, fmt, strict=False).is_not_null() for fmt in candidates}
    chosen: list[str] = []
    left = pl.Series([True] * len(values))
    while left.any():
        fmt, gain = max(((f, int((r & left).sum())) for f, r in readable.items()), key=lambda x: x[1])
        if gain == 0:
            break
        chosen.append(fmt)
        left = left & ~readable[fmt]
    return chosen, int(left.sum())


@dataclass(frozen=True)
class NamePattern:
    pattern: str
    groups: dict[str, str]  # activity_date / extracted_at -> strptime format
    values: dict[str, datetime]
    notes: list[str]


def name_pattern(file_name: str) -> NamePattern:
    """A file_pattern for names like this one: the first date in the name is the activity day, the next the extract."""
    shapes = "|".join(f"(?:{shape})" for shape, _ in _NAME_DATES)
    parts, groups, values, notes, at = ["^"], {}, {}, [], 0
    for found in re.finditer(rf"{shapes}|\d+", file_name):
        parts.append(_literal(file_name[at : found.start()]))
        at = found.end()
        text, shape, fmt = found.group(), rf"\d{{{len(found.group())}}}", None
        for candidate_shape, formats in _NAME_DATES:
            if re.fullmatch(candidate_shape, text):
                shape, fmt = candidate_shape, next((f for f in formats if _reads(text, f)), None)
                break
        name = next((g for g in ("activity_date", "extracted_at") if g not in groups), None)
        if fmt and name:
            groups[name], values[name] = fmt, datetime.strptime(text, fmt)
            parts.append(f"(?P<{name}>{shape})")
        else:
            notes.append(f"the digits {text!r} in the name are kept as any {len(text)} digits: check they vary")
            parts.append(shape)
    # Re-sends of a day often add a version suffix (_v2, docs/domain.md §7.5): allow one before the extension.
    rest = file_name[at:]
    stem, dot, extension = rest.rpartition(".") if "." in rest else (rest, "", "")
    parts += [_literal(stem), r"(?P<version>_v\d+)?", _literal(dot + extension), "$"]
    if "extracted_at" not in groups:
        notes.append(
            "the name carries no second date or time for extracted_at: the layout needs one (docs/domain.md §7.5)"
        )
    elif values["extracted_at"] < values["activity_date"]:
        notes.append("the second date in the name is before the first: check which is the activity day")
    return NamePattern("".join(parts), groups, values, notes)


def _reads(text: str, fmt: str) -> bool:
    try:
        datetime.strptime(text, fmt)
    except ValueError:
        return False
    return True


def _literal(text: str) -> str:
    return re.escape(text).replace("\\-", "-")
