"""The day's marts for the system call pack: one CSV per mart and one workbook with a sheet per mart."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import duckdb
import polars as pl
import xlsxwriter

from pipelines.warehouse import quoted
from schemas import catalogue

# The marts a day's pack carries; the rollups hold the day, month-to-date and year-to-date rows ending that day.
DAY_MARTS = catalogue.exported_tables()
# OWASP's CSV-injection guidance: a cell starting with one of these is run by a spreadsheet as a formula.
FORMULA_START = r"^[=+\-@\t\r]"
# A data string is never turned into a formula, a link or a number, whatever it starts with.
WORKBOOK_OPTIONS = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}


def spreadsheet_safe(frame: pl.DataFrame) -> pl.DataFrame:
    """Text a spreadsheet would run (=, +, -, @, tab, CR first) written as text, with a leading apostrophe."""
    text = [c for c, dtype in frame.schema.items() if dtype == pl.Utf8]
    return frame.with_columns(
        pl.when(pl.col(c).str.contains(FORMULA_START)).then(pl.lit("'") + pl.col(c)).otherwise(pl.col(c)).alias(c)
        for c in text
    )


def export_marts(conn: duckdb.DuckDBPyConnection, day: date, reports: Path) -> tuple[Path, list[Path], int]:
    """(workbook, CSV files, rows written per format); a re-run replaces the day's files whole."""
    folder = reports / f"marts-{day.isoformat()}"
    workbook_path = reports / f"marts-{day.isoformat()}.xlsx"
    staging = reports / f".marts-{day.isoformat()}.partial"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    csvs, rows = [], 0
    book = xlsxwriter.Workbook(str(staging / workbook_path.name), WORKBOOK_OPTIONS)
    try:
        for mart in DAY_MARTS:
            frame = conn.sql(f"select * from {quoted('marts.' + mart)} where date = $day", params={"day": day}).pl()
            frame = spreadsheet_safe(frame)
            frame.write_csv(staging / f"{mart}.csv")
            frame.write_excel(
                workbook=book,
                worksheet=mart,
                autofit=True,
                table_style="Table Style Light 9",
                dtype_formats={pl.Date: "yyyy-mm-dd", pl.Datetime: "yyyy-mm-dd hh:mm"},
            )
            csvs.append(folder / f"{mart}.csv")
            rows += frame.height
    finally:
        book.close()
    (staging / workbook_path.name).replace(workbook_path)
    shutil.rmtree(folder, ignore_errors=True)
    staging.replace(folder)
    return workbook_path, csvs, rows
