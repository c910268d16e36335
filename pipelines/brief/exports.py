"""The marts for the system call pack: one CSV per mart (the day) and one workbook (a sheet per mart over the history
days ending on the day, and a definitions sheet from the data dictionary), rounded and dated as analysts read them.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from datetime import date, timedelta
from pathlib import Path

import duckdb
import polars as pl
import xlsxwriter

from pipelines.storage.warehouse import quoted
from schemas import catalogue

# The marts a day's pack carries; the rollups hold the day, month-to-date and year-to-date rows ending that day.
DAY_MARTS = catalogue.exported_tables()
DEFINITIONS_SHEET = "definitions"
# OWASP's CSV-injection guidance: a cell starting with one of these is run by a spreadsheet as a formula.
# The first character is compared in Unicode compatibility form (NFKC), so the full-width, small and
# super/subscript forms (＝, ﹢, －, ＠, ⁼) count as what a spreadsheet may take them for; the minus sign
# (U+2212) has no such form and is listed itself.
FORMULA_START = r"^[=+\-@\t\r\u2212]"
# A data string is never turned into a formula, a link or a number, whatever it starts with.
WORKBOOK_OPTIONS = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}
# Times to the minute: the seconds and microseconds the warehouse keeps are noise on a call pack.
CSV_DATETIME = "%Y-%m-%d %H:%M"
EXCEL_DATE, EXCEL_DATETIME = "yyyy-mm-dd", "yyyy-mm-dd hh:mm"

# How each kind of decimal column is rounded and shown: (decimals in the CSV, Excel number format, in words).
# Percentages are 0-100 in the warehouse and the CSV; the workbook stores them as fractions (0.5 for 50%) so that
# Excel shows them, sums and charts them as percentages.
PERCENT = (1, "0.0%", "percentage: in the CSV 0-100 to 1 decimal; in the workbook a fraction shown as 0.0%")
HOURS = (2, "0.00", "hours, 2 decimals")
MINUTES = (1, "0.0", "minutes, 1 decimal")
DECIMAL = (2, "0.00", "number, 2 decimals")


def decimal_kind(column: str) -> tuple[int, str, str]:
    """How a decimal column reads, from its name: the dictionary names percentages pct and states hours and minutes."""
    words = column.split("_")
    if "pct" in words or column == "deflection_rate":
        return PERCENT
    if "hours" in words:
        return HOURS
    if "minutes" in words:
        return MINUTES
    return DECIMAL


def _shown_as(dtype: pl.DataType, column: str) -> str:
    if dtype == pl.Float64:
        return decimal_kind(column)[2]
    if dtype == pl.Date:
        return "date, yyyy-mm-dd"
    if isinstance(dtype, pl.Datetime):
        return "local (Europe/London) date and time to the minute, yyyy-mm-dd hh:mm"
    if dtype == pl.Boolean:
        return "true / false"
    if dtype.is_integer():
        return "whole number"
    return "text"


def spreadsheet_safe(frame: pl.DataFrame) -> pl.DataFrame:
    """Text a spreadsheet would run (=, +, -, @, tab, CR first, in any Unicode form) written as text, with a
    leading apostrophe."""
    text = [c for c, dtype in frame.schema.items() if dtype == pl.Utf8]

    def runs(c: str) -> pl.Expr:
        return pl.col(c).str.slice(0, 1).str.normalize("NFKC").str.contains(FORMULA_START)

    return frame.with_columns(
        pl.when(runs(c)).then(pl.lit("'") + pl.col(c)).otherwise(pl.col(c)).alias(c) for c in text
    )


def for_csv(frame: pl.DataFrame) -> pl.DataFrame:
    """Decimals rounded by kind (percentages 0-100 to 1 decimal, hours to 2), times as text to the minute."""
    return frame.with_columns(
        *(pl.col(c).round(decimal_kind(c)[0]) for c, t in frame.schema.items() if t == pl.Float64),
        *(pl.col(c).dt.strftime(CSV_DATETIME) for c, t in frame.schema.items() if isinstance(t, pl.Datetime)),
    )


def for_workbook(frame: pl.DataFrame) -> tuple[pl.DataFrame, dict[str, str]]:
    """The frame with percentages as rounded fractions, other decimals rounded and times cut to the minute, and the
    Excel number format of each decimal column."""
    formats, columns = {}, []
    for column, dtype in frame.schema.items():
        if dtype == pl.Float64:
            decimals, formats[column], _ = kind = decimal_kind(column)
            # 50.04% shows as 50.0% whether Excel rounds the fraction or we do: store what is shown.
            value = pl.col(column) / 100 if kind is PERCENT else pl.col(column)
            columns.append(value.round(decimals + 2 if kind is PERCENT else decimals).alias(column))
        elif isinstance(dtype, pl.Datetime):
            columns.append(pl.col(column).dt.truncate("1m"))
    return frame.with_columns(columns), formats


def definitions(history_days: int, day: date, schemas: dict[str, pl.Schema], system: str | None = None) -> pl.DataFrame:
    """The definitions sheet: one row per exported sheet (mart -> its columns' types) and column, its description
    from the data dictionary and how the workbook shows it; a first row says which days the sheets hold."""
    first = day - timedelta(days=history_days - 1)
    rows = [
        {
            "sheet": "(every sheet)",
            "column": "",
            "shown_as": "",
            "description": f"Rows for the {history_days} day(s) {first.isoformat()} to {day.isoformat()} "
            f"(UEC_EXPORT_HISTORY_DAYS){f' of system {system} (its sites, trusts and providers)' if system else ''}; "
            "the CSV files beside this workbook hold the last day only.",
        }
    ]
    described = {r.name: r for r in catalogue.relations()}
    for mart, schema in schemas.items():
        text = described[f"marts.{mart}"].columns
        rows += [
            {"sheet": mart, "column": c, "shown_as": _shown_as(dtype, c), "description": text.get(c, "")}
            for c, dtype in schema.items()
        ]
    return pl.DataFrame(rows)


def home_rows(columns: Iterable[str]) -> str:
    """A condition keeping a mart's rows of the system $system: by its site, trust, provider or system code, or by
    org_code at any of those levels; a mart with none of them (hub cases by referral source) keeps every row."""
    columns = set(columns)
    sites = "select site_code from ref.sites where system_code = $system"
    trusts = "select trust_code from ref.sites where system_code = $system"
    if "site_code" in columns:
        return f"site_code in ({sites})"
    if "org_code" in columns:
        return f"(org_code = $system or org_code in ({sites}) or org_code in ({trusts}))"
    if "provider_code" in columns:
        return "provider_code in (select provider_code from ref.providers where system_code = $system)"
    if "system_code" in columns:
        return "system_code = $system"
    return "true"


def export_marts(
    conn: duckdb.DuckDBPyConnection, day: date, reports: Path, history_days: int, system: str | None = None
) -> tuple[Path, list[Path], int]:
    """(workbook, CSV files, rows in the CSV files); a re-run replaces the day's files whole.

    history_days: how many days, ending on `day`, each workbook sheet holds (the caller reads UEC_EXPORT_HISTORY_DAYS).
    system: only that system's rows (the brief's); None: every row the warehouse holds.
    """
    folder = reports / f"marts-{day.isoformat()}"
    workbook_path = reports / f"marts-{day.isoformat()}.xlsx"
    staging = reports / f".marts-{day.isoformat()}.partial"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    csvs, rows, schemas = [], 0, {}
    window = {"first": day - timedelta(days=history_days - 1), "day": day}
    book = xlsxwriter.Workbook(str(staging / workbook_path.name), WORKBOOK_OPTIONS)
    try:
        for mart in DAY_MARTS:
            relation = quoted("marts." + mart)
            # A warehouse holding every system's marts (England) exports the brief's system alone: the call pack is
            # that SCC's, and England's 100,000 rows a month took the workbook 20 s.
            home = home_rows(c[0] for c in conn.sql(f"describe {relation}").fetchall()) if system else "true"
            frame = conn.sql(
                f"select * from {relation} where date between $first and $day and {home} order by all",
                params=window | ({"system": system} if "$system" in home else {}),
            ).pl()
            frame, schemas[mart] = spreadsheet_safe(frame), frame.schema
            today = frame.filter(pl.col("date") == day)
            for_csv(today).write_csv(staging / f"{mart}.csv")
            sheet, formats = for_workbook(frame)
            sheet.write_excel(
                workbook=book,
                worksheet=mart,
                autofit=True,
                table_style="Table Style Light 9",
                column_formats=formats or None,  # type: ignore[arg-type]  # str keys: polars' key type is invariant
                dtype_formats={pl.Date: EXCEL_DATE, pl.Datetime: EXCEL_DATETIME},
                freeze_panes=(1, 0),
            )
            csvs.append(folder / f"{mart}.csv")
            rows += today.height
        spreadsheet_safe(definitions(history_days, day, schemas, system)).write_excel(
            workbook=book, worksheet=DEFINITIONS_SHEET, table_style="Table Style Light 9", autofit=True
        )
    finally:
        book.close()
    (staging / workbook_path.name).replace(workbook_path)
    shutil.rmtree(folder, ignore_errors=True)
    staging.replace(folder)
    return workbook_path, csvs, rows
