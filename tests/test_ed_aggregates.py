"""ED daily aggregates (domain §2.2): the same mart row as the attendances they summarise; clashes and bad counts."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import polars as pl
import pytest

from pipelines.storage.warehouse import sql
from tests.support.ingest import ingest
from tests.support.rows import dchs_row, uhdb_row
from tests.support.warehouse import Env

DAY, FILE_DAY = "2025-01-15", "20250115"
CHECK = "attendances_equal_within_plus_breaches_plus_pending"

# Royal Derby adult ED (type 1) on 15 January, every attendance closed by the 06:00 extract:
#   A1 09:00-10:00   60 min  within
#   A2 09:30-13:20  230 min  within
#   A3 10:00-14:00  240 min  within (exactly 4 hours meets the standard)
#   A4 10:00-14:01  241 min  breach
#   A5 08:00-20:30  750 min  breach, over 12 hours
# attendances 5, within 3, breaches 2, pending 0, over 12 hours 1; 100 x 3 / 5 = 60%, 100 x 1 / 5 = 20%.
STAYS = [
    ("A1", "09:00", "10:00"),
    ("A2", "09:30", "13:20"),
    ("A3", "10:00", "14:00"),
    ("A4", "10:00", "14:01"),
    ("A5", "08:00", "20:30"),
]
# The same day as a daily aggregate: 5 attendances, 2 over 4 hours, 1 over 12 hours.
SUMMARY = dchs_row("15/01/2025", "RTG01", 5, 2, 1, dept_type="1")


def _write_attendances(env: Env) -> None:
    rows = [uhdb_row(rid, f"{DAY} {a}:00", f"{DAY} {d}:00") for rid, a, d in STAYS]
    env.write_uhdb(FILE_DAY, "20250116T0600", rows)


def _mart(env: Env) -> pl.DataFrame:
    return env.query("select * from marts.ed_four_hour_daily where date = $day order by all", day=DAY)


def test_an_aggregate_day_gives_the_mart_row_of_the_attendances_it_summarises(tmp_path: Path):
    patient_level, aggregate = Env(tmp_path / "patient_level"), Env(tmp_path / "aggregate")
    _write_attendances(patient_level)
    # An earlier file's counts for Royal Derby are replaced whole by the later one (the latest file wins).
    aggregate.write_dchs(FILE_DAY, "20250116T0700", [dchs_row("15/01/2025", "RTG01", 4, 1, 0, dept_type="1")])
    # Ilkeston MIU: 40 attendances, 1 over 4 hours, none over 12.
    aggregate.write_dchs(FILE_DAY, "20250116T1100", [SUMMARY, dchs_row("15/01/2025", "RY8MI", 40, 1, 0)])
    patient_level.materialize(DAY)
    aggregate.materialize(DAY)

    [expected] = _mart(patient_level).to_dicts()
    assert expected | {"source": None} == {
        "date": expected["date"],
        "trust_code": "RTG",
        "site_code": "RTG01",
        "department_type": 1,
        "attendances": 5,
        "within_4h": 3,
        "breaches": 2,
        "pending": 0,
        "over_12h": 1,
        "pct_within_4h": pytest.approx(60.0),
        "pct_over_12h": pytest.approx(20.0),
        "source": None,
    }
    rows = {r["site_code"]: r for r in _mart(aggregate).to_dicts()}
    assert expected["source"] == "patient_level" and rows["RTG01"]["source"] == "aggregate"
    assert rows["RTG01"] | {"source": "patient_level"} == expected
    assert (rows["RY8MI"]["within_4h"], rows["RY8MI"]["breaches"], rows["RY8MI"]["pending"]) == (39, 1, 0)

    # The system sums both: 5 + 40 = 45 attendances, 3 + 39 = 42 within, 2 + 1 = 3 breaches; 100 x 42 / 45.
    [system] = aggregate.query(
        "select * from marts.ed_four_hour_system where date = $day and period = 'day' and scope = 'all_types' "
        "and level = 'system'",
        day=DAY,
    ).to_dicts()
    assert (system["attendances"], system["within_4h"], system["breaches"]) == (45, 42, 3)
    # The board's headline counts the acute trusts only (RTG, not RY8MI): 5 attendances, 3 within, 2 breaches.
    [headline] = aggregate.query(
        "select * from marts.ed_four_hour_system where date = $day and period = 'day' and scope = 'all_types' "
        "and level = 'system_headline'",
        day=DAY,
    ).to_dicts()
    assert (headline["attendances"], headline["within_4h"], headline["breaches"]) == (5, 3, 2)
    assert headline["coverage"] == "acute trusts, all types" and system["coverage"] == "all providers, all types"
    assert system["pct_within_4h"] == pytest.approx(100 * 42 / 45)


def test_a_site_sending_both_kinds_for_a_day_is_reported_and_counted_once(env: Env):
    _write_attendances(env)
    env.write_dchs(FILE_DAY, "20250116T0700", [SUMMARY])
    result = env.materialize(DAY, raise_on_error=False)

    # Patient level wins: 5 attendances, not 5 + 5.
    [row] = _mart(env).to_dicts()
    assert (row["attendances"], row["breaches"], row["source"]) == (5, 2, "patient_level")
    [check] = [c for c in result.get_asset_check_evaluations() if c.check_name == CHECK]
    # A warning, not an error: it blocks nothing, so the rollups still build from the attendances.
    assert not check.passed and check.severity == dg.AssetCheckSeverity.WARN
    message = "site RTG01 sent both attendances and a daily aggregate for 2025-01-15"
    assert "RTG01" in check.metadata["detail"].value and check.metadata["failing_days"].value == DAY
    [problem] = env.query(sql("check_ed_four_hour_daily"), first=DAY, last=DAY)["problem"].to_list()
    assert problem.startswith(message) and check.description.startswith(message)
    # Both files are named: the attendances' and the aggregate's.
    attendances = next((env.landing / "ed_attendances" / "uhdb").glob("*.csv")).name
    assert attendances in problem and "DCHS_MIU_Daily_20250115_20250116T0700.csv" in problem
    rollup = env.query(
        "select attendances from marts.ed_four_hour_rollup where date = $day and level = 'site' and org_code = 'RTG01' "
        "and period = 'day' and scope = 'all_types'",
        day=DAY,
    )
    assert rollup["attendances"].to_list() == [5]


def test_counts_that_break_the_contract_are_quarantined_with_reasons(env: Env):
    name = "DCHS_MIU_Daily_20250115_20250116T0700.csv"
    day = "15/01/2025"
    env.write_dchs(
        FILE_DAY,
        "20250116T0700",
        [
            dchs_row(day, "RY8MI", 90, 2, 0),  # row 2 (under the header): good
            dchs_row(day, "RY8MR", -3, 0, 0),  # row 3: negative attendances
            dchs_row(day, "RY8MB", 50, 51, 0),  # row 4: more over 4 hours than attendances
            dchs_row(day, "RY8MW", 50, 2, 3),  # row 5: more over 12 hours than over 4 hours
            dchs_row(day, "XXX01", 10, 0, 0),  # row 6: a site ref.sites does not know
            dchs_row(day, "RY8MI", 10, 0, 0, dept_type="7"),  # row 7: no such department type
            dchs_row("14/01/2025", "RY8MR", 10, 0, 0),  # row 8: another day in this day's file
        ],
    )
    result = ingest(env, feed="ed_daily_aggregates", other=None, day=DAY)

    assert result.counts(name)[:3] == (7, 1, 6)  # read, loaded, quarantined
    assert result.rows(source_file=name)["site_code"].to_list() == ["RY8MI"]
    assert result.reasons(name) == [
        (3, "Over 4 Hours", "over 4 hours not more than attendances"),  # 0 over 4 hours, -3 attendances
        (3, "Total Attendances", "not negative"),
        (4, "Over 4 Hours", "over 4 hours not more than attendances"),
        (5, "Over 12 Hours", "over 12 hours not more than over 4 hours"),
        (6, "Unit Code", "known site code (ref.sites)"),
        (7, "Department Type", "department type 1-4"),
        (8, "Activity Date", "date is the partition day 2025-01-15"),
    ]
