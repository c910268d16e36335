"""NHS England's monthly A&E return: the real 2016-2019 figures load in full with per-provider sums as the file's,
and a file in NHS England's own wide layout gives the same rows as the same facts in the tidy layout."""

from __future__ import annotations

import csv
import shutil
from datetime import date
from pathlib import Path

import duckdb
import pytest

from pipelines.national.load import load_publication
from pipelines.storage.warehouse import ensure_schema
from tests.support.reference import AE_MONTHLY

COUNTS = ("attendances", "breaches", "admissions")


def _load(root: Path) -> tuple[duckdb.DuckDBPyConnection, list]:
    conn = duckdb.connect(str(root / "uec.duckdb"))
    ensure_schema(conn)
    results, faults = load_publication(conn, "ae_monthly", root / "landing")
    assert faults == []
    return conn, results


def _landing(root: Path) -> Path:
    folder = root / "landing" / "national" / "ae_monthly"
    folder.mkdir(parents=True)
    return folder


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> tuple[duckdb.DuckDBPyConnection, list]:
    root = tmp_path_factory.mktemp("ae_reference")
    shutil.copy(AE_MONTHLY, _landing(root) / AE_MONTHLY.name)
    return _load(root)


def test_the_real_return_loads_in_full(reference):
    conn, [result] = reference
    # 12,765 rows (shared/reference/README.md), every one a provider, month and type of its own.
    assert result.rows_read == 12765
    assert result.rows_read == result.rows_loaded + result.rows_quarantined + result.rows_duplicate
    assert (result.rows_loaded, result.rows_quarantined, result.rows_duplicate) == (12765, 0, 0)
    assert conn.execute("select count(*) from national.ae_monthly").fetchone() == (12765,)
    assert conn.execute("select min(period), max(period) from national.ae_monthly").fetchone() == (
        date(2016, 4, 1),
        date(2019, 3, 1),
    )


def test_per_provider_sums_equal_the_files_read_with_the_csv_module(reference):
    conn, _ = reference
    expected: dict[tuple[str, str], list[int]] = {}
    with AE_MONTHLY.open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            sums = expected.setdefault((row["org_code"], row["type"]), [0, 0, 0, 0])
            sums[0] += 1
            for i, name in enumerate(COUNTS, start=1):
                sums[i] += int(row[name])
    got = conn.execute(
        "select org_code, department_type, count(*), sum(attendances), sum(breaches), sum(admissions) "
        "from national.ae_monthly group by 1, 2"
    ).fetchall()
    assert {(code, kind): list(values) for code, kind, *values in got} == expected
    # Derby's type 1 department, March 2017, as published: 11,780 attendances, 1,773 over 4 hours, 3,745 admitted.
    assert conn.execute(
        "select attendances, breaches, admissions, org_level from national.ae_monthly "
        "where org_code = 'RTG' and period = '2017-03-01' and department_type = '1'"
    ).fetchone() == (11780, 1773, 3745, "trust")


# March 2017 as the tidy reference file has it (RJF, RFS, RTG) ...
TIDY = """period,org_code,type,attendances,breaches,admissions
2017-03-01,RJF,1,5360,272,1870
2017-03-01,RJF,other,4580,0,5
2017-03-01,RFS,1,6889,631,1996
2017-03-01,RTG,1,11780,1773,3745
2017-03-01,RTG,other,4466,0,50
"""
# ... and the same facts as NHS England prints them: one row per provider, the types side by side, 0 under a type
# the provider has no department of (RFS has only type 1), capitals in the month, the region as its parent org.
WIDE_HEADER = [
    "Period",
    "Org Code",
    "Parent Org",
    "Org name",
    "A&E attendances Type 1",
    "A&E attendances Type 2",
    "A&E attendances Other A&E Department",
    "Attendances over 4hrs Type 1",
    "Attendances over 4hrs Type 2",
    "Attendances over 4hrs Other Department",
    "Patients who have waited 4-12 hs from DTA to admission",
    "Patients who have waited 12+ hrs from DTA to admission",
    "Emergency admissions via A&E - Type 1",
    "Emergency admissions via A&E - Type 2",
    "Emergency admissions via A&E - Other A&E department",
    "Other emergency admissions",
]
WIDE_ROWS = [
    ["MSitAE-MARCH-2017", "RJF", "NHS ENGLAND MIDLANDS AND EAST", "BURTON HOSPITALS NHS FOUNDATION TRUST",
     5360, 0, 4580, 272, 0, 0, 120, 0, 1870, 0, 5, 900],
    ["MSitAE-MARCH-2017", "RFS", "NHS ENGLAND MIDLANDS AND EAST", "CHESTERFIELD ROYAL HOSPITAL NHS FOUNDATION TRUST",
     6889, 0, 0, 631, 0, 0, 300, 2, 1996, 0, 0, 800],
    ["MSitAE-MARCH-2017", "RTG", "NHS ENGLAND MIDLANDS AND EAST", "DERBY TEACHING HOSPITALS NHS FOUNDATION TRUST",
     11780, 0, 4466, 1773, 0, 0, 500, 10, 3745, 0, 50, 1500],
    # NHS England's own total, marked TOTAL and with no month: here the three providers' sums.
    ["TOTAL", "TOTAL", "TOTAL", "TOTAL", 24029, 0, 9046, 2676, 0, 0, 920, 12, 7611, 0, 55, 3200],
]  # fmt: skip


def test_nhs_englands_wide_layout_gives_the_same_rows_as_the_tidy_one(tmp_path: Path):
    (_landing(tmp_path / "tidy") / "ae_attendances_monthly_2017_03.csv").write_text(TIDY, encoding="utf-8")
    with (_landing(tmp_path / "wide") / "Monthly-AE-March-2017.csv").open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([WIDE_HEADER, *WIDE_ROWS])
    rows = "select org_code, org_level, period, department_type, attendances, breaches, admissions from "
    tidy_conn, [tidy] = _load(tmp_path / "tidy")
    wide_conn, [wide] = _load(tmp_path / "wide")
    # 4 published rows x 3 types, less the types with nothing (RJF 2, RFS 2 and other, RTG 2, TOTAL 2) = 7 rows:
    # the tidy file's 5 and England's 2.
    assert (tidy.rows_read, tidy.rows_loaded, tidy.rows_quarantined) == (5, 5, 0)
    assert (wide.rows_read, wide.rows_loaded, wide.rows_quarantined) == (7, 7, 0)
    ordered = " national.ae_monthly where org_code <> 'ENG' order by org_code, department_type"
    assert wide_conn.execute(rows + ordered).fetchall() == tidy_conn.execute(rows + ordered).fetchall()
    # England for March 2017: type 1 5,360 + 6,889 + 11,780 = 24,029 attendances, 272 + 631 + 1,773 = 2,676 over
    # 4 hours, 1,870 + 1,996 + 3,745 = 7,611 admitted; other 4,580 + 4,466 = 9,046, none over, 5 + 50 = 55 admitted.
    england = " national.ae_monthly where org_code = 'ENG' order by department_type"
    assert wide_conn.execute(rows + england).fetchall() == [
        ("ENG", "england", date(2017, 3, 1), "1", 24029, 2676, 7611),
        ("ENG", "england", date(2017, 3, 1), "other", 9046, 0, 55),
    ]
    # What only the wide file says: the name and region as published, and each row's line in the file.
    assert wide_conn.execute(
        "select org_code, department_type, org_name, source_row from national.ae_monthly "
        "where org_code <> 'ENG' order by all"
    ).fetchall() == [
        ("RFS", "1", "CHESTERFIELD ROYAL HOSPITAL NHS FOUNDATION TRUST", 3),
        ("RJF", "1", "BURTON HOSPITALS NHS FOUNDATION TRUST", 2),
        ("RJF", "other", "BURTON HOSPITALS NHS FOUNDATION TRUST", 2),
        ("RTG", "1", "DERBY TEACHING HOSPITALS NHS FOUNDATION TRUST", 4),
        ("RTG", "other", "DERBY TEACHING HOSPITALS NHS FOUNDATION TRUST", 4),
    ]


def test_breaches_above_attendances_are_unknown_and_the_row_counts(tmp_path: Path):
    text = TIDY.replace("2017-03-01,RFS,1,6889,631,1996", "2017-03-01,RFS,1,6889,6890,1996")
    (_landing(tmp_path) / "ae_attendances_monthly_bad.csv").write_text(text, encoding="utf-8")
    conn, [result] = _load(tmp_path)
    assert (result.rows_loaded, result.rows_with_unknown_values, result.rows_quarantined) == (5, 1, 0)
    assert conn.execute(
        "select attendances, breaches, admissions from national.ae_monthly where org_code = 'RFS'"
    ).fetchone() == (6889, None, 1996)
    assert conn.execute("select source_row, column_name, action, value from ops.quarantine").fetchall() == [
        (4, "breaches", "value set to unknown", "6890")
    ]
