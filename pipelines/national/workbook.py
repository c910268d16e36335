"""Read NHS England's sitrep timeseries workbook as published into one text row per organisation and day.

The published shape (docs/domain.md §8 and the reference README): one sheet per topic ("Adult G&A beds", "Adult
critical care", ...); about 14 header rows; the column names on one row, the dates on the row above; first the
organisation's columns (region, code, name), then one block of columns per day, each block repeating the same
names, its date written above the block's first column (the cells above the rest are empty or merged).

Each sheet becomes rows (organisation, day) whose columns are the organisation's columns as named, `Date` (the
block's date as written) and "<sheet>: <column>" for the block's cells; the sheets are joined on organisation and
day. A block left wholly empty for an organisation is no row (the organisation is not in that day's return); a
block of '-' is a row whose figures were not calculable. `source_sheet` and `source_row` name where the row's
figures were first read (the first of the layout's sheets that has it).
"""

from __future__ import annotations

import io

import fastexcel
import polars as pl

from schemas.national_layouts import PublicationLayout

DATE = "Date"
# How far down a sheet the column names may sit (the published workbooks use about 14 header rows).
HEADER_SEARCH_ROWS = 40


def _cells(data: bytes, sheet: str) -> pl.DataFrame:
    try:
        return pl.read_excel(
            io.BytesIO(data),
            sheet_name=sheet,
            engine="calamine",
            has_header=False,
            infer_schema_length=0,
            drop_empty_rows=False,
        )
    except Exception as exc:  # calamine raises its own types for a bad workbook or missing sheet
        raise ValueError(f"sheet {sheet!r}: missing, or not a readable workbook ({type(exc).__name__})") from None


def _header(cells: pl.DataFrame, sheet: str, identity: list[str]) -> int:
    """Index of the row holding the column names: the first naming all of the organisation's columns."""
    for index, row in enumerate(cells.head(HEADER_SEARCH_ROWS).iter_rows()):
        if set(identity) <= {str(v).strip() for v in row if v is not None}:
            return index
    raise ValueError(
        f"sheet {sheet!r}: no row in the first {HEADER_SEARCH_ROWS} names the organisation's columns {identity}"
    )


def _blocks(dates: tuple, names: list[str | None], sheet: str) -> tuple[list[int], list[tuple[str, list[int]]]]:
    """(organisation columns, [(date as written, the block's column indexes)]): a block runs to the next date."""
    starts = [i for i, value in enumerate(dates) if value is not None and str(value).strip()]
    if not starts:
        raise ValueError(f"sheet {sheet!r}: no dates on the row above the column names")
    ends = [*starts[1:], len(names)]
    blocks = []
    for start, end in zip(starts, ends):
        columns = [i for i in range(start, end) if names[i]]
        blocks.append((str(dates[start]).strip().removesuffix(" 00:00:00"), columns))
    return [i for i in range(starts[0]) if names[i]], blocks


def read_sheet(data: bytes, sheet: str, identity: list[str]) -> pl.DataFrame:
    """One topic sheet as rows (organisation, day): organisation columns, `Date`, "<sheet>: <column>" cells."""
    cells = _cells(data, sheet)
    header = _header(cells, sheet, identity)
    if header == 0:
        raise ValueError(f"sheet {sheet!r}: the column names are on the first row, with no row of dates above them")
    rows = cells.row(header)
    names = [None if v is None else str(v).strip() for v in rows]
    org, blocks = _blocks(cells.row(header - 1), names, sheet)
    body = cells.slice(header + 1).with_row_index("source_row", offset=header + 2)
    columns = body.columns[1:]  # after source_row
    org_exprs = [pl.col(columns[i]).alias(str(names[i])) for i in org]
    body = body.filter(pl.any_horizontal(pl.col(columns[i]).is_not_null() for i in org))
    parts = []
    for day, block in blocks:
        cells_of = [pl.col(columns[i]).alias(f"{sheet}: {names[i]}") for i in block]
        part = body.select(pl.col("source_row").cast(pl.Int64), *org_exprs, pl.lit(day).alias(DATE), *cells_of)
        parts.append(part.filter(pl.any_horizontal(pl.col(f"{sheet}: {names[i]}").is_not_null() for i in block)))
    found = pl.concat(parts, how="diagonal")
    # Two rows naming one organisation (a repeat) are told apart by their order, so sheets pair them up in order.
    return found.with_columns(pl.int_range(pl.len()).over([*(str(names[i]) for i in org), DATE]).alias("_copy"))


def _sheets_read(data: bytes, layout: PublicationLayout) -> list[str]:
    """The layout's sheets the workbook has; a missing one is a fault unless all it holds may be absent."""
    try:
        names = set(fastexcel.read_excel(data).sheet_names)
    except Exception as exc:  # fastexcel raises its own types for a file that is not a workbook
        raise ValueError(f"not a readable workbook ({type(exc).__name__})") from None
    optional = {m.column for c, m in layout.columns.items() if c in layout.may_be_absent}
    for sheet in layout.sheets:
        held = {m.column for m in layout.columns.values() if m.column and m.column.startswith(f"{sheet}: ")}
        if sheet not in names and not held <= optional:
            raise ValueError(
                f"sheet {sheet!r} missing (the workbook has {sorted(names)}); the layout is {layout.config_path}"
            )
    return [sheet for sheet in layout.sheets if sheet in names]


def read_sitrep_workbook(data: bytes, layout: PublicationLayout) -> pl.DataFrame:
    """The workbook's topic sheets joined into one text row per organisation and day, with sheet and row."""
    identity = [m.column for c, m in layout.columns.items() if c in ("org_code", "org_name") and m.column]
    frame: pl.DataFrame | None = None
    on: list[str] = []
    for sheet in _sheets_read(data, layout):
        part = read_sheet(data, sheet, identity).with_columns(pl.lit(sheet).alias("source_sheet"))
        if frame is None:
            frame, on = (
                part,
                [c for c in part.columns if not c.startswith(f"{sheet}: ") and c not in ("source_row", "source_sheet")],
            )
            continue
        # A sheet whose organisation columns differ (no region column) is joined on those they share.
        shared = [c for c in on if c in part.columns]
        frame = (
            frame.join(part, on=shared, how="full", coalesce=True, suffix="_other", nulls_equal=True)
            .with_columns(
                pl.coalesce("source_row", "source_row_other").alias("source_row"),
                pl.coalesce("source_sheet", "source_sheet_other").alias("source_sheet"),
            )
            .drop("source_row_other", "source_sheet_other")
        )
    if frame is None:
        raise ValueError(f"none of the layout's sheets {layout.sheets} is in the workbook")
    return frame.drop("_copy").sort("source_sheet", "source_row", DATE, nulls_last=True)
