"""NHS England's UEC daily sitrep (winter) at trust grain: its canonical columns and contract.

Value rules (docs/domain.md §7.2: a bad value is set to unknown, the row still counts; the rules, and why):
- a negative count is unknown;
- beds occupied over beds open (G&A or adult critical care): both counts are unknown, and so is the published
  rate. Either figure may be the wrong one and nothing in the row says which; keeping one of them would let a
  sum of occupied beds or of open beds carry half of a contradiction;
- long stays over 21 days above those over 7 days (the first are a subset of the second), and beds closed and
  unoccupied above beds closed for norovirus: both of each pair unknown, for the same reason;
- a published occupancy rate outside 0-1, or more than half a percentage point from occupied / open, is unknown
  (the 2017-18 to 2019-20 files publish a G&A rate of 0 beside beds occupied); the counts stand. The marts
  compute occupancy from the counts.
A row with no readable organisation or day cannot be placed: it is quarantined whole.
"""

from __future__ import annotations

from datetime import date

import pandera.polars as pa
import polars as pl

from schemas.canonical import Canonical, FeedSpec, Reference
from schemas.checks import row_rule

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
RATES = {
    "ga_occupancy_rate": ("ga_beds_occupied", "ga_beds_open"),
    "cc_occupancy_rate": ("cc_adult_occupied", "cc_adult_open"),
}
# Pairs (part, whole): the part cannot exceed the whole; when it does, both are unknown.
NESTED = (
    ("ga_beds_occupied", "ga_beds_open", "beds occupied not more than beds open"),
    ("cc_adult_occupied", "cc_adult_open", "critical care beds occupied not more than open"),
    ("beds_long_stay_over_21_days", "beds_long_stay_over_7_days", "stays over 21 days not more than over 7 days"),
    (
        "unoccupied_beds_closed_norovirus",
        "beds_closed_norovirus",
        "closed unoccupied beds not more than beds closed for norovirus",
    ),
)
# How far a published rate may sit from occupied / open: half a percentage point covers a rate rounded to 1 d.p.
RATE_TOLERANCE = 0.005

SPEC = FeedSpec(
    feed="winter_sitrep",
    key=("org_code", "date"),
    columns=(
        Canonical("org_code", "text"),
        Canonical("org_name", "text"),
        Canonical("region", "text"),
        Canonical("date", "date", required=True),
        *(Canonical(name, "integer", unknown_on_fault=True) for name in COUNTS),
        *(Canonical(name, "decimal", unknown_on_fault=True) for name in RATES),
    ),
)


def _rate_rules(rate: str, occupied: str, open_: str) -> list[pa.Check]:
    computed = pl.col(occupied) / pl.col(open_)
    consistent = (
        pl.col(rate).is_null()
        | pl.col(occupied).is_null()
        | pl.col(open_).is_null()
        | (pl.col(open_) == 0)
        | ((pl.col(rate) - computed).abs() <= RATE_TOLERANCE)
    )
    in_range = pl.col(rate).is_null() | pl.col(rate).is_between(0, 1)
    # Counts that contradict each other leave the rate without a basis: unknown with them.
    counts_agree = pl.col(occupied).is_null() | pl.col(open_).is_null() | (pl.col(occupied) <= pl.col(open_))
    return [
        row_rule(in_range, "occupancy rate between 0 and 1"),
        row_rule(consistent, f"occupancy rate within {RATE_TOLERANCE} of {occupied} / {open_}"),
        row_rule(pl.col(rate).is_null() | counts_agree, f"{occupied} not more than {open_}"),
    ]


def contract(reference: Reference, period_start: date) -> pa.DataFrameSchema:
    """Placed organisation and day; counts not negative; nested counts nested; rates consistent with the counts."""
    del reference, period_start  # England's trusts are not in ref.sites; a winter file spans months
    checks: dict[str, list[pa.Check]] = {name: [pa.Check.ge(0, error="not negative")] for name in COUNTS}
    for part, whole, rule in NESTED:
        nested = pl.col(part).is_null() | pl.col(whole).is_null() | (pl.col(part) <= pl.col(whole))
        checks[part].append(row_rule(nested, rule))
        checks[whole].append(row_rule(nested, rule))
    columns = {name: pa.Column(pl.Int64, rules, nullable=True) for name, rules in checks.items()}
    columns |= {
        rate: pa.Column(pl.Float64, _rate_rules(rate, *counts), nullable=True) for rate, counts in RATES.items()
    }
    return pa.DataFrameSchema(
        {
            "org_code": pa.Column(str, nullable=False),
            "org_level": pa.Column(str, pa.Check.isin(["trust", "region", "england"]), nullable=False),
            "date": pa.Column(pl.Date, nullable=False),
            **columns,
        },
        name="winter_sitrep",
        strict=False,
    )
