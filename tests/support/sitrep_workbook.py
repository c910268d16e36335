"""Write NHS England's sitrep timeseries workbooks, in the published layout, from the real long-form rows.

The layout as published (reference README): one sheet per topic, title and notes above the table (14 header rows
here), the dates on the row above the column names, the organisation's columns (region, code, name) then one
block of columns per day repeating the same names, England and region totals as rows, '-' where a figure is
not available. Ambulance delays are a separate workbook, sheet "Ambulance Arrivals and Delays".

A trust-day in the long form becomes its block's cells (an empty figure written '-', so a trust reporting nothing
is still a row; a trust-day published twice, its second copy on a second row); a trust not in a day's return
leaves that block empty. Region totals are written as the sum of their trusts (rates as occupied / open), as NHS
England prints them.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from datetime import date
from pathlib import Path

import openpyxl

MAIN_SHEETS: dict[str, list[tuple[str, str]]] = {
    "Adult G&A beds": [
        ("G&A beds open", "ga_beds_open"),
        ("G&A beds occupied", "ga_beds_occupied"),
        ("Void beds", "ga_beds_void"),
        ("Occupancy rate", "ga_occupancy_rate"),
    ],
    "Adult critical care": [
        ("CC Adult Open", "cc_adult_open"),
        ("CC Adult Occ", "cc_adult_occupied"),
        ("CC Adult Occupancy rate", "cc_occupancy_rate"),
    ],
    "D&V, Norovirus": [
        ("Beds closed", "beds_closed_norovirus"),
        ("Beds closed unoccupied", "unoccupied_beds_closed_norovirus"),
    ],
    "Beds Occ by long stay patients": [
        ("Occupied by patients in hospital over 7 days", "beds_long_stay_over_7_days"),
        ("Occupied by patients in hospital over 21 days", "beds_long_stay_over_21_days"),
    ],
    "Flu": [("G&A beds occupied by flu patients", "ga_beds_flu"), ("CC beds occupied by flu patients", "cc_beds_flu")],
    "A&E Closures": [("Closures", "ae_closures")],
    "A&E Diverts": [("Diverts", "ae_diverts")],
}
AMBULANCE_SHEETS: dict[str, list[tuple[str, str]]] = {
    "Ambulance Arrivals and Delays": [
        ("Arrivals delayed 30-60 minutes", "handover_delays_30_60"),
        ("Arrivals delayed over 60 minutes", "handover_delays_over_60"),
    ],
}
ORG_COLUMNS = ("NHS England Region", "Code", "Name")
HEADER_ROW = 15  # the column names; the dates on row 14 above them
RATES = {
    "ga_occupancy_rate": ("ga_beds_occupied", "ga_beds_open"),
    "cc_occupancy_rate": ("cc_adult_occupied", "cc_adult_open"),
}


def _number(text: str) -> int | float | str:
    if text in ("", "-"):
        return "-"
    value = float(text)
    return int(value) if value.is_integer() and "." not in text else value


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _regions(rows: list[dict[str, str]], figures: list[str]) -> dict[tuple[str, str], dict[str, int | float | str]]:
    """(region, day) -> the region's totals: the sum of its trusts' counts, rates from the summed counts."""
    totals: dict[tuple[str, str], dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for row in rows:
        if row["org_code"] == "-" or not row.get("region") or row["region"] == "-":
            continue
        for figure in figures:
            if figure not in RATES and row.get(figure, "") not in ("", "-"):
                totals[(row["region"], row["date"])][figure] += float(row[figure])
    out: dict[tuple[str, str], dict[str, int | float | str]] = {}
    for key, sums in totals.items():
        cells: dict[str, int | float | str] = {f: int(v) for f, v in sums.items()}
        for rate, (occupied, open_) in RATES.items():
            if rate in figures and sums.get(open_):
                cells[rate] = sums[occupied] / sums[open_]
        out[key] = cells
    return out


def write_workbook(
    path: Path, rows: list[dict[str, str]], sheets: dict[str, list[tuple[str, str]]], regions: bool = True
) -> dict[str, int]:
    """Write the workbook; the row (as a spreadsheet shows it) each organisation is on, by code or region name."""
    present = set(rows[0])
    sheets = {s: [(n, f) for n, f in cols if f in present] for s, cols in sheets.items()}
    sheets = {s: cols for s, cols in sheets.items() if cols}
    days = sorted({r["date"] for r in rows})
    orgs = list(dict.fromkeys((r.get("region", ""), r["org_code"], r["org_name"]) for r in rows))
    # An organisation-day published twice (2020-21's last week) takes a second row for the organisation, as an
    # edition holding both copies would print it: the k-th copy of a day on the organisation's k-th row.
    by_org_day: dict[tuple[str, ...], list[dict[str, str]]] = defaultdict(list)
    for r in rows:
        by_org_day[(r.get("region", ""), r["org_code"], r["org_name"], r["date"])].append(r)
    copies: dict[tuple[str, ...], int] = defaultdict(lambda: 1)
    for key, found in by_org_day.items():
        copies[key[:3]] = max(copies[key[:3]], len(found))
    figures = [f for cols in sheets.values() for _, f in cols]
    totals = _regions(rows, figures) if regions else {}
    region_names = sorted({region for region, _ in totals})
    # England first, then the regions, then the trusts, as published.
    region_rows = {(r, "-", r) for r in region_names}
    ordered = [o for o in orgs if o[1] == "-"] + sorted(region_rows) + [o for o in orgs if o[1] != "-"]
    listed = [(org, k) for org in ordered for k in range(copies[org])]
    book = openpyxl.Workbook(write_only=True)
    where: dict[str, int] = {}
    for sheet, columns in sheets.items():
        ws = book.create_sheet(sheet)
        ws.append([f"{sheet}: NHS England UEC daily situation report (built for tests from the published rows)"])
        for line in range(HEADER_ROW - 3):
            ws.append([f"note {line + 1}"] if line < 3 else [])
        date_row: list[object] = [None] * len(ORG_COLUMNS)
        for day in days:
            date_row += [date.fromisoformat(day)] + [None] * (len(columns) - 1)
        ws.append(date_row)
        ws.append([*ORG_COLUMNS, *(name for _ in days for name, _ in columns)])
        for number, (org, copy) in enumerate(listed, start=HEADER_ROW + 1):
            where.setdefault(org[1] if org[1] != "-" else org[2].upper(), number)
            cells: list[object] = list(org)
            for day in days:
                if org in region_rows:
                    found = totals.get((org[0], day))
                    cells += [found.get(f, "-") if found else None for _, f in columns]
                    continue
                found_rows = by_org_day.get((*org, day), [])
                row = found_rows[copy] if copy < len(found_rows) else None
                cells += [_number(row.get(f, "")) if row else None for _, f in columns]
            ws.append(cells)
    book.save(path)
    return where
