"""A daily ambulance collection file like NHS England's: Derbyshire's two trusts, 26 Nov 2025 - 31 Mar 2026.

126 days x RFS and RTG = 252 trust-days, as in the season issue 30 was tried with, in the published CSV layout
(schemas/national/ambulance_collection/nhse_csv.yaml). The counts are made by hand-checkable rules (below), and 17
rows publish more handovers over 60 minutes than over 45, as 17 of the real 252 did. Means are written `HH:MM:SS` on
even days and `HH:MM:SS.ffffff` (half seconds) on odd ones; the total time is known x mean, written the same way.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

FIRST_DAY = date(2025, 11, 26)
DAYS = 126  # 26 Nov 2025 - 31 Mar 2026: 5 + 31 + 31 + 28 + 31
TRUSTS = {"RFS": "CHESTERFIELD ROYAL HOSPITAL NHS FOUNDATION TRUST", "RTG": "UNIVERSITY HOSPITALS OF DERBY AND BURTON"}
BASE_ARRIVALS = {"RFS": 60, "RTG": 150}
# (trust, day index) whose over 60 is published above their over 45: RTG every 8th day (16) and RFS day 5.
BANDS_INVERTED = frozenset({("RTG", d) for d in range(0, DAYS, 8)} | {("RFS", 5)})
HEADER = [
    "Period",
    "Region",
    "Org Code",
    "Org Name",
    "Handover time known",
    "Over 15 minutes",
    "Over 30 minutes",
    "Over 45 minutes",
    "Over 60 minutes",
    "Handover time unknown",
    "All handovers",
    "Total hours",
    "Mean",
]


@dataclass(frozen=True)
class TrustDay:
    """One published row as written, with the numbers behind its text."""

    source_row: int  # as a spreadsheet shows it: the header is row 1
    org_code: str
    day: date
    all_handovers: int
    known: int
    unknown: int
    over_15: int
    over_30: int
    over_45: int
    over_60: int
    total_seconds: float
    mean_seconds: float

    @property
    def inverted(self) -> bool:
        return self.over_60 > self.over_45


def clock(seconds: float) -> str:
    """Seconds as NHS England writes a duration: HH:MM:SS, with .ffffff when there is a fraction."""
    whole, fraction = divmod(round(seconds * 1_000_000), 1_000_000)
    hours, rest = divmod(whole, 3600)
    text = f"{hours:02d}:{rest // 60:02d}:{rest % 60:02d}"
    return f"{text}.{fraction:06d}" if fraction else text


def trust_day(source_row: int, code: str, d: int) -> TrustDay:
    """Day index d's counts for a trust: arrivals vary with the day, the bands halve, one in three days has unknowns."""
    all_handovers = BASE_ARRIVALS[code] + (d * 7) % 23
    unknown = d % 3
    known = all_handovers - unknown
    over_15 = known // 2
    over_30 = over_15 // 2
    over_45 = over_30 // 2
    over_60 = over_45 + 2 if (code, d) in BANDS_INVERTED else over_45 // 2
    mean_seconds = 600 + (d * 37) % 1200 + (0.5 if d % 2 else 0)
    return TrustDay(
        source_row,
        code,
        FIRST_DAY + timedelta(days=d),
        all_handovers,
        known,
        unknown,
        over_15,
        over_30,
        over_45,
        over_60,
        known * mean_seconds,
        mean_seconds,
    )


def season() -> list[TrustDay]:
    """The 252 rows in file order: day by day, RFS then RTG."""
    rows = []
    for d in range(DAYS):
        for code in TRUSTS:
            rows.append(trust_day(len(rows) + 2, code, d))
    return rows


def write_collection(path: Path, rows: list[TrustDay] | None = None) -> list[TrustDay]:
    """Write the collection CSV (the whole season unless rows are given); returns the rows written."""
    rows = season() if rows is None else rows
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        for r in rows:
            writer.writerow(
                [
                    r.day.isoformat(),
                    "MIDLANDS",
                    r.org_code,
                    TRUSTS[r.org_code],
                    r.known,
                    r.over_15,
                    r.over_30,
                    r.over_45,
                    r.over_60,
                    r.unknown,
                    r.all_handovers,
                    clock(r.total_seconds),
                    clock(r.mean_seconds),
                ]
            )
    return rows
