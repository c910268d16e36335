"""Bad rows go to quarantine with feed, provider, file, row, column and reason; nothing is lost."""

from __future__ import annotations

import dagster as dg

from tests.support.rows import crh_row, uhdb_row
from tests.support.warehouse import Env

TABLES = ["raw.ed_attendances", "ops.source_files", "ops.quarantine", "marts.ed_four_hour_daily"]


def _bad_file(env: Env):
    return env.write_uhdb(
        "20250115",
        "20250116T0600",
        [
            uhdb_row("G1", "2025-01-15 10:00:00", "2025-01-15 11:00:00"),  # good           (file row 2)
            uhdb_row("B1", "2025-01-15 10:00:00", "2025-01-15 09:00:00"),  # departs first  (row 3)
            uhdb_row("U1", "2025-01-15 10:00:00", "2025-01-15 11:00:00", UNIT="XYZ"),  # unmapped unit (row 4)
            uhdb_row("B3", "2025-01-13 23:50:00", "2025-01-14 01:00:00"),  # 2 days before  (row 5)
            uhdb_row("B4", "15th Jan 10am", "2025-01-15 11:00:00"),  # unreadable      (row 6)
            uhdb_row("D1", "2025-01-15 12:00:00", "2025-01-15 13:00:00"),  # duplicate id   (row 7)
            uhdb_row("D1", "2025-01-15 12:05:00", "2025-01-15 13:00:00"),  # duplicate id   (row 8)
            uhdb_row("G2", "2025-01-15 15:00:00", "2025-01-15 16:00:00", NHS_NUMBER="9990000018"),  # valid  (row 9)
            uhdb_row(
                "B5", "2025-01-15 15:00:00", "2025-01-15 16:00:00", NHS_NUMBER="9990000019"
            ),  # bad check digit: loads, its patient key unknown (row 10)
        ],
    )


def test_rows_in_equal_loaded_plus_quarantined(env: Env):
    path = _bad_file(env)
    result = env.materialize("2025-01-15")
    files = env.query("select * from ops.source_files").row(0, named=True)
    # 9 rows read = 4 loaded (G1, G2, U1, B5) + 5 quarantined (B1, B3, B4 and both copies of D1); B5 loads without
    # its patient key and U1 without its department type (neither identifies nor places an attendance, domain §7.2).
    counts = ("rows_read", "rows_loaded", "rows_quarantined", "rows_duplicate", "rows_with_unknown_values")
    assert tuple(files[c] for c in counts) == (9, 4, 5, 0, 2)
    assert env.query("select count(*) from raw.ed_attendances").item() == 4
    by_action = env.query("select action, count(distinct source_row) from ops.quarantine group by 1 order by 1")
    assert by_action.rows() == [("record quarantined", 5), ("value set to unknown", 2)]
    assert files["file_name"] == path.name and len(files["sha256"]) == 64

    reasons = {
        (r["source_row"], r["column_name"], r["source_column"]): r
        for r in env.query("select * from ops.quarantine").iter_rows(named=True)
    }
    assert "not before arrival" in reasons[(3, "departure_utc", "DEPARTURE_DTTM")]["reason"]
    unmapped = reasons[(4, "department_type", "UNIT")]
    assert "code not in the mapping" in unmapped["reason"] and unmapped["value"] == "XYZ"
    assert unmapped["action"] == "value set to unknown"
    assert "partition day 2025-01-15 or the day before" in reasons[(5, "arrival_utc", "ARRIVAL_DTTM")]["reason"]
    unreadable = reasons[(6, "arrival_at", "ARRIVAL_DTTM")]
    assert "unreadable date-time" in unreadable["reason"] and unreadable["value"] == "15th Jan 10am"
    # Only the precise reason: not also "value missing" on the arrival_utc derived from it.
    assert [key for key in reasons if key[0] == 6] == [(6, "arrival_at", "ARRIVAL_DTTM")]
    assert "duplicate" in reasons[(7, "record_id", "ATTENDANCE_ID")]["reason"]
    assert "duplicate" in reasons[(8, "record_id", "ATTENDANCE_ID")]["reason"]
    nhs = reasons[(10, "nhs_number", "NHS_NUMBER")]
    assert "modulus 11" in nhs["reason"] and nhs["value"] == "<redacted>"
    assert nhs["action"] == "value set to unknown"
    assert env.query("select patient_key from raw.ed_attendances where record_id = 'B5'").item() is None
    assert all(
        r["feed"] == "ed_attendances" and r["provider_code"] == "RTG" and r["file_name"] == path.name
        for r in reasons.values()
    )

    check = result.get_asset_check_evaluations()
    accounted = [c for c in check if c.check_name == "rows_in_equal_loaded_plus_quarantined"]
    assert accounted and accounted[0].passed


def test_no_identifier_in_clear_anywhere(env: Env):
    _bad_file(env)
    env.materialize("2025-01-15")
    # The valid number is stored only as a keyed hash; neither number appears in any table.
    dump = " ".join(str(row) for table in TABLES for row in env.query(f"select * from {table}").rows())
    assert "9990000018" not in dump and "9990000019" not in dump
    keys = env.query("select patient_key from raw.ed_attendances where record_id = 'G2'").item()
    assert len(keys) == 64


def _check(result: dg.ExecuteInProcessResult, name: str, asset: str = "ed_attendances") -> dg.AssetCheckEvaluation:
    key = dg.AssetKey(["raw", asset])
    return next(e for e in result.get_asset_check_evaluations() if e.check_name == name and e.asset_key == key)


def test_missing_column_rejects_the_file_with_a_named_error(env: Env):
    path = env.write_uhdb("20250115", "20250116T0600", [uhdb_row("G1", "2025-01-15 10:00:00")])
    text = path.read_text(encoding="utf-8-sig").replace("ARRIVAL_DTTM", "ARRIVAL_TIME")
    path.write_text(text, encoding="utf-8")
    result = env.materialize("2025-01-15")
    check = _check(result, "every_landed_file_readable")
    assert not check.passed and check.severity == dg.AssetCheckSeverity.ERROR
    assert check.metadata["providers_failed"].value == "RTG"
    rejected = env.query("select feed, provider_code, file_name, reason from ops.rejected_files").rows()
    assert len(rejected) == 1
    feed, provider, name, reason = rejected[0]
    assert (feed, provider, name) == ("ed_attendances", "RTG", path.name)
    assert "missing required columns ['ARRIVAL_DTTM']" in reason and "unexpected columns ['ARRIVAL_TIME']" in reason
    assert env.query("select count(*) from raw.ed_attendances").item() == 0


def test_wrong_delimiter_says_so(env: Env):
    path = env.write_uhdb("20250115", "20250116T0600", [uhdb_row("G1", "2025-01-15 10:00:00")])
    path.write_text(path.read_text(encoding="utf-8-sig").replace(",", ";"), encoding="utf-8")
    result = env.materialize("2025-01-15")
    assert "is the delimiter right" in _check(result, "every_landed_file_readable").description
    # The rejected file wrote nothing.
    assert env.query("select count(*) from raw.ed_attendances").item() == 0


def test_one_providers_bad_file_leaves_the_others_loaded_and_its_previous_day_intact(env: Env):
    env.write_uhdb("20250115", "20250116T0600", [uhdb_row("G1", "2025-01-15 10:00:00", "2025-01-15 12:00:00")])
    env.materialize("2025-01-15")
    # A broken UHDB correction arrives beside CRH's first file for the day.
    env.write_uhdb("20250115", "20250116T0900", [uhdb_row("G1", "2025-01-15 10:00:00", "2025-01-15 15:00:00")])
    broken = env.landing / "ed_attendances" / "uhdb" / "UHDB_ED_20250115_20250116T0900.csv"
    broken.write_bytes(b"")
    env.write_crh(
        "2025-01-15",
        "202501160700",
        [crh_row("C1", "15/01/2025 09:00", "15/01/2025 10:30"), crh_row("C2", "15/01/2025 11:00", "15/01/2025 16:00")],
    )
    result = env.materialize("2025-01-15")
    assert result.success  # the run finishes; the failure is the check, naming the provider
    check = _check(result, "every_landed_file_readable")
    assert not check.passed and check.metadata["providers_failed"].value == "RTG"
    assert "RTG UHDB_ED_20250115_20250116T0900.csv (" in check.description and "empty" in check.description
    # CRH loaded and reached the mart: 2 attendances, 1 within 4 hours (90 minutes; the other 5 hours).
    crh = env.query("select attendances, within_4h from marts.ed_four_hour_daily where site_code = 'RFSDA'").rows()
    assert crh == [(2, 1)]
    # UHDB's previous version stands: G1 still departs at 12:00, inside 4 hours.
    uhdb = env.query("select attendances, within_4h from marts.ed_four_hour_daily where site_code = 'RTG01'").rows()
    assert uhdb == [(1, 1)]
    assert env.query("select count(*) from ops.source_files where provider_code = 'RTG'").item() == 1
    # Removing the broken file and re-running clears the rejection.
    broken.unlink()
    result = env.materialize("2025-01-15")
    assert _check(result, "every_landed_file_readable").passed
    assert env.query("select count(*) from ops.rejected_files").item() == 0


def test_rematerialising_a_partition_leaves_identical_tables(env: Env):
    _bad_file(env)
    env.write_uhdb("20250115", "20250117T0600", [uhdb_row("G1", "2025-01-15 10:00:00", "2025-01-15 12:00:00")])
    env.materialize("2025-01-15")
    first = {t: env.query(f"select * from {t} order by all") for t in TABLES}
    env.materialize("2025-01-15")
    second = {t: env.query(f"select * from {t} order by all") for t in TABLES}
    for table in TABLES:
        assert first[table].height > 0, table
        assert first[table].equals(second[table]), table


def test_a_days_files_checked_together_judge_uniqueness_per_file(env: Env):
    # Both trusts number their attendances from A1, and UHDB re-sends A1 later in the day: none of these
    # is a duplicate. Only UHDB's second file repeating A2 within itself is.
    env.write_uhdb(
        "20250115", "20250116T0600", [uhdb_row("A1", "2025-01-15 10:00:00"), uhdb_row("A2", "2025-01-15 11:00:00")]
    )
    env.write_uhdb(
        "20250115",
        "20250116T0900",
        [
            uhdb_row("A1", "2025-01-15 10:00:00", "2025-01-15 12:00:00"),
            uhdb_row("A2", "2025-01-15 11:00:00", "2025-01-15 12:00:00"),
            uhdb_row("A2", "2025-01-15 11:00:00", "2025-01-15 12:30:00"),
        ],
    )
    env.write_crh("2025-01-15", "202501160530", [crh_row("A1", "15/01/2025 09:00", "15/01/2025 10:00")])
    env.materialize("2025-01-15")
    quarantined = env.query("select file_name, source_row, reason from ops.quarantine order by source_row").rows()
    assert quarantined == [
        ("UHDB_ED_20250115_20250116T0900.csv", 3, "duplicate: the same id appears more than once in this file"),
        ("UHDB_ED_20250115_20250116T0900.csv", 4, "duplicate: the same id appears more than once in this file"),
    ]
    # Rows read 2 + 3 + 1 = 6 = loaded 4 + quarantined 2.
    assert env.query("select sum(rows_read), sum(rows_loaded), sum(rows_quarantined) from ops.source_files").row(0) == (
        6,
        4,
        2,
    )
