"""The peer views: each trust beside its region and England on NHS England's published figures, ranked, with funnel
limits; hand-worked days and months first, then the real published rows."""

from __future__ import annotations

import csv
import math
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest

from pipelines.storage.warehouse import ensure_schema
from tests.support.national_rows import (
    SITREP_2022_23,
    ae_monthly_rows,
    insert,
    insert_trust_regions,
    winter_sitrep_rows,
)
from tests.support.reference import AE_MONTHLY

DAY = date(2022, 12, 1)
MONTH = date(2018, 1, 1)
PUBLISHED = datetime(2022, 12, 8, 9, 30)


@pytest.fixture
def conn(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    with duckdb.connect(str(tmp_path / "peer.duckdb")) as connection:
        ensure_schema(connection)
        insert_trust_regions(connection)
        yield connection


def _row(code: str, level: str = "trust", published: datetime = PUBLISHED, **counts) -> dict:
    return {
        "org_code": code,
        "org_name": code,
        "org_level": level,
        "source_file": "hand.csv",
        "source_sha256": "0" * 64,
        "source_row": 2,
        "published_at_utc": published,
        **counts,
    }


def _sitrep(code, open_, occupied, d30_60, d60, level="trust") -> dict:
    return _row(
        code,
        level,
        date=DAY,
        ga_beds_open=open_,
        ga_beds_occupied=occupied,
        handover_delays_30_60=d30_60,
        handover_delays_over_60=d60,
    )


def _rows(conn, view: str, key: str) -> dict[str, dict]:
    frame = conn.sql(f"select * from marts.{view}").pl()
    return {r[key]: r for r in frame.iter_rows(named=True)}


def test_a_hand_worked_day_ranks_trusts_and_sums_a_region_nhs_england_does_not_print(conn):
    insert(
        conn,
        "winter_sitrep",
        [
            _sitrep("RTG", 100, 90, 4, 2),  # 90/100 = 90.0%; 4 + 2 = 6 over 30; 6 / 60 arrivals = 0.1
            _sitrep("RFS", 50, 45, 1, 0),  # 45/50 = 90.0% (tied with RTG); 1 over 30; 1 / 20 = 0.05
            _sitrep("RK5", None, 30, 3, 3),  # no beds open: no occupancy, not ranked on it; 6 over 30; 6 / 30 = 0.2
            _sitrep("R0A", 200, 150, 10, 5),  # North West: 75.0%; 15 over 30, no arrivals published
            _sitrep("ENG", 1000, 800, 40, 20, level="england"),  # published: 80.0%
        ],
    )
    later = datetime(2022, 12, 9, 9, 0)
    insert(
        conn,
        "ambulance_collection",
        [
            _row("RTG", date=DAY, all_handovers=60),
            _row("RFS", date=DAY, all_handovers=20, published=later),
            _row("RK5", date=DAY, all_handovers=30),
        ],
    )
    rows = _rows(conn, "peer_daily", "org_code")
    assert set(rows) == {"RTG", "RFS", "RK5", "R0A", "ENG", "MIDLANDS", "NORTH WEST"}
    # Occupancy, lowest first: R0A 75% is 1; RTG and RFS tie at 90% and share 2; RK5 has none: 3 trusts ranked.
    assert {c: (rows[c]["occupancy_rank"], rows[c]["occupancy_ranked"]) for c in ("R0A", "RTG", "RFS", "RK5")} == {
        "R0A": (1, 3),
        "RTG": (2, 3),
        "RFS": (2, 3),
        "RK5": (None, None),
    }
    assert rows["RTG"]["ga_occupancy_pct"] == pytest.approx(90.0)
    # Delays over 30 (counts), fewest first: RFS 1; RTG 6 and RK5 6 share 2; R0A 15 is 4 (competition ranking).
    assert [rows[c]["delays_rank"] for c in ("RFS", "RTG", "RK5", "R0A")] == [1, 2, 2, 4]
    assert rows["R0A"]["handover_delays_over_30"] == 15
    # Per arrival: RFS 0.05, RTG 0.1, RK5 0.2; R0A has no arrivals published, so 3 ranked.
    assert [(rows[c]["per_arrival_rank"], rows[c]["per_arrival_ranked"]) for c in ("RFS", "RTG", "RK5")] == [
        (1, 3),
        (2, 3),
        (3, 3),
    ]
    assert rows["R0A"]["per_arrival_rank"] is None
    assert rows["RTG"]["delays_over_30_per_arrival"] == pytest.approx(0.1)
    # The Midlands (RTG, RFS, RK5) summed: beds only from trusts giving both counts, 100 + 50 = 150 open and
    # 90 + 45 = 135 occupied, 90.0%; delays 4 + 1 + 3 = 8 and 2 + 0 + 3 = 5, 13 over 30, per 60 + 20 + 30 = 110.
    midlands = rows["MIDLANDS"]
    assert (midlands["org_level"], midlands["source"], midlands["trusts_summed"]) == ("region", "sum of trusts", 3)
    assert (midlands["ga_beds_open"], midlands["ga_beds_occupied"]) == (150, 135)
    assert midlands["ga_occupancy_pct"] == pytest.approx(90.0)
    assert (midlands["handover_delays_30_60"], midlands["handover_delays_over_60"]) == (8, 5)
    assert midlands["delays_over_30_per_arrival"] == pytest.approx(13 / 110)
    assert midlands["occupancy_rank"] is None  # totals are not ranked
    # The newest edition among the rows summed: RFS's arrivals came a day later.
    assert midlands["published_at_utc"] == later
    # England as published (its own counts, not the trusts' sums): 800 / 1000 = 80.0%.
    assert (rows["ENG"]["source"], rows["ENG"]["ga_occupancy_pct"]) == ("published", pytest.approx(80.0))
    assert rows["NORTH WEST"]["ga_occupancy_pct"] == pytest.approx(75.0)


def test_a_region_row_the_publication_prints_is_used_as_published(conn):
    insert(
        conn,
        "winter_sitrep",
        [_sitrep("RTG", 100, 90, 4, 2), {**_sitrep("MIDLANDS", 900, 810, 0, 0, level="region"), "region": "Midlands"}],
    )
    rows = _rows(conn, "peer_daily", "org_code")
    assert (rows["MIDLANDS"]["source"], rows["MIDLANDS"]["ga_beds_open"]) == ("published", 900)
    # No ENG row published: England is the sum of the trusts (RTG alone here).
    assert (rows["ENG"]["source"], rows["ENG"]["ga_beds_open"]) == ("sum of trusts", 100)


def _ae(code: str, attendances: int, breaches: int, department_type: str = "1", level: str = "trust") -> dict:
    return _row(code, level, period=MONTH, department_type=department_type, attendances=attendances, breaches=breaches)


def test_a_hand_worked_month_ranks_providers_and_draws_funnel_limits_round_england(conn):
    insert(
        conn,
        "ae_monthly",
        [
            # England as published, types summed: 800 + 200 = 1,000 attendances, 150 + 50 = 200 breaches, so
            # p = 0.8 within 4 hours (80.0%), and p(1 - p) = 0.16.
            _ae("ENG", 800, 150, level="england"),
            _ae("ENG", 200, 50, "other", level="england"),
            # RTG: n = 100, sigma = sqrt(0.16 / 100) = 0.04; 95%: 80 +/- 1.959964 x 4 = 72.16 to 87.84;
            # 99.8%: 80 +/- 3.090232 x 4 = 67.64 to 92.36. 40 breaches: 60.0%, below both.
            _ae("RTG", 90, 38),
            _ae("RTG", 10, 2, "other"),
            # RFS: n = 400, sigma = 0.02; 95%: 76.08 to 83.92; 99.8%: 73.82 to 86.18. 60 breaches: 85.0%,
            # above the 95% limit but within the 99.8% one.
            _ae("RFS", 400, 60),
            # R0A: n = 1,600, sigma = 0.01; 99.8%: 76.91 to 83.09. 320 breaches: exactly 80.0%, within.
            _ae("R0A", 1600, 320),
        ],
    )
    rows = _rows(conn, "peer_monthly", "org_code")
    rtg, rfs, r0a = rows["RTG"], rows["RFS"], rows["R0A"]
    assert (rtg["attendances"], rtg["breaches"], rtg["pct_within_4h"]) == (100, 40, pytest.approx(60.0))
    assert rtg["england_pct_within_4h"] == pytest.approx(80.0)
    assert (rtg["lower_95_pct"], rtg["upper_95_pct"]) == (pytest.approx(72.160144), pytest.approx(87.839856))
    assert (rtg["lower_998_pct"], rtg["upper_998_pct"]) == (pytest.approx(67.639072), pytest.approx(92.360928))
    assert (rtg["funnel_flag"], rtg["funnel_flag_95"]) == ("below", "below")
    assert (rfs["lower_998_pct"], rfs["upper_998_pct"]) == (pytest.approx(73.819536), pytest.approx(86.180464))
    assert (rfs["funnel_flag"], rfs["funnel_flag_95"]) == ("within", "above")
    assert (r0a["funnel_flag"], r0a["upper_998_pct"]) == ("within", pytest.approx(83.090232))
    # Highest 4-hour first: RFS 85% is 1, R0A 80% 2, RTG 60% 3, of 3.
    assert [(rows[c]["rank"], rows[c]["ranked"]) for c in ("RFS", "R0A", "RTG")] == [(1, 3), (2, 3), (3, 3)]
    # The Midlands summed from RTG and RFS: 500 attendances, 100 breaches, 80.0%; no limits on a total.
    midlands = rows["MIDLANDS"]
    assert (midlands["attendances"], midlands["breaches"], midlands["source"]) == (500, 100, "sum of trusts")
    assert midlands["pct_within_4h"] == pytest.approx(80.0)
    assert (midlands["funnel_flag"], midlands["rank"]) == (None, None)
    assert rows["ENG"]["source"] == "published"


def test_limits_stay_between_0_and_100_for_a_tiny_provider(conn):
    # England 80% (p(1 - p) = 0.16); n = 1: sigma 0.4, so 80 + 3.090232 x 40 would pass 100 and 80 - ... pass 0.
    insert(conn, "ae_monthly", [_ae("ENG", 1000, 200, level="england"), _ae("RFS", 1, 0)])
    rfs = _rows(conn, "peer_monthly", "org_code")["RFS"]
    assert (rfs["lower_998_pct"], rfs["upper_998_pct"]) == (0.0, 100.0)
    assert rfs["funnel_flag"] == "within"


def test_real_sitrep_rows_give_the_published_trust_figures_and_the_midlands_summed_from_the_file(conn):
    day = "2022-11-14"
    insert(conn, "winter_sitrep", winter_sitrep_rows(lambda r: r["date"] == day))
    rows = _rows(conn, "peer_daily", "org_code")
    # docs: RTG on 14 Nov 2022 had 1,391 G&A beds open and 1,288 occupied (92.6%), 33 delayed 30-60 and 11 over 60.
    rtg = rows["RTG"]
    assert (rtg["ga_beds_open"], rtg["ga_beds_occupied"]) == (1391, 1288)
    assert round(rtg["ga_occupancy_pct"], 1) == 92.6
    assert rtg["handover_delays_over_30"] == 33 + 11
    # The Midlands, worked from the CSV: the trusts the file places in the Midlands that day, beds summed over
    # those giving both counts.
    with SITREP_2022_23.open(newline="", encoding="utf-8") as handle:
        midlands = [r for r in csv.DictReader(handle) if r["date"] == day and r["region"] == "Midlands"]
    both = [r for r in midlands if r["ga_beds_open"] and r["ga_beds_occupied"]]
    opened, occupied = sum(int(r["ga_beds_open"]) for r in both), sum(int(r["ga_beds_occupied"]) for r in both)
    region = rows["MIDLANDS"]
    assert (region["ga_beds_open"], region["ga_beds_occupied"], region["trusts_summed"]) == (
        opened,
        occupied,
        len(midlands),
    )
    assert region["handover_delays_over_60"] == sum(int(r["handover_delays_over_60"] or 0) for r in midlands)
    # England as NHS England prints it (93,309 of 99,364), not summed.
    assert (rows["ENG"]["source"], rows["ENG"]["ga_beds_open"], rows["ENG"]["ga_beds_occupied"]) == (
        "published",
        99364,
        93309,
    )
    ranked = [r for r in rows.values() if r["org_level"] == "trust" and r["occupancy_rank"] is not None]
    assert rtg["occupancy_ranked"] == len(ranked)
    assert sorted(r["occupancy_rank"] for r in ranked)[0] == 1


def test_real_ae_rows_rank_every_provider_and_judge_derby_by_its_funnel(conn):
    insert(conn, "ae_monthly", ae_monthly_rows(lambda r: r["period"] == MONTH.isoformat()))
    rows = _rows(conn, "peer_monthly", "org_code")
    with AE_MONTHLY.open(newline="", encoding="utf-8") as handle:
        month = [r for r in csv.DictReader(handle) if r["period"] == MONTH.isoformat()]
    attendances = sum(int(r["attendances"]) for r in month)
    breaches = sum(int(r["breaches"]) for r in month)
    # No England row in this file: England is every provider summed.
    assert (rows["ENG"]["source"], rows["ENG"]["attendances"], rows["ENG"]["breaches"]) == (
        "sum of trusts",
        attendances,
        breaches,
    )
    rtg_rows = [r for r in month if r["org_code"] == "RTG"]
    n = sum(int(r["attendances"]) for r in rtg_rows)
    rtg = rows["RTG"]
    assert rtg["attendances"] == n
    assert rtg["pct_within_4h"] == pytest.approx(100 * (1 - sum(int(r["breaches"]) for r in rtg_rows) / n))
    p = 1 - breaches / attendances
    assert rtg["upper_998_pct"] == pytest.approx(100 * (p + 3.090232 * math.sqrt(p * (1 - p) / n)))
    assert rtg["funnel_flag"] in ("above", "below", "within")
    assert rtg["ranked"] == len({r["org_code"] for r in month if int(r["attendances"]) > 0})


def test_a_day_only_the_daily_collection_covers_takes_the_delays_from_its_bands(conn):
    day = date(2025, 12, 1)
    insert(
        conn,
        "ambulance_collection",
        [
            # RTG: over 30 (which includes over 60) 12, over 60 5: 12 - 5 = 7 in 30-60; 12 / 80 arrivals = 0.15.
            _row("RTG", date=day, all_handovers=80, over_30=12, over_60=5),
            # RFS: 3 over 30, none over 60; 3 / 40 = 0.075.
            _row("RFS", date=day, all_handovers=40, over_30=3, over_60=0),
        ],
    )
    rows = _rows(conn, "peer_daily", "org_code")
    rtg = rows["RTG"]
    assert (rtg["delays_from"], rtg["handover_delays_30_60"], rtg["handover_delays_over_60"]) == (
        "ambulance collection",
        7,
        5,
    )
    assert rtg["delays_over_30_per_arrival"] == pytest.approx(0.15)
    assert (rtg["ga_beds_open"], rtg["occupancy_rank"]) == (None, None)  # no sitrep: no beds
    assert [(rows[c]["per_arrival_rank"], rows[c]["per_arrival_ranked"]) for c in ("RFS", "RTG")] == [(1, 2), (2, 2)]
    # The Midlands and England (no published totals) summed: 15 over 30 of 120 arrivals = 0.125.
    for total in ("MIDLANDS", "ENG"):
        assert (rows[total]["handover_delays_over_30"], rows[total]["arrivals"]) == (15, 120)
        assert rows[total]["delays_over_30_per_arrival"] == pytest.approx(0.125)
