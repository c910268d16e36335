"""domain §7.1 and 7.2 at the ingest layer: a bad value removes the value, not the record; a row sent twice counts
once; a record from just before midnight loads from the next day's file.

Each case lands one file, runs the raw asset's `ingest_partition` call (tests/support/ingest.py, which also asserts
rows read = loaded + quarantined + repeated for every file) and states the counts it expects, worked by hand.
"""

from __future__ import annotations

from datetime import datetime

import polars as pl

from tests.support.ingest import ingest
from tests.support.rows import crh_row, dhu_row, emas_row, opel_row, uhdb_row
from tests.support.warehouse import Env

UNKNOWN, RECORD = "value set to unknown", "record quarantined"


def _cells(result, name: str) -> list[tuple[int, str, str]]:
    """(source row, source column, action) for each quarantined cell."""
    return [(row, column, action) for row, column, _, action in result.actions(name)]


def test_a_bad_ed_value_is_set_to_unknown_and_the_attendance_loads(env: Env):
    name = env.write_uhdb(
        "20250115",
        "20250116T0600",
        [
            uhdb_row("V1", "2025-01-15 10:00:00", "2025-01-15 11:00:00", ACUITY="7"),  # row 2: acuity 1-5
            uhdb_row("V2", "2025-01-15 10:00:00", "2025-01-15 11:00:00", AGE_BAND="adult"),  # row 3
            uhdb_row("V3", "2025-01-15 10:00:00", "2025-01-15 11:00:00", DISCHARGE_DEST="XX"),  # row 4: unmapped
            uhdb_row("V4", "2025-01-15 10:00:00", "2025-01-15 11:00:00", DTA_DTTM="2025-01-15 09:00:00"),  # row 5
            uhdb_row("V5", "2025-01-15 10:00:00", "2025-01-15 11:00:00", ARRIVAL_MODE="9"),  # row 6: unmapped
            # An unmapped unit code: the department type is unknown, the attendance still counts (in all types).
            uhdb_row("V6", "2025-01-15 10:00:00", "2025-01-15 11:00:00", UNIT="XYZ"),  # row 7
            # Departure before arrival is the 4-hour measure itself; the bad acuity goes with the record.
            uhdb_row("R2", "2025-01-15 10:00:00", "2025-01-15 09:00:00", ACUITY="9"),  # row 8
        ],
    ).name
    result = ingest(env)
    # 7 read = 6 loaded (V1-V6, each with one value unknown) + 1 quarantined (R2) + 0 repeated.
    assert result.counts(name) == (7, 6, 1, 0, 6)
    assert _cells(result, name) == [
        (2, "ACUITY", UNKNOWN),
        (3, "AGE_BAND", UNKNOWN),
        (4, "DISCHARGE_DEST", UNKNOWN),
        (5, "DTA_DTTM", UNKNOWN),
        (6, "ARRIVAL_MODE", UNKNOWN),
        (7, "UNIT", UNKNOWN),
        (8, "ACUITY", RECORD),
        (8, "DEPARTURE_DTTM", RECORD),
    ]
    loaded = result.rows(provider_code="RTG").sort("record_id")
    columns = ["record_id", "acuity", "age_band", "disposal", "decision_to_admit_utc", "arrival_mode"]
    assert loaded.select(columns).rows() == [
        ("V1", None, "18-64", "discharged", None, "other"),
        ("V2", 3, "unknown", "discharged", None, "other"),
        ("V3", 3, "18-64", "unknown", None, "other"),
        ("V4", 3, "18-64", "discharged", None, "other"),
        ("V5", 3, "18-64", "discharged", None, "unknown"),
        ("V6", 3, "18-64", "discharged", None, "other"),
    ]
    # AED is type 1; V6's unit XYZ is in no mapping, so its type is unknown (null) and its code is kept as sent.
    types = loaded.select("record_id", "department_code", "department_type").rows()
    assert types[-1] == ("V6", "XYZ", None) and {t for _, _, t in types[:-1]} == {1}


def test_a_bad_handover_time_is_an_unknown_handover(env: Env):
    name = env.write_emas(
        "20250115",
        "20250116040000",
        [
            emas_row("G1", "15-Jan-2025 10:00:00", "15-Jan-2025 10:20:00", "15-Jan-2025 10:50:00"),  # row 2: good
            emas_row("H1", "15-Jan-2025 10:00:00", "15-Jan-2025 09:50:00"),  # row 3: handover before arrival
            emas_row("H2", "15-Jan-2025 10:00:00", "17-Jan-2025 07:00:00"),  # row 4: 45 hours later
            emas_row("H3", "15-Jan-2025 10:00:00", "15-Jan-2025 10:40:00", "15-Jan-2025 10:30:00"),  # row 5: > clear
            emas_row("H4", "15-Jan-2025 10:00:00", "15-Jan-2025 10:20:00", "16-Jan-2025 12:00:00"),  # row 6: clear 26 h
            emas_row("H5", "15-Jan-2025 10:00:00", "15-Jan-2025 10:20:00", "15-Jan-2025 09:00:00"),  # row 7: early
            emas_row("B1", "15-Jan-2025 10:00:00", "15-Jan-2025 10:20:00", hospital="NGH"),  # row 8: unknown site
            emas_row("C1", "15-Jan-2025 10:00:00", "15-Jan-2025 10:20:00", category="Cat9"),  # row 9: unmapped
        ],
    ).name
    result = ingest(env, feed="ambulance_handovers")
    # 8 read = 7 loaded (G1, H1-H5, C1; six with a value unknown) + 1 quarantined (B1: no site to count it at).
    assert result.counts(name) == (8, 7, 1, 0, 6)
    assert _cells(result, name) == [
        (3, "Handover Complete", UNKNOWN),
        (4, "Handover Complete", UNKNOWN),
        (5, "Handover Complete", UNKNOWN),
        (6, "Vehicle Clear", UNKNOWN),
        (7, "Vehicle Clear", UNKNOWN),
        (8, "Hospital", RECORD),
        (9, "Category", UNKNOWN),
    ]
    assert [reason for _, _, reason in result.reasons(name)][:5] == [
        "handover not before arrival",
        "handover within 24 hours of arrival",
        "handover not after the vehicle cleared",
        "clear within 24 hours of arrival",
        "clear not before arrival",
    ]
    times = result.loaded.sort("incident_id").select("incident_id", "handover_at", "handover_utc", "clear_at")
    at = datetime(2025, 1, 15, 10, 20), datetime(2025, 1, 15, 10, 30)
    assert times.rows() == [
        ("C1", at[0], at[0], None),
        ("G1", at[0], at[0], datetime(2025, 1, 15, 10, 50)),
        ("H1", None, None, None),
        ("H2", None, None, None),
        ("H3", None, None, at[1]),  # the clear stands: the handover is the one the brief makes unknown
        ("H4", at[0], at[0], None),
        ("H5", at[0], at[0], None),
    ]
    assert result.rows(incident_id="C1")["call_category"].item() == "unknown"


def test_a_bad_hub_value_is_unknown_and_the_case_counts(env: Env):
    name = env.write_dhu(
        "20250115",
        "202501160300",
        [
            dhu_row("K1", "EMAS C3C4", "2025-01-15T10:00:00", "2025-01-15T10:30:00", "OWN GP"),  # row 2: good
            dhu_row("K2", "EMAS C3C4", "2025-01-15T10:00:00", "2025-01-15T09:55:00", "OWN GP"),  # row 3: contact early
            dhu_row("K3", "EMAS C3C4", "2025-01-15T10:00:00", "2025-01-15T10:10:00", "XFER"),  # row 4: unmapped
            dhu_row("K4", "EMAS C3C4", "2025-01-15T10:00:00", "2025-01-15T10:10:00", "AMB DISPATCH"),  # row 5: N
            dhu_row("K5", "ZZZ", "2025-01-15T10:00:00", "2025-01-15T10:10:00", "ED"),  # row 6: unmapped source
            dhu_row("K6", "EMAS C3C4", "2025-01-15T09:00:00", "2025-01-15T09:10:00", "OWN GP", automated="2"),  # row 7
            dhu_row("", "EMAS C3C4", "2025-01-15T10:00:00", "2025-01-15T10:10:00", "OWN GP"),  # row 8: no id
        ],
    ).name
    result = ingest(env, feed="cnh_cases")
    # 7 read = 6 loaded (K1-K6; five with a value unknown) + 1 quarantined (row 8 cannot be identified).
    assert result.counts(name) == (7, 6, 1, 0, 5)
    assert _cells(result, name) == [
        (3, "FirstClinicalContact", UNKNOWN),
        (4, "Outcome", UNKNOWN),
        (5, "AmbDispatched", UNKNOWN),
        (6, "Source", UNKNOWN),  # referral source
        (6, "Source", UNKNOWN),  # call before convey, read from the same column
        (7, "Automated", UNKNOWN),
        (8, "CaseRef", RECORD),
    ]
    cases = result.loaded.sort("case_id").select(
        "case_id",
        "referral_source",
        "call_before_convey",
        "first_contact_utc",
        "outcome",
        "ambulance_dispatched",
        "automated",
    )
    contact = datetime(2025, 1, 15, 10, 10)
    assert cases.rows() == [
        ("K1", "emas_cat34", False, datetime(2025, 1, 15, 10, 30), "own_gp", False, False),
        ("K2", "emas_cat34", False, None, "own_gp", False, False),
        ("K3", "emas_cat34", False, contact, "unknown", False, False),
        ("K4", "emas_cat34", False, contact, "ambulance_dispatched", None, False),
        ("K5", "unknown", None, contact, "ed", False, False),
        ("K6", "emas_cat34", False, datetime(2025, 1, 15, 9, 10), "own_gp", False, None),
    ]


def test_an_opel_parameter_out_of_range_is_unknown_and_the_level_stands(env: Env):
    name = env.write_opel(
        "20250115",
        "202501151200",
        [
            opel_row("RTG", "15/01/2025", "15/01/2025 09:00:00", 3, **{"Escalation Beds %": "130", "NCTR %": "14"}),
            opel_row("RFS", "15/01/2025", "15/01/2025 09:00:00", 5),  # no OPEL 5: a submission is its level
        ],
    ).name
    result = ingest(env, feed="opel_submissions")
    assert result.counts(name) == (2, 1, 1, 0, 1)  # 2 read = RTG loaded (one value unknown) + RFS quarantined
    assert _cells(result, name) == [(2, "Escalation Beds %", UNKNOWN), (3, "OPEL Level", RECORD)]
    rtg = result.rows(org_code="RTG").select("declared_level", "escalation_beds_pct", "no_criteria_to_reside_pct")
    assert rtg.rows() == [(3, None, 14.0)]


def test_rows_sent_twice_in_one_file_count_once_in_every_feed(env: Env):
    emas = env.write_emas(
        "20250115",
        "20250116040000",
        [emas_row("E1", "15-Jan-2025 10:00:00", "15-Jan-2025 10:20:00")] * 2
        + [emas_row("E2", "15-Jan-2025 11:00:00", "15-Jan-2025 11:20:00")],
    ).name
    dhu = env.write_dhu(
        "20250115",
        "202501160300",
        [dhu_row("D1", "EMAS C3C4", "2025-01-15T10:00:00", "2025-01-15T10:10:00", "OWN GP")] * 3,
    ).name
    handovers, hub = ingest(env, feed="ambulance_handovers"), ingest(env, feed="cnh_cases")
    assert handovers.counts(emas) == (3, 2, 0, 1, 0)  # 3 read = 2 loaded + 1 repeated (row 3 = row 2)
    assert hub.counts(dhu) == (3, 1, 0, 2, 0)  # 3 read = 1 loaded + 2 repeated (rows 3 and 4 = row 2)
    assert hub.duplicate_rows.select("source_row", "duplicate_of_row").sort("source_row").rows() == [(3, 2), (4, 2)]
    assert hub.quarantined.height == 0 and hub.loaded.height == 1


def test_a_record_from_before_midnight_loads_from_the_next_days_file(env: Env):
    # CRH's file for 11 February holds an attendance that arrived at 23:40 on the 10th (docs/domain.md §7.1).
    name = env.write_crh(
        "2025-02-11",
        "202502120530",
        [
            crh_row("M1", "10/02/2025 23:40", "11/02/2025 01:10"),  # row 2: the day before: loads
            crh_row("M2", "09/02/2025 23:40", "10/02/2025 01:10"),  # row 3: two days before: quarantined
            crh_row("M3", "11/02/2025 09:00", "11/02/2025 10:00"),  # row 4
        ],
    ).name
    result = ingest(env, other="uhdb", day="2025-02-11")
    assert result.counts(name) == (3, 2, 1, 0, 0)
    reason = "arrival on the partition day 2025-02-11 or the day before"
    assert result.reasons(name) == [(3, "Arrival Date Time", reason)]
    # The file's day stays its partition; the marts count the record on its own arrival day.
    m1 = result.rows(record_id="M1").select("partition_date", "arrival_at").row(0)
    assert m1 == (datetime(2025, 2, 11).date(), datetime(2025, 2, 10, 23, 40))


def test_a_hub_case_received_before_midnight_loads_from_the_next_days_file(env: Env):
    name = env.write_dhu(
        "20250115",
        "202501160300",
        [
            dhu_row("N1", "EMAS C3C4", "2025-01-14T23:50:00", "2025-01-15T00:05:00", "OWN GP"),  # row 2
            dhu_row("N2", "EMAS C3C4", "2025-01-13T23:50:00", "2025-01-14T00:05:00", "OWN GP"),  # row 3
        ],
    ).name
    result = ingest(env, feed="cnh_cases")
    assert result.counts(name) == (2, 1, 1, 0, 0)
    assert result.reasons(name) == [(3, "Received", "received on the partition day 2025-01-15 or the day before")]
    assert result.loaded.filter(pl.col("case_id") == "N1").height == 1
