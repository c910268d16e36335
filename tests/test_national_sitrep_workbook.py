"""The winter sitrep read from the timeseries workbooks as NHS England publishes them, built from the real rows."""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

import duckdb
import pytest

from pipelines.national.load import load_publication
from pipelines.storage.warehouse import ensure_schema
from tests.support.reference import WINTER_SITREP
from tests.support.sitrep_workbook import AMBULANCE_SHEETS, MAIN_SHEETS, read_rows, write_workbook
from tests.support.winter_sitrep import COUNTS, expected

WINTER = WINTER_SITREP / "winter_sitrep_2022_23.csv"  # the winter with regions
MAIN = "UEC_Daily_SitRep_Timeseries_2022_23.xlsx"
AMBULANCE = "UEC_Daily_SitRep_Ambulance_Timeseries_2022_23.xlsx"
REGIONS = 7
DAYS = 119  # 14 Nov 2022 to 12 Mar 2023


@pytest.fixture(scope="module")
def workbooks(tmp_path_factory) -> tuple[duckdb.DuckDBPyConnection, dict[str, int]]:
    root = tmp_path_factory.mktemp("sitrep_workbook")
    folder = root / "landing" / "national" / "winter_sitrep"
    folder.mkdir(parents=True)
    rows = read_rows(WINTER)
    where = write_workbook(folder / MAIN, rows, MAIN_SHEETS)
    write_workbook(folder / AMBULANCE, rows, AMBULANCE_SHEETS)
    conn = duckdb.connect(str(root / "uec.duckdb"))
    ensure_schema(conn)
    results, faults = load_publication(conn, "winter_sitrep", root / "landing")
    assert faults == []
    assert sorted(r.file_name for r in results) == [AMBULANCE, MAIN]
    return conn, where


@pytest.mark.parametrize("workbook", [MAIN, AMBULANCE])
def test_every_row_is_accounted_for(workbooks, workbook):
    conn, _ = workbooks
    want = expected(WINTER)
    got = conn.execute(
        "select rows_read, rows_loaded, rows_quarantined, rows_duplicate from ops.publication_files "
        "where file_name = ?",
        [workbook],
    ).fetchone()
    # Each trust-day of the long form is one organisation's block of one day; the seven regions' totals are added.
    regions = REGIONS * DAYS
    assert got == (want.rows_read + regions, want.rows_loaded + regions, want.rows_quarantined, want.rows_duplicate)


def test_sums_per_trust_equal_the_csv(workbooks):
    conn, _ = workbooks
    sums = ", ".join(f"sum({c})" for c in COUNTS)
    rows = conn.execute(
        f"select org_code, {sums} from national.winter_sitrep where org_level <> 'region' group by org_code"
    ).fetchall()
    got = {code: {c: v for c, v in zip(COUNTS, values) if v is not None} for code, *values in rows}
    got = {code: columns for code, columns in got.items() if columns}
    assert got == {code: dict(columns) for code, columns in expected(WINTER).sums.items()}


def test_region_rows_are_the_regions_totals(workbooks):
    conn, _ = workbooks
    with WINTER.open(encoding="utf-8", newline="") as handle:
        midlands = [r for r in csv.DictReader(handle) if r["region"] == "Midlands" and r["date"] == "2022-11-14"]
    by_trust: dict[str, int] = defaultdict(int)
    for row in midlands:  # RTG's 1,391 and every other Midlands trust that published its beds that day
        if row["ga_beds_open"]:
            by_trust[row["org_code"]] = int(row["ga_beds_open"])
    assert by_trust["RTG"] == 1391 and len(by_trust) > 10
    row = conn.execute(
        "select org_level, region, ga_beds_open from national.winter_sitrep "
        "where org_code = 'MIDLANDS' and date = '2022-11-14'"
    ).fetchone()
    assert row == ("region", "Midlands", sum(by_trust.values()))


def test_rows_keep_the_sheet_and_row_they_were_read_from(workbooks):
    conn, where = workbooks
    row = conn.execute(
        "select source_file, source_sheet, source_row, ga_beds_open, ga_beds_occupied, handover_delays_30_60, "
        "handover_delays_over_60 from national.winter_sitrep where org_code = 'RTG' and date = '2022-11-14'"
    ).fetchone()
    # The ambulance workbook filled the delays; the main workbook (read after it, by name) the beds and the source.
    assert row == (MAIN, "Adult G&A beds", where["RTG"], 1391, 1288, 33, 11)


def test_a_value_fault_names_the_sheet_and_column(workbooks):
    conn, _ = workbooks
    fault = conn.execute(
        "select source_column, reason, action from ops.quarantine where file_name = ? "
        "and column_name = 'beds_long_stay_over_21_days' limit 1",
        [MAIN],
    ).fetchone()
    assert fault == (
        "Beds Occ by long stay patients: Occupied by patients in hospital over 21 days",
        "stays over 21 days not more than over 7 days",
        "value set to unknown",
    )


def test_a_workbook_without_a_required_sheet_is_refused_naming_it(tmp_path: Path):
    folder = tmp_path / "national" / "winter_sitrep"
    folder.mkdir(parents=True)
    rows = read_rows(WINTER)[:50]
    sheets = {k: v for k, v in MAIN_SHEETS.items() if k != "Adult G&A beds"}
    write_workbook(folder / MAIN, rows, sheets)
    conn = duckdb.connect(str(tmp_path / "uec.duckdb"))
    ensure_schema(conn)
    results, faults = load_publication(conn, "winter_sitrep", tmp_path)
    assert results == []
    assert len(faults) == 1
    assert faults[0].startswith(f"publication winter_sitrep, file {MAIN}: sheet 'Adult G&A beds' missing")


@pytest.mark.parametrize("season", ["2017_18", "2020_21"])
def test_winters_without_regions_read_back_to_the_same_sums(tmp_path: Path, season: str):
    # 2017-18: no region column, a norovirus sheet, no flu sheet (not collected that winter), England as 'ENGLAND'.
    # 2020-21: England twice (all and type 1 trusts), and its last week published twice (1,001 trust-days on two
    # rows each, most of them with different figures).
    winter = WINTER_SITREP / f"winter_sitrep_{season}.csv"
    folder = tmp_path / "national" / "winter_sitrep"
    folder.mkdir(parents=True)
    rows = read_rows(winter)
    write_workbook(folder / f"UEC_Daily_SitRep_Timeseries_{season}.xlsx", rows, MAIN_SHEETS)
    write_workbook(folder / f"UEC_Daily_SitRep_Ambulance_Timeseries_{season}.xlsx", rows, AMBULANCE_SHEETS)
    conn = duckdb.connect(str(tmp_path / "uec.duckdb"))
    ensure_schema(conn)
    results, faults = load_publication(conn, "winter_sitrep", tmp_path)
    assert faults == []
    # Each workbook's rows are judged on the figures it publishes: the ambulance workbook's two copies of a
    # trust-day are one report when their delays agree, whatever the main workbook's copies say about beds.
    by_file = {
        f"UEC_Daily_SitRep_Timeseries_{season}.xlsx": expected(winter, figures_of(MAIN_SHEETS)),
        f"UEC_Daily_SitRep_Ambulance_Timeseries_{season}.xlsx": expected(winter, figures_of(AMBULANCE_SHEETS)),
    }
    for result in results:
        want = by_file[result.file_name]
        counts = (result.rows_read, result.rows_loaded, result.rows_quarantined, result.rows_duplicate)
        assert counts == (want.rows_read, want.rows_loaded, want.rows_quarantined, want.rows_duplicate)
    sums = ", ".join(f"sum({c})" for c in COUNTS)
    found = conn.execute(f"select org_code, {sums} from national.winter_sitrep group by org_code").fetchall()
    got = {code: {c: v for c, v in zip(COUNTS, values) if v is not None} for code, *values in found}
    want_sums: dict[str, dict[str, int]] = defaultdict(dict)
    for want in by_file.values():
        for code, columns in want.sums.items():
            want_sums[code] |= columns
    assert {code: columns for code, columns in got.items() if columns} == dict(want_sums)


def figures_of(sheets: dict[str, list[tuple[str, str]]]) -> tuple[str, ...]:
    return tuple(figure for columns in sheets.values() for _, figure in columns)
