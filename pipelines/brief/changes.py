"""How each headline tile moved against yesterday and the same weekday last week, said in words with an arrow."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

import polars as pl

Direction = Literal["higher", "lower"]
# The tile's figure per measure: its unit in words and which way is better (as the charts read it).
MEASURES: dict[str, tuple[str, Direction]] = {
    "ed_four_hour": ("points", "higher"),
    "hours_lost": ("hours", "lower"),
    "deflection": ("points", "higher"),
}
ARROWS = {"up": "▲", "down": "▼", "same": "▶"}


@dataclass(frozen=True)
class Change:
    """One tile's move against one earlier day: the difference of the two figures as shown (one decimal place)."""

    against: str  # "yesterday" or "Monday last week"
    delta: float | None  # None when the earlier day has no figure
    unit: str
    better: Direction

    @property
    def direction(self) -> Literal["up", "down", "same"] | None:
        if self.delta is None:
            return None
        return "up" if self.delta > 0 else "down" if self.delta < 0 else "same"

    @property
    def verdict(self) -> Literal["better", "worse"] | None:
        if self.direction in (None, "same"):
            return None
        return "better" if (self.direction == "up") == (self.better == "higher") else "worse"

    @property
    def arrow(self) -> str:
        return ARROWS.get(self.direction or "", "")

    @property
    def words(self) -> str:
        """E.g. "up 2.1 points on yesterday, better"; the arrow and colour only repeat what this says."""
        if self.delta is None:
            return f"no figure to compare with {self.against}"
        if self.direction == "same":
            return f"no change on {self.against}"
        return f"{self.direction} {abs(self.delta):,.1f} {self.unit} on {self.against}, {self.verdict}"


def change(today: float | None, before: float | None, against: str, measure: str) -> Change:
    unit, better = MEASURES[measure]
    # The change between the figures as the tiles show them: two days both shown as 84.3% read "no change", and the
    # words never disagree with the reader's own subtraction of the two displayed figures.
    delta = None if today is None or before is None else round(_shown(today) - _shown(before), 1) + 0.0
    return Change(against, delta, unit, better)


def _shown(value: float) -> float:
    # Formatted as the page's filters format a tile figure (one decimal), so rounding matches it exactly.
    return float(f"{value:.1f}")


def tile_changes(frame: pl.DataFrame, day: date) -> dict[tuple[str, str], tuple[Change, Change]]:
    """(measure, org_code) -> its change on yesterday and on the same weekday last week, from brief_tile_changes."""
    week_ago = day - timedelta(days=7)
    values: dict[tuple[str, str], dict[date, float | None]] = {}
    for row in frame.iter_rows(named=True):
        values.setdefault((row["measure"], row["org_code"]), {})[row["date"]] = row["value"]
    out = {}
    for (measure, org), by_day in values.items():
        today = by_day.get(day)
        out[(measure, org)] = (
            change(today, by_day.get(day - timedelta(days=1)), "yesterday", measure),
            change(today, by_day.get(week_ago), f"{week_ago:%A} last week", measure),
        )
    return out
