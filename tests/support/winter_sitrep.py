"""What a winter sitrep file should load to, worked out from the CSV with the csv module, the rules said in words.

- A total row (code '-') is England's ('ENGLAND', 'ENGLAND (All Acute Trusts)' -> ENG; '... (Type 1 ...)' ->
  ENG-T1); any other row is its trust's code. One row per organisation and day.
- Rows of one organisation and day with the same figures (only the name spelled differently, or a plain repeat)
  are one report: the first counts, the rest are duplicates.
- Rows of one organisation and day with different figures: none counts, every copy is quarantined.
- In a counted row a negative count is unknown, and so is each of a pair where the part exceeds the whole
  (occupied over open, G&A and critical care; over 21 days over over 7 days; closed unoccupied over closed).
"""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

COUNTS = (
    "ga_beds_open",
    "ga_beds_occupied",
    "ga_beds_void",
    "cc_adult_open",
    "cc_adult_occupied",
    "beds_closed_norovirus",
    "unoccupied_beds_closed_norovirus",
    "beds_long_stay_over_7_days",
    "beds_long_stay_over_21_days",
    "ga_beds_flu",
    "cc_beds_flu",
    "ae_closures",
    "ae_diverts",
    "handover_delays_30_60",
    "handover_delays_over_60",
)
PAIRS = (
    ("ga_beds_occupied", "ga_beds_open"),
    ("cc_adult_occupied", "cc_adult_open"),
    ("beds_long_stay_over_21_days", "beds_long_stay_over_7_days"),
    ("unoccupied_beds_closed_norovirus", "beds_closed_norovirus"),
)
FIGURES = (*COUNTS, "ga_occupancy_rate", "cc_occupancy_rate")
ENGLAND = {"ENGLAND": "ENG", "ENGLAND (ALL ACUTE TRUSTS)": "ENG", "ENGLAND (TYPE 1 ACUTE TRUSTS)": "ENG-T1"}


@dataclass
class Expected:
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    rows_duplicate: int = 0
    # org_code -> count column -> sum over the counted rows (unknown values left out)
    sums: dict[str, dict[str, int]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(int)))


def org_code(row: dict[str, str]) -> str:
    return ENGLAND[row["org_name"].strip().upper()] if row["org_code"] == "-" else row["org_code"]


def expected(path: Path, figures: tuple[str, ...] = FIGURES) -> Expected:
    """What the file loads to; `figures`: those a file built from it publishes (a workbook holds some topics), on
    which two rows of one organisation and day are judged the same report or different ones."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    out = Expected(rows_read=len(rows))
    by_key: dict[tuple[str, str], list[dict[str, str]]] = defaultdict(list)
    for row in rows:
        by_key[(org_code(row), row["date"])].append(row)
    for (code, _), copies in by_key.items():
        versions = {tuple(r.get(c, "") for c in figures) for r in copies}
        if len(versions) > 1:
            out.rows_quarantined += len(copies)
            continue
        out.rows_loaded += 1
        out.rows_duplicate += len(copies) - 1
        counts = [c for c in COUNTS if c in figures]
        published = {c: int(copies[0][c]) if copies[0].get(c, "") not in ("", "-") else None for c in counts}
        values = {c: None if v is not None and v < 0 else v for c, v in published.items()}
        for part, whole in PAIRS:  # judged on the figures as published
            p, w = published.get(part), published.get(whole)
            if p is not None and w is not None and p > w:
                values[part] = values[whole] = None
        for c, v in values.items():
            if v is not None:
                out.sums[code][c] += v
    return out
