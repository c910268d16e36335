"""NHS England's daily ambulance collection loads in one piece, as published: a season's file for Derbyshire's two
trusts (252 trust-days), the 17 rows whose over 60 exceeds their over 45 counted with those two bands unknown."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pytest

from pipelines.national.load import load_publication
from pipelines.national.organisations import UNPLACED
from pipelines.storage.warehouse import ensure_schema
from schemas.canonical import RECORD_QUARANTINED, VALUE_SET_TO_UNKNOWN
from tests.support.ambulance_collection import BANDS_INVERTED, DAYS, HEADER, write_collection
from tests.support.cli import uec
from tests.support.warehouse import Env

FILE = "Ambulance-Collection-Daily-Handovers-2025-26-k3j9.csv"


@pytest.fixture(scope="module")
def loaded(tmp_path_factory) -> tuple[duckdb.DuckDBPyConnection, list, list, Path]:
    root = tmp_path_factory.mktemp("collection")
    path = root / "landing" / "national" / "ambulance_collection" / FILE
    rows = write_collection(path)
    conn = duckdb.connect(str(root / "uec.duckdb"))
    ensure_schema(conn)
    results, faults = load_publication(conn, "ambulance_collection", root / "landing")
    assert faults == []
    return conn, rows, results, path


def _table(conn, sql: str) -> list[tuple]:
    return conn.execute(sql).fetchall()


def test_every_row_loads_and_the_inverted_bands_are_counted_as_unknown(loaded):
    conn, rows, [result], _ = loaded
    assert len(rows) == 2 * DAYS == 252 and len(BANDS_INVERTED) == 17
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined, result.rows_duplicate) == (252, 252, 0, 0)
    assert result.rows_with_unknown_values == 17
    assert _table(conn, "select count(*), count(distinct (org_code, date)) from national.ambulance_collection") == [
        (252, 252)
    ]
    assert _table(conn, "select distinct org_level from national.ambulance_collection") == [("trust",)]
    ledger = _table(
        conn,
        "select file_name, rows_read, rows_loaded, rows_quarantined, rows_duplicate, rows_with_unknown_values, "
        "period_from, period_to from ops.publication_files",
    )
    assert [(*r[:6], str(r[6]), str(r[7])) for r in ledger] == [(FILE, 252, 252, 0, 0, 17, "2025-11-26", "2026-03-31")]


def test_the_17_rows_are_listed_in_quarantine_with_their_source_rows(loaded):
    conn, rows, _, _ = loaded
    inverted = {r.source_row: r for r in rows if r.inverted}
    assert len(inverted) == 17
    listed = _table(
        conn,
        "select source_row, column_name, source_column, action, value from ops.quarantine "
        "where feed = 'ambulance_collection' order by source_row, column_name",
    )
    assert listed == [
        (row, column, source, VALUE_SET_TO_UNKNOWN, str(value))
        for row, r in sorted(inverted.items())
        for column, source, value in (
            ("over_45", "Over 45 minutes", r.over_45),
            ("over_60", "Over 60 minutes", r.over_60),
        )
    ]


def test_the_rest_of_an_inverted_row_still_counts(loaded):
    conn, rows, _, _ = loaded
    stored = {
        (code, day): values
        for code, day, *values in _table(
            conn,
            "select org_code, date, all_handovers, known, unknown, over_15, over_30, over_45, over_60, total_hours, "
            "mean_minutes from national.ambulance_collection",
        )
    }
    for r in rows:
        bands = (None, None) if r.inverted else (r.over_45, r.over_60)
        expected = [r.all_handovers, r.known, r.unknown, r.over_15, r.over_30, *bands]
        assert stored[(r.org_code, r.day)][:7] == expected
        assert stored[(r.org_code, r.day)][7:] == pytest.approx([r.total_seconds / 3600, r.mean_seconds / 60])


def test_hand_worked_values_and_sums(loaded):
    conn, _, _, _ = loaded
    # RTG, day index 1 (27 Nov 2025): arrivals 150 + 7 = 157, unknown 1 % 3 = 1, known 156; over 15 156 // 2 = 78,
    # over 30 39, over 45 19, over 60 9; mean 600 + 37 + 0.5 s = 00:10:37.500000 = 10.625 min; total 156 x 637.5 s
    # = 99,450 s = 27:37:30 = 27.625 h.
    assert _table(
        conn,
        "select all_handovers, known, unknown, over_15, over_30, over_45, over_60, total_hours, mean_minutes "
        "from national.ambulance_collection where org_code = 'RTG' and date = '2025-11-27'",
    ) == [(157, 156, 1, 78, 39, 19, 9, 27.625, 10.625)]
    # Arrivals: 126 days of base + (7d mod 23). 7 is prime to 23, so every 23 days the remainders are 0..22 once
    # (sum 253): 5 whole cycles = 1,265, then d = 115..125 give 0, 7, 14, 21, 5, 12, 19, 3, 10, 17, 1 = 109;
    # 1,374 in all. RFS 126 x 60 + 1,374 = 8,934; RTG 126 x 150 + 1,374 = 20,274. Unknown: d mod 3 over 42
    # whole cycles of 0 + 1 + 2 = 126 each; known = arrivals - unknown.
    assert _table(
        conn,
        "select org_code, sum(all_handovers), sum(unknown), sum(known) from national.ambulance_collection "
        "group by org_code order by org_code",
    ) == [("RFS", 8934, 126, 8808), ("RTG", 20274, 126, 20148)]


def test_per_trust_sums_equal_the_files_read_with_the_csv_module(loaded):
    conn, _, _, path = loaded
    columns = {
        "all_handovers": "All handovers",
        "known": "Handover time known",
        "unknown": "Handover time unknown",
        "over_15": "Over 15 minutes",
        "over_30": "Over 30 minutes",
        "over_45": "Over 45 minutes",
        "over_60": "Over 60 minutes",
    }
    expected: dict[str, dict[str, int]] = {}
    hours: dict[str, float] = {}
    with path.open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            sums = expected.setdefault(row["Org Code"], dict.fromkeys(columns, 0))
            # In words: a row whose over 60 exceeds its over 45 counts neither band.
            inverted = int(row["Over 60 minutes"]) > int(row["Over 45 minutes"])
            for name, header in columns.items():
                if not (inverted and name in ("over_45", "over_60")):
                    sums[name] += int(row[header])
            h, m, s = row["Total hours"].split(":")
            hours[row["Org Code"]] = hours.get(row["Org Code"], 0.0) + int(h) + int(m) / 60 + float(s) / 3600
    sums_sql = ", ".join(f"sum({c})" for c in columns)
    got = _table(conn, f"select org_code, {sums_sql}, sum(total_hours) from national.ambulance_collection group by 1")
    assert {r[0]: dict(zip(columns, r[1:8])) for r in got} == expected
    assert {r[0]: r[8] for r in got} == pytest.approx(hours)


def test_loading_the_same_file_again_changes_nothing(loaded):
    conn, _, _, path = loaded
    results, faults = load_publication(conn, "ambulance_collection", path.parents[2])
    assert faults == [] and [r.skipped for r in results] == ["already loaded (same sha256)"]
    assert _table(conn, "select count(*) from national.ambulance_collection") == [(252,)]
    assert _table(conn, "select count(*) from ops.quarantine where feed = 'ambulance_collection'") == [(34,)]


def test_totals_are_placed_and_every_bad_row_is_accounted_for(tmp_path: Path):
    def row(period, code, name, counts, total="10:00:00", mean="00:20:00"):
        # counts: known, over 15, 30, 45, 60, unknown, all
        return [period, "MIDLANDS", code, name, *counts, total, mean]

    good = (30, 12, 6, 3, 1, 2, 32)  # 30 known + 2 unknown = 32; 10 h over 30 known = 20 minutes each
    rows = [
        row("2025-12-01", "-", "ENGLAND", (3000, 1200, 600, 300, 100, 200, 3200), "1000:00:00"),  # 2: England
        row("2025-12-01", "-", "MIDLANDS", good),  # 3: the region's total
        row("2025-12-01", "RTG", "UHDB", good, mean="n/a"),  # 4: mean unreadable: unknown, row counts
        row("2025-12-01", "RFS", "CRH", (30, 12, 6, 3, 1, 5, 32)),  # 5: 30 + 5 != 32: unknown unknown
        row("2025-12-02", "", "", good),  # 6: no organisation: quarantined whole
        row("2025-02-30", "RTG", "UHDB", good),  # 7: no such day: quarantined whole
        row("2025-12-02", "RTG", "UHDB", (30, 12, 6, -3, 1, 2, 32)),  # 8: negative over 45: unknown
    ]
    path = tmp_path / "landing" / "national" / "ambulance_collection" / "ambulance-collection-2025-12.csv"
    path.parent.mkdir(parents=True)
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([HEADER, *rows])
    conn = duckdb.connect(str(tmp_path / "uec.duckdb"))
    ensure_schema(conn)
    [result], faults = load_publication(conn, "ambulance_collection", tmp_path / "landing")
    assert faults == []
    # 7 rows in = 5 loaded + 2 quarantined; 3 of the loaded with a value set to unknown.
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined, result.rows_duplicate) == (7, 5, 2, 0)
    assert result.rows_with_unknown_values == 3
    assert _table(
        conn,
        "select org_code, org_level, date::varchar, all_handovers, unknown, over_45, total_hours, mean_minutes "
        "from national.ambulance_collection order by source_row",
    ) == [
        ("ENG", "england", "2025-12-01", 3200, 200, 300, 1000.0, 20.0),  # 1,000 h x 60 / 3,000 = 20 minutes
        ("MIDLANDS", "region", "2025-12-01", 32, 2, 3, 10.0, 20.0),
        ("RTG", "trust", "2025-12-01", 32, 2, 3, 10.0, None),
        ("RFS", "trust", "2025-12-01", 32, None, 3, 10.0, 20.0),
        ("RTG", "trust", "2025-12-02", 32, 2, None, 10.0, 20.0),
    ]
    assert _table(
        conn, "select source_row, column_name, reason, action from ops.quarantine order by source_row, column_name"
    ) == [
        (4, "mean_minutes", "not a duration HH:MM:SS", VALUE_SET_TO_UNKNOWN),
        (5, "unknown", "all handovers = known + unknown", VALUE_SET_TO_UNKNOWN),
        (6, "org_code", UNPLACED, RECORD_QUARANTINED),
        (7, "date", "unreadable date (expected %Y-%m-%d or %d/%m/%Y or %d-%b-%Y)", RECORD_QUARANTINED),
        (8, "over_45", "not negative", VALUE_SET_TO_UNKNOWN),
    ]


def test_uec_public_load_takes_the_season_in_one_piece(env: Env):
    write_collection(env.landing / "national" / "ambulance_collection" / FILE)
    run = uec(env, "public", "load", "ambulance_collection")
    assert run.returncode == 0, run.stdout + run.stderr
    assert (
        f"{FILE}: 252 read = 252 loaded + 0 quarantined + 0 duplicate; 17 with a value unknown; "
        "2025-11-26 to 2026-03-31"
    ) in run.stdout


def test_month_and_year_to_date_say_how_many_trust_days_carry_unknown_values(loaded):
    conn, *_ = loaded
    # The rollup's system rows are the trusts ref.sites lists for the system: the shipped sites, as loaded.
    sites = Path(__file__).resolve().parents[1] / "schemas" / "reference" / "sites.csv"
    conn.execute("delete from ref.sites")
    conn.execute(f"insert into ref.sites by name select * from read_csv('{sites}', all_varchar = true)")
    found = {
        (period, org): (days, unknown)
        for period, org, days, unknown in _table(
            conn,
            "select period, org_code, trust_days, trust_days_with_unknown_values "
            "from marts.ambulance_collection_rollup where date = date '2026-03-31'",
        )
    }
    # Day d is 26 Nov 2025 + d (d = 0..125). The inverted rows: RTG on d = 0, 8, ..., 120 (16 days), RFS on d = 5.
    # The NHS year began 1 April 2025, so the year to date holds all 126 days: RTG 16, RFS 1, the system 17.
    assert found[("year_to_date", "RTG")] == (126, 16)
    assert found[("year_to_date", "RFS")] == (126, 1)
    assert found[("year_to_date", "QJ2")] == (252, 17)
    # March is d = 95..125 (5 + 31 + 31 + 28 = 95): RTG's inverted days in it are 96, 104, 112, 120; RFS none.
    assert found[("month_to_date", "RTG")] == (31, 4)
    assert found[("month_to_date", "RFS")] == (31, 0)
    assert found[("month_to_date", "QJ2")] == (62, 4)
