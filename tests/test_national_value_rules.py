"""The daily ambulance collection's and the monthly A&E return's value rules (docs/domain.md §7.2): which values a
disagreement makes unknown, checked on hand-made rows through the contracts."""

from __future__ import annotations

from datetime import date

import polars as pl

from pipelines.ingest.validation import contract_errors
from schemas import ae_monthly, ambulance_collection
from schemas.canonical import Reference

REFERENCE = Reference(sites=[], providers=[])
DAY = date(2025, 11, 26)
# all 100 = known 90 + unknown 10; bands 40 > 20 > 8 > 3; total 30 h over 90 known = 20 minutes each.
GOOD = {
    "org_code": "RTG",
    "org_name": "UHDB",
    "region": "MIDLANDS",
    "date": DAY,
    "all_handovers": 100,
    "known": 90,
    "unknown": 10,
    "over_15": 40,
    "over_30": 20,
    "over_45": 8,
    "over_60": 3,
    "total_hours": 30.0,
    "mean_minutes": 20.0,
}
SCHEMA = {
    **{c: pl.Utf8 for c in ("org_code", "org_name", "region")},
    "date": pl.Date,
    **{c: pl.Int64 for c in ambulance_collection.COUNTS},
    "total_hours": pl.Float64,
    "mean_minutes": pl.Float64,
}


def failing(*changes: dict) -> dict[int, set[str]]:
    """Row number -> the columns the contract names, for GOOD changed as given (row 2 onwards)."""
    rows = [{**GOOD, **change, "source_row": i + 2} for i, change in enumerate(changes)]
    frame = pl.DataFrame(rows, schema={**SCHEMA, "source_row": pl.Int64})
    errors = contract_errors(frame, ambulance_collection.contract(REFERENCE, DAY), {})
    out: dict[int, set[str]] = {}
    for row, column in errors.select("source_row", "column_name").iter_rows():
        out.setdefault(row, set()).add(column)
    return out


def test_a_consistent_row_passes():
    assert failing({}) == {}


def test_over_60_above_over_45_makes_both_unknown():
    # 9 over 60 > 8 over 45: neither can be called the right one; over 30 (20) and the rest stand.
    assert failing({"over_60": 9}) == {2: {"over_45", "over_60"}}


def test_each_adjacent_pair_that_disagrees_makes_both_unknown():
    assert failing({"over_15": 91}, {"over_30": 41}, {"over_45": 21}) == {
        2: {"known", "over_15"},  # 91 over 15 of 90 known
        3: {"over_15", "over_30"},  # 41 over 30 > 40 over 15
        4: {"over_30", "over_45"},  # 21 over 45 > 20 over 30
    }


def test_over_60_is_held_to_over_30_when_over_45_is_not_published():
    assert failing({"over_45": None, "over_60": 21}, {"over_45": None, "over_60": 20}) == {
        2: {"over_30", "over_60"}  # 21 > 20; 20 = 20 passes
    }


def test_all_not_known_plus_unknown_makes_unknown_unknown():
    # 100 != 90 + 11: the arrivals (100) and known (90) stand, the remainder is what is set to unknown.
    assert failing({"unknown": 11}) == {2: {"unknown"}}


def test_a_negative_count_is_unknown():
    # -1 unknown also breaks all = known + unknown (100 != 89): the same column, nothing else.
    assert failing({"unknown": -1}) == {2: {"unknown"}}


def test_a_mean_not_total_over_known_is_unknown_beyond_rounding():
    assert failing(
        {"mean_minutes": 20 + 2 / 60},  # 2 s off: rounding of two values published to the second
        {"mean_minutes": 20 + 3 / 60},  # 3 s off: not rounding
        {"known": 0, "unknown": 100, "over_15": 0, "over_30": 0, "over_45": 0, "over_60": 0, "mean_minutes": 0.0},
        {"known": 0, "unknown": 100, "over_15": 0, "over_30": 0, "over_45": 0, "over_60": 0, "mean_minutes": 5.0},
        {"mean_minutes": None},
    ) == {3: {"mean_minutes"}, 5: {"mean_minutes"}}


def test_a_row_without_its_organisation_or_day_fails_on_them():
    assert failing({"org_code": None}, {"date": None}) == {2: {"org_code"}, 3: {"date"}}


def test_values_not_published_pass():
    nothing = {c: None for c in ambulance_collection.COUNTS} | {"total_hours": None, "mean_minutes": None}
    assert failing(nothing) == {}


def ae_failing(*rows: dict) -> set[tuple[int, str]]:
    base = {"org_code": "RTG", "org_name": None, "region": None, "period": date(2017, 3, 1), "department_type": "1"}
    frame = pl.DataFrame(
        [
            {**base, "attendances": 100, "breaches": 10, "admissions": 30, **r, "source_row": i + 2}
            for i, r in enumerate(rows)
        ],
        schema={
            **{c: pl.Utf8 for c in ("org_code", "org_name", "region", "department_type")},
            "period": pl.Date,
            **{c: pl.Int64 for c in ae_monthly.COUNTS},
            "source_row": pl.Int64,
        },
    )
    errors = contract_errors(frame, ae_monthly.contract(REFERENCE, date(2017, 3, 1)), {})
    return set(errors.select("source_row", "column_name").iter_rows())


def test_monthly_breaches_above_attendances_make_breaches_unknown():
    assert ae_failing({}, {"breaches": 101}, {"breaches": 100}) == {(3, "breaches")}


def test_monthly_negative_counts_are_unknown_and_types_and_months_are_checked():
    assert ae_failing(
        {"admissions": -1}, {"attendances": -5, "breaches": 0}, {"department_type": "3"}, {"period": date(2017, 3, 2)}
    ) == {(2, "admissions"), (3, "attendances"), (4, "department_type"), (5, "period")}


def test_a_negative_band_is_named_once_not_against_its_neighbours():
    # -1 known is unknown; over 15 (40) is not judged against it.
    assert failing({"known": -1, "unknown": 101}) == {2: {"known"}}
