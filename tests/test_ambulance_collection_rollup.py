"""Month and year to date over NHS England's daily ambulance collection, worked by hand: each figure over the
trust-days where it is known, and how many trust-days carry an unknown value (docs/domain.md §7.2)."""

from __future__ import annotations

from collections.abc import Iterator

import duckdb
import pytest

from pipelines.storage.warehouse import ensure_schema

SITES = [
    ("RTG01", "Royal Derby", "RTG", "UHDB", "QJ2", "Derby and Derbyshire ICB", "no"),
    ("RTGFG", "Queen's Burton", "RTG", "UHDB", "QJ2", "Derby and Derbyshire ICB", "no"),
    ("RFSDA", "Chesterfield Royal", "RFS", "Chesterfield", "QJ2", "Derby and Derbyshire ICB", "no"),
]
# (org_code, org_level, date, all, known, unknown, over 15, 30, 45, 60, total hours)
ROWS = [
    ("RTG", "trust", "2025-11-01", 100, 95, 5, 50, 30, 20, 10, 60.0),
    # Published with over 60 above over 45: both set to unknown on load, the trust-day counts.
    ("RTG", "trust", "2025-11-02", 80, 80, 0, 40, 20, None, None, 40.0),
    ("RTG", "trust", "2025-11-03", 120, 110, 10, 70, 40, 25, 12, 90.0),
    ("RFS", "trust", "2025-11-03", 50, 50, 0, 20, 10, 5, 2, 20.0),
    # A peer trust (University Hospitals of Leicester): its own rows, no system row (ref.sites does not list it).
    ("RWE", "trust", "2025-11-03", 10, 10, 0, 1, 0, 0, 0, 2.0),
    # England's total row: not a trust, never summed.
    ("ENG", "england", "2025-11-03", 9000, 8000, 1000, 4000, 2000, 1000, 500, 6000.0),
]


@pytest.fixture(scope="module")
def conn(tmp_path_factory) -> Iterator[duckdb.DuckDBPyConnection]:
    with duckdb.connect(str(tmp_path_factory.mktemp("collection") / "w.duckdb")) as conn:
        ensure_schema(conn)
        conn.executemany("insert into ref.sites values (?, ?, ?, ?, ?, ?, ?)", SITES)
        conn.executemany(
            "insert into national.ambulance_collection (org_code, org_name, org_level, date, all_handovers, known, "
            "unknown, over_15, over_30, over_45, over_60, total_hours, source_file, source_sha256, source_row, "
            "published_at_utc) values ($1, $1 || ' as published', $2, $3::date, $4, $5, $6, $7, $8, $9, $10, $11, "
            "'collection.xlsx', 'abc', 2, timestamp '2026-01-08 09:30:00')",
            [list(r) for r in ROWS],
        )
        yield conn


def _row(conn, level: str, org: str, day: str, period: str) -> dict:
    return (
        conn.sql(
            "select * from marts.ambulance_collection_rollup where level = $l and org_code = $o and date = $d "
            "and period = $p",
            params={"l": level, "o": org, "d": day, "p": period},
        )
        .pl()
        .row(0, named=True)
    )


def test_a_trusts_month_to_date_counts_the_day_with_unknown_bands_and_says_so(conn):
    month = _row(conn, "trust", "RTG", "2025-11-03", "month_to_date")
    # 3 trust-days, the 2nd with over 45 and 60 unknown.
    assert (month["trust_days"], month["trust_days_with_unknown_values"]) == (3, 1)
    # Every day's arrivals count: 100 + 80 + 120 = 300; known 95 + 80 + 110 = 285; unknown 5 + 0 + 10 = 15.
    assert (month["arrivals"], month["known"], month["unknown"]) == (300, 285, 15)
    # Over 15: 50 + 40 + 70 = 160 and over 30: 30 + 20 + 40 = 90 (known every day).
    assert (month["over_15"], month["over_30"]) == (160, 90)
    # Over 45: 20 + 25 = 45 and over 60: 10 + 12 = 22, from the 1st and 3rd only.
    assert (month["over_45"], month["over_60"]) == (45, 22)
    assert month["pct_over_15"] == pytest.approx(100 * 160 / 285)
    # Shares over the known handovers of the days where the band is known: 95 + 110 = 205, not 285.
    assert month["pct_over_45"] == pytest.approx(100 * 45 / 205)
    assert month["pct_over_60"] == pytest.approx(100 * 22 / 205)
    # Hours 60 + 40 + 90 = 190; mean 190 x 60 / 285 = 40 minutes.
    assert month["total_hours"] == pytest.approx(190.0) and month["mean_minutes"] == pytest.approx(40.0)
    assert month["org_name"] == "RTG as published"
    # Year to date (from 1 April 2025) holds the same three days here.
    year = _row(conn, "trust", "RTG", "2025-11-03", "year_to_date")
    assert {k: v for k, v in year.items() if k not in ("period", "period_start")} == {
        k: v for k, v in month.items() if k not in ("period", "period_start")
    }
    assert (month["period_start"].isoformat(), year["period_start"].isoformat()) == ("2025-11-01", "2025-04-01")


def test_the_day_itself_shows_the_unknown_band_as_unknown_not_zero(conn):
    day = _row(conn, "trust", "RTG", "2025-11-02", "day")
    assert (day["arrivals"], day["over_30"], day["over_45"], day["over_60"]) == (80, 20, None, None)
    assert (day["pct_over_45"], day["trust_days_with_unknown_values"]) == (None, 1)
    # Month to date on the 2nd: the 1st's over 45 (20) of its 95 known; 1 of 2 trust-days with an unknown value.
    month = _row(conn, "trust", "RTG", "2025-11-02", "month_to_date")
    assert (month["over_45"], month["trust_days"], month["trust_days_with_unknown_values"]) == (20, 2, 1)
    assert month["pct_over_45"] == pytest.approx(100 * 20 / 95)


def test_the_systems_trusts_together_and_no_peer_or_england_row_in_them(conn):
    system = _row(conn, "system", "QJ2", "2025-11-03", "month_to_date")
    # RTG's 3 trust-days and RFS's 1: arrivals 300 + 50 = 350, over 45 45 + 5 = 50 of 205 + 50 = 255 known.
    assert (system["trust_days"], system["trust_days_with_unknown_values"], system["arrivals"]) == (4, 1, 350)
    assert (system["over_45"], system["over_60"]) == (50, 24)
    assert system["pct_over_45"] == pytest.approx(100 * 50 / 255)
    assert system["org_name"] == "Derby and Derbyshire ICB"
    levels = conn.sql("select distinct level, org_code from marts.ambulance_collection_rollup order by all").fetchall()
    assert levels == [("system", "QJ2"), ("trust", "RFS"), ("trust", "RTG"), ("trust", "RWE")]
    # Windows end only on days the collection has trust rows for.
    days = conn.sql("select distinct date::varchar from marts.ambulance_collection_rollup order by 1").fetchall()
    assert days == [("2025-11-01",), ("2025-11-02",), ("2025-11-03",)]
