"""The bad-input catalogue (docs/bad-inputs.md): one test per entry, asserting what the user sees and the row counts.

Most entries are tested at the ingest layer: `ingest` makes the same `ingest_partition` call the raw asset makes and
asserts on the frames it would write, which answers in milliseconds what a Dagster run answers in half a second.
Only the entries whose evidence is the run log, a check evaluation or the warehouse itself start a Dagster run
(`_run`). Either way every case lands a good file from the other ED provider beside the bad one and asserts that
provider still loaded, and that for every file rows read = rows loaded + rows quarantined + rows repeated exactly.
"""

from __future__ import annotations

import io
import re
import shutil
from datetime import datetime, timedelta

import dagster as dg
import polars as pl
import pytest
import xlsxwriter

from schemas.registry import load_feed_configs, load_feed_layouts
from tests.support.ingest import OTHER_PROVIDER, ingest, land_other
from tests.support.rows import CRH_COLUMNS, OPEL_COLUMNS, UHDB_COLUMNS, crh_row, opel_row, uhdb_row
from tests.support.warehouse import Env

DAY = "2025-01-15"
RAW_ED = dg.AssetSelection.assets(["raw", "ed_attendances"]).upstream()
# --- end to end: a Dagster run, for what only the run log, a check or the warehouse shows --------------------


class Run:
    """A finished run: its result, and what the user sees in its log."""

    def __init__(self, result: dg.ExecuteInProcessResult, instance: dg.DagsterInstance):
        self.result = result
        self.log = "\n".join(e.user_message for e in instance.all_logs(result.run_id) if e.user_message)

    def check(self, name: str, asset: str = "raw/ed_attendances") -> dg.AssetCheckEvaluation:
        return next(
            e
            for e in self.result.get_asset_check_evaluations()
            if e.check_name == name and e.asset_key.to_user_string() == asset
        )


def _run(env: Env, other: str | None = "crh", day: str = DAY, selection: dg.AssetSelection = RAW_ED) -> Run:
    """Land a good file from the other provider, materialise the day, and check nothing was lost."""
    land_other(env, other, day)
    instance = dg.DagsterInstance.ephemeral()
    result = env.materialize(day, selection=selection, instance=instance)
    assert result.success
    files = env.query("select * from ops.source_files")
    for f in files.iter_rows(named=True):
        assert f["rows_read"] == f["rows_loaded"] + f["rows_quarantined"] + f["rows_duplicate"], f
        loaded = env.query(f"select count(*) from raw.{f['feed']} where source_file = $f", f=f["file_name"]).item()
        quarantined = env.query(
            "select count(distinct source_row) from ops.quarantine "
            "where file_name = $f and action = 'record quarantined'",
            f=f["file_name"],
        ).item()
        assert (loaded, quarantined) == (f["rows_loaded"], f["rows_quarantined"]), f
    if other:
        assert (
            env.query(
                "select count(*) from raw.ed_attendances where provider_code = $p and record_id = 'OK1'",
                p=OTHER_PROVIDER[other],
            ).item()
            == 1
        )
    return Run(result, instance)


def _file(env: Env, name: str) -> dict:
    return env.query("select * from ops.source_files where file_name = $n", n=name).row(0, named=True)


def _rejected(env: Env) -> list[tuple[str, str, str]]:
    return env.query("select provider_code, file_name, reason from ops.rejected_files").rows()


def _uhdb_bytes(rows: list[dict[str, str]], columns: list[str] = UHDB_COLUMNS) -> bytes:
    return pl.DataFrame(rows, schema={c: pl.Utf8 for c in columns}).write_csv().encode("utf-8")


def _uhdb_path(env: Env, extracted: str = "20250116T0600", day: str = "20250115"):
    path = env.landing / "ed_attendances" / "uhdb" / f"UHDB_ED_{day}_{extracted}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


# --- whole-file problems: rejected, named, the provider's day left as it was --------------------------------


def test_empty_file(env: Env):
    # End to end: the rejection's log line and the failing check are what the user sees.
    _uhdb_path(env).write_bytes(b"")
    run = _run(env)
    [(provider, name, reason)] = _rejected(env)
    assert (provider, name) == (
        "RTG",
        "UHDB_ED_20250115_20250116T0600.csv",
    ) and "the file is empty (no header row)" in reason
    check = run.check("every_landed_file_readable")
    assert not check.passed and check.metadata["providers_failed"].value == "RTG"
    assert "UHDB_ED_20250115_20250116T0600.csv rejected: feed ed_attendances, provider RTG" in run.log


def test_header_only(env: Env):
    # End to end: the run log's warning is the only sign of an empty delivery.
    _uhdb_path(env).write_bytes(_uhdb_bytes([]))
    run = _run(env)
    f = _file(env, "UHDB_ED_20250115_20250116T0600.csv")
    assert (f["rows_read"], f["rows_loaded"], f["rows_quarantined"]) == (0, 0, 0)
    assert "UHDB_ED_20250115_20250116T0600.csv: header only, no rows" in run.log


def test_truncated_last_line(env: Env):
    whole = _uhdb_bytes(
        [
            uhdb_row("A1", "2025-01-15 10:00:00", "2025-01-15 11:00:00"),
            uhdb_row("A2", "2025-01-15 12:00:00", "2025-01-15 13:00:00"),
        ]
    )
    # The transfer stopped inside row 3 (the second record), after its fourth field.
    cut = whole[: whole.rindex(b"2025-01-15 13:00:00")].rstrip(b",")
    _uhdb_path(env).write_bytes(cut)
    result = ingest(env)
    f = result.file("UHDB_ED_20250115_20250116T0600.csv")
    assert (f["rows_read"], f["rows_loaded"], f["rows_quarantined"]) == (2, 1, 1)
    [(row, _, reason)] = result.reasons(f["file_name"])
    assert row == 3 and reason.startswith("truncated: the file ends part-way through this row (4 of 11 fields")


def test_short_and_long_rows_are_quarantined_whole_and_nothing_of_theirs_is_copied(env: Env):
    good = uhdb_row("A1", "2025-01-15 10:00:00", "2025-01-15 11:00:00")
    short = uhdb_row("A2", "2025-01-15 12:00:00", "2025-01-15 13:00:00", NHS_NUMBER="9434765919")
    long = uhdb_row("A3", "2025-01-15 14:00:00", "2025-01-15 15:00:00")
    lines = _uhdb_bytes([good, short, long]).decode().splitlines()
    # Row 3 lost a field before the NHS number (every later value slides one column left, the number into
    # AGE_BAND); row 4 gained one.
    fields = lines[2].split(",")
    lines[2] = ",".join(fields[:4] + fields[5:])
    lines[3] += ",extra"
    _uhdb_path(env).write_text("\n".join(lines) + "\n")
    result = ingest(env)
    f = result.file("UHDB_ED_20250115_20250116T0600.csv")
    # 3 read = 1 loaded (A1) + 2 quarantined whole (the short and the long row): one bad row, not a bad file.
    assert (f["rows_read"], f["rows_loaded"], f["rows_quarantined"]) == (3, 1, 2)
    assert result.reasons(f["file_name"]) == [
        (3, None, "short row: 10 of 11 fields"),
        (4, None, "long row: 12 of 11 fields"),
    ]
    # The shifted values are under the wrong names: none of them is copied into the quarantine.
    assert result.quarantined.select("value", "record").rows() == [(None, None), (None, None)]


def test_workbook_cells_that_read_as_plausible_values_are_not_guessed(env: Env):
    path = env.landing / "ed_attendances" / "crh" / "CRH_AE_2025-01-15_202501170915.xlsx"
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer)
    sheet = book.add_worksheet("Attendances")
    sheet.write_row(0, 0, CRH_COLUMNS)
    stamp, day_only = book.add_format({"num_format": "dd/mm/yyyy hh:mm"}), book.add_format({"num_format": "dd/mm/yyyy"})
    for r, ref in enumerate(["C1", "C2", "C3", "C4"], start=1):
        sheet.write_row(r, 0, [ref, "Emergency Department"])
        sheet.write_datetime(r, 2, datetime(2025, 1, 15, 9), stamp)
        sheet.write_datetime(r, 3, datetime(2025, 1, 15, 10), stamp)
        sheet.write_row(r, 4, ["Walk in", 3, "Discharged", "18-64"])
    # Row 3 (C2): an arrival typed as a date alone, which would read as 00:00 (a 10-hour stay, two breaches).
    sheet.write_datetime(2, 2, datetime(2025, 1, 15), day_only)
    # Row 4 (C3): a triage category that is a formula's #DIV/0!; row 5 (C4): one that is TRUE (read as 1).
    sheet.write_formula(3, 5, "=1/0", None, "#DIV/0!")
    sheet.write_boolean(4, 5, True)
    book.close()
    path.write_bytes(buffer.getvalue())
    result = ingest(env, other="uhdb")
    f = result.file(path.name)
    # 4 read = 3 loaded (C1; C3 and C4 with their acuity unknown) + 1 quarantined (C2: no valid arrival).
    assert (f["rows_read"], f["rows_loaded"], f["rows_quarantined"], f["rows_with_unknown_values"]) == (4, 3, 1, 2)
    assert [(row, column, action) for row, column, _, action in result.actions(path.name)] == [
        (3, "Arrival Date Time", "record quarantined"),
        (4, "Triage Category", "value set to unknown"),
        (5, "Triage Category", "value set to unknown"),
    ]
    reasons = {
        row: (reason, value)
        for row, _, reason, value in result.quarantined.select("source_row", "source_column", "reason", "value").rows()
    }
    assert reasons[3] == ("unreadable date-time (expected %d/%m/%Y %H:%M or %Y-%m-%d %H:%M:%S)", "2025-01-15")
    assert reasons[4] == ("a spreadsheet error cell (such as #DIV/0! or #N/A), not a value", "#DIV/0!")
    assert reasons[5] == ("not a whole number", "TRUE")
    acuity = dict(result.rows(provider_code="RFS").select("record_id", "acuity").rows())
    assert acuity == {"C1": 3, "C3": None, "C4": None}


def test_wrong_delimiter(env: Env):
    _uhdb_path(env).write_bytes(_uhdb_bytes([uhdb_row("A1", "2025-01-15 10:00:00")]).replace(b",", b";"))
    result = ingest(env)
    [(_, _, reason)] = result.rejected_rows()
    assert "one column only: is the delimiter right?" in reason
    # every_landed_file_readable fails exactly when a provider has a rejection (end to end in test_empty_file and
    # tests/test_quarantine.py, which also reads this reason from the check).
    assert result.failed_providers == ["RTG"]


def test_byte_order_mark_on_a_windows_1252_layout(env: Env):
    # CRH's layout says Windows-1252; this file came as UTF-8 with a BOM, which says so.
    path = env.write_crh(DAY, "202501160530", [crh_row("C-É1", "15/01/2025 09:00", "15/01/2025 10:00")])
    text = path.read_bytes().decode("cp1252")
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    result = ingest(env, other="uhdb")
    assert result.rows(provider_code="RFS")["record_id"].item() == "C-É1"


def test_windows_1252_text(env: Env):
    # Where the layout says cp1252 it reads; where it says UTF-8, the file is rejected naming where the bad byte
    # is (line 2: the first record), never the byte itself, which is part of a record.
    env.write_crh(DAY, "202501160530", [crh_row("C-É1", "15/01/2025 09:00", "15/01/2025 10:00")])
    _uhdb_path(env).write_bytes(_uhdb_bytes([uhdb_row("CAFÉ", "2025-01-15 10:00:00")]).decode().encode("cp1252"))
    result = ingest(env, other=None)
    assert result.loaded["record_id"].item() == "C-É1"
    [(provider, _, reason)] = result.rejected_rows()
    assert provider == "RTG" and "cannot be read as utf-8-sig: line 2 (byte offset" in reason
    assert "check 'encoding' in" in reason and "0xc9" not in reason and "CAF" not in reason


def test_missing_required_column(env: Env):
    _uhdb_path(env).write_bytes(
        _uhdb_bytes([uhdb_row("A1", "2025-01-15 10:00:00")], [c for c in UHDB_COLUMNS if c != "DEPARTURE_DTTM"])
    )
    [(_, _, reason)] = ingest(env).rejected_rows()
    assert "missing required columns ['DEPARTURE_DTTM']; unexpected columns []" in reason and "uhdb.yaml" in reason


def test_renamed_column(env: Env):
    _uhdb_path(env).write_bytes(
        _uhdb_bytes([uhdb_row("A1", "2025-01-15 10:00:00")]).replace(b"ARRIVAL_DTTM", b"ARRIVAL_TIME")
    )
    [(_, _, reason)] = ingest(env).rejected_rows()
    assert "missing required columns ['ARRIVAL_DTTM']; unexpected columns ['ARRIVAL_TIME']" in reason


def test_unexpected_extra_column(env: Env):
    rows = [{**uhdb_row("A1", "2025-01-15 10:00:00", "2025-01-15 11:00:00"), "WARD": "W1"}]
    _uhdb_path(env).write_bytes(_uhdb_bytes(rows, [*UHDB_COLUMNS, "WARD"]))
    f = ingest(env).file("UHDB_ED_20250115_20250116T0600.csv")
    # The run log's "columns the layout does not map, ignored: WARD" is this field as it stands.
    assert (f["rows_read"], f["rows_loaded"], f["unexpected_columns"]) == (1, 1, "WARD")


# --- duplicates, re-sends and corrections -------------------------------------------------------------------


def test_duplicate_rows_within_a_file(env: Env):
    # docs/domain.md §7.1: a row sent twice is one record, counted once; the copy is recorded, not quarantined.
    row = uhdb_row("A1", "2025-01-15 10:00:00", "2025-01-15 11:00:00")
    _uhdb_path(env).write_bytes(_uhdb_bytes([row, row, uhdb_row("A2", "2025-01-15 10:00:00")]))
    result = ingest(env)
    name = "UHDB_ED_20250115_20250116T0600.csv"
    # read 3 = loaded 2 (A1 once, A2) + quarantined 0 + repeated 1 (row 3, a copy of row 2); no value unknown.
    assert result.counts(name) == (3, 2, 0, 1, 0)
    assert result.duplicate_rows.select("file_name", "source_row", "duplicate_of_row").rows() == [(name, 3, 2)]
    assert result.rows(record_id="A1")["source_row"].to_list() == [2]
    assert result.reasons(name) == []


def test_two_different_rows_with_one_id_in_a_file(env: Env):
    # Not a copy: the departures differ, and nothing says which is right, so both are held (docs/domain.md §7.1).
    rows = [
        uhdb_row("A1", "2025-01-15 10:00:00", "2025-01-15 11:00:00"),
        uhdb_row("A1", "2025-01-15 10:00:00", "2025-01-15 12:00:00"),
        uhdb_row("A2", "2025-01-15 10:00:00"),
    ]
    _uhdb_path(env).write_bytes(_uhdb_bytes(rows))
    result = ingest(env)
    name = "UHDB_ED_20250115_20250116T0600.csv"
    assert result.counts(name) == (3, 1, 2, 0, 0)  # 3 read = A2 loaded + both A1 quarantined
    assert [(r, c, a) for r, c, _, a in result.actions(name)] == [
        (2, "ATTENDANCE_ID", "record quarantined"),
        (3, "ATTENDANCE_ID", "record quarantined"),
    ]
    assert all("duplicate" in reason for _, _, reason in result.reasons(name))


def test_the_same_file_delivered_twice_is_recognised_by_checksum(env: Env):
    # End to end: the user learns of a re-send from the run log and the run's metadata.
    first = env.write_uhdb("20250115", "20250116T0600", [uhdb_row("A1", "2025-01-15 10:00:00", "2025-01-15 11:00:00")])
    shutil.copy(first, _uhdb_path(env, "20250116T0900"))  # re-sent unchanged under a later extract time
    run = _run(env)
    assert env.query("select count(*) from raw.ed_attendances where provider_code = 'RTG'").item() == 1
    assert env.query("select file_name, duplicate_of from ops.duplicate_files").rows() == [
        ("UHDB_ED_20250115_20250116T0900.csv", "UHDB_ED_20250115_20250116T0600.csv")
    ]
    assert "UHDB_ED_20250115_20250116T0900.csv is byte-identical to UHDB_ED_20250115_20250116T0600.csv" in run.log
    assert run.result.asset_materializations_for_node("raw__ed_attendances")[0].metadata["files_duplicate"].value == 1


def test_a_corrected_file_for_a_day_already_loaded(env: Env):
    # End to end: what is kept across two runs, and which version is current, is the warehouse's doing.
    env.write_uhdb("20250115", "20250116T0600", [uhdb_row("A1", "2025-01-15 10:00:00")])  # still in the department
    _run(env)
    env.write_uhdb("20250115", "20250117T0600", [uhdb_row("A1", "2025-01-15 10:00:00", "2025-01-15 15:00:00")])
    _run(env, other=None)
    # Both versions are kept for audit; the latest extract is current.
    assert env.query("select count(*) from raw.ed_attendances where record_id = 'A1'").item() == 2
    current = env.query("select departure_at::varchar from raw.ed_attendances_current where record_id = 'A1'").item()
    assert current == "2025-01-15 15:00:00"


# --- dates and times ----------------------------------------------------------------------------------------


def test_day_first_versus_month_first_dates(env: Env):
    # CRH writes day-first: 03/04/2025 is 3 April. A month-first 04/15/2025 cannot be read; a month-first
    # 04/03/2025 reads as 4 March, which is not the file's day.
    day = "2025-04-03"
    env.write_crh(
        day,
        "202504040530",
        [
            crh_row("D1", "03/04/2025 10:00", "03/04/2025 11:00"),
            crh_row("M1", "04/15/2025 10:00", "04/15/2025 11:00"),
            crh_row("M2", "04/03/2025 10:00", "04/03/2025 11:00"),
        ],
    )
    result = ingest(env, other="uhdb", day=day)
    assert result.rows(record_id="D1")["arrival_at"].item() == datetime(2025, 4, 3, 10, 0)
    reasons = {(row, column): reason for row, column, reason in result.reasons("CRH_AE_2025-04-03_202504040530.csv")}
    assert reasons[(3, "Arrival Date Time")].startswith("unreadable date-time (expected %d/%m/%Y %H:%M")
    assert "partition day 2025-04-03" in reasons[(4, "Arrival Date Time")]


def test_a_time_that_does_not_exist_at_the_spring_clock_change(env: Env):
    env.write_uhdb(
        "20250330",
        "20250331T0600",
        [
            uhdb_row("S1", "2025-03-30 01:30:00", "2025-03-30 03:00:00"),
            uhdb_row("S2", "2025-03-30 00:30:00", "2025-03-30 03:00:00"),
        ],
    )
    result = ingest(env, day="2025-03-30")
    # 00:30 GMT to 03:00 BST is 1 h 30 min of real time (the clocks skip 01:00-02:00).
    [(arrival, departure)] = result.rows(record_id="S2").select("arrival_utc", "departure_utc").rows()
    assert departure - arrival == timedelta(minutes=90)
    [(row, column, reason)] = result.reasons("UHDB_ED_20250330_20250331T0600.csv")
    assert (row, column) == (2, "ARRIVAL_DTTM") and "does not exist in Europe/London" in reason


def test_an_ambiguous_time_at_the_autumn_clock_change(env: Env):
    # Arrival 01:30 (first, BST = 00:30 UTC); departure 01:10 can only be the second 01:10 (GMT = 01:10 UTC):
    # 40 minutes.
    env.write_uhdb("20251026", "20251027T0600", [uhdb_row("F1", "2025-10-26 01:30:00", "2025-10-26 01:10:00")])
    result = ingest(env, day="2025-10-26")
    row = result.rows(record_id="F1").select("arrival_utc", "departure_utc").row(0)
    assert row == (datetime(2025, 10, 26, 0, 30), datetime(2025, 10, 26, 1, 10))


def test_future_dates(env: Env):
    env.write_uhdb(
        "20250115",
        "20250116T0600",
        [
            uhdb_row("F1", "2026-01-15 10:00:00", "2026-01-15 11:00:00"),  # a year ahead: not the file's day
            uhdb_row("F2", "2025-01-15 22:00:00", "2025-01-16 09:00:00"),  # departs after the 06:00 extract
        ],
    )
    result = ingest(env)
    reasons = result.reasons("UHDB_ED_20250115_20250116T0600.csv")
    assert any(row == 2 and "partition day 2025-01-15" in reason for row, _, reason in reasons)
    assert (3, "DEPARTURE_DTTM", "departure not after the extract was taken") in reasons
    assert result.rows(provider_code="RTG").height == 0


def test_negative_and_absurd_durations(env: Env):
    env.write_uhdb(
        "20250115",
        "20250124T0600",
        [
            uhdb_row("N1", "2025-01-15 10:00:00", "2025-01-15 09:00:00"),  # leaves before arriving
            uhdb_row("N2", "2025-01-15 10:00:00", "2025-01-23 10:00:00"),  # 8 days in the department
        ],
    )
    result = ingest(env)
    reasons = {row: reason for row, _, reason in result.reasons("UHDB_ED_20250115_20250124T0600.csv")}
    assert reasons == {2: "not before arrival", 3: "stay at most 168 hours"}


def test_a_file_for_a_different_day_than_its_name(env: Env):
    # Two days before the name's day: further back than a record across midnight can be (docs/domain.md §7.1).
    env.write_uhdb(
        "20250115",
        "20250116T0600",
        [
            uhdb_row("Y1", "2025-01-13 10:00:00", "2025-01-13 11:00:00"),
            uhdb_row("Y2", "2025-01-13 12:00:00", "2025-01-13 13:00:00"),
        ],
    )
    result = ingest(env)
    f = result.file("UHDB_ED_20250115_20250116T0600.csv")
    assert (f["rows_read"], f["rows_loaded"], f["rows_quarantined"]) == (2, 0, 2)
    reasons = result.reasons(f["file_name"])
    assert all(reason == "arrival on the partition day 2025-01-15 or the day before" for _, _, reason in reasons)


# --- codes and values ---------------------------------------------------------------------------------------


def test_unknown_site_code(env: Env):
    env.write_uhdb("20250115", "20250116T0600", [uhdb_row("U1", "2025-01-15 10:00:00", SITE="XYZ")])
    [(row, column, reason)] = ingest(env).reasons("UHDB_ED_20250115_20250116T0600.csv")
    assert (row, column) == (2, "SITE") and reason.startswith("code not in the mapping for site_code")


def _opel_file(env: Env, rows: list[dict[str, str]]) -> str:
    return env.write_opel("20250115", "202501151200", rows).name


def test_unknown_provider_code(env: Env):
    name = _opel_file(
        env,
        [
            opel_row("RTG", "15/01/2025", "15/01/2025 09:00:00", 3),
            opel_row("ZZZ", "15/01/2025", "15/01/2025 09:05:00", 2),
        ],
    )
    result = ingest(env, feed="opel_submissions")
    [(row, column, reason)] = result.reasons(name)
    assert (row, column, reason) == (3, "Organisation Code", "known provider code (ref.providers)")
    assert result.loaded["org_code"].item() == "RTG"


def test_text_in_a_numeric_column(env: Env):
    name = _opel_file(
        env, [opel_row("RTG", "15/01/2025", "15/01/2025 09:00:00", 3, **{"Mean Handover (mins)": "about 40"})]
    )
    [(row, column, reason)] = ingest(env, feed="opel_submissions").reasons(name)
    assert (row, column, reason) == (2, "Mean Handover (mins)", "not a number")
    assert "OPEL Level" in OPEL_COLUMNS  # the layout the helper wrote


def test_invalid_nhs_number(env: Env):
    # The attendance is identified by its own id: a bad NHS number loses the patient key, not the record (7.2).
    env.write_uhdb("20250115", "20250116T0600", [uhdb_row("V1", "2025-01-15 10:00:00", NHS_NUMBER="9990000019")])
    result = ingest(env)
    [(row, column, reason, action)] = result.actions("UHDB_ED_20250115_20250116T0600.csv")
    assert (row, column, action) == (2, "NHS_NUMBER", "value set to unknown") and "modulus 11" in reason
    value, record = result.quarantined.select("value", "record").row(0)
    assert value == "<redacted>" and "9990000019" not in record
    assert result.rows(record_id="V1")["patient_key"].to_list() == [None]


# --- workbooks and names ------------------------------------------------------------------------------------


def test_an_excel_file_with_a_title_row_and_a_second_sheet(env: Env):
    path = env.landing / "ed_attendances" / "crh" / "CRH_AE_2025-01-15_202501170915.xlsx"
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer)
    notes = book.add_worksheet("Notes")  # first sheet: not the data
    notes.write_row(0, 0, ["Attendance Ref", "Comment"])
    notes.write_row(1, 0, ["X9", "not an attendance"])
    sheet = book.add_worksheet("Attendances")
    sheet.write(0, 0, "Chesterfield Royal Hospital: ED attendances, corrections")  # title, then a blank row
    sheet.write_row(2, 0, CRH_COLUMNS)
    stamp = book.add_format({"num_format": "dd/mm/yyyy hh:mm"})
    for r, (ref, hour) in enumerate([("C1", 9), ("C2", 11)], start=3):
        sheet.write_row(r, 0, [ref, "Emergency Department"])
        sheet.write_datetime(r, 2, datetime(2025, 1, 15, hour), stamp)
        sheet.write_datetime(r, 3, datetime(2025, 1, 15, hour + 1), stamp)
        sheet.write_row(r, 4, ["Walk in", 3, "Discharged", "18-64"])
    book.close()
    path.write_bytes(buffer.getvalue())
    result = ingest(env, other="uhdb")
    f = result.file(path.name)
    assert (f["rows_read"], f["rows_loaded"], f["rows_quarantined"]) == (2, 2, 0)
    # Row numbers are the spreadsheet's: header on row 3, data on rows 4 and 5.
    assert result.rows(provider_code="RFS").select("record_id", "source_row").sort("record_id").rows() == [
        ("C1", 4),
        ("C2", 5),
    ]


def test_file_names_with_dot_dot_or_an_impossible_date_are_never_loaded(env: Env):
    folder = _uhdb_path(env).parent
    good = _uhdb_bytes([uhdb_row("A1", "2025-01-15 10:00:00")])
    (folder / "UHDB_ED_20250115_..csv").write_bytes(good)
    (folder / "UHDB_ED_20251345_20250116T0600.csv").write_bytes(good)
    # A correctly named link that points out of the landing area is not a delivery either.
    outside = env.root / "elsewhere.csv"
    outside.write_bytes(good)
    (folder / "UHDB_ED_20250115_20250116T0600.csv").symlink_to(outside)
    result = ingest(env)
    assert result.rows(provider_code="RTG").height == 0
    # The run log's "RTG: files in ed_attendances/uhdb not named as the layout expects, not loaded: [...]" names
    # exactly the listing's unrecognised files.
    assert result.unrecognised == {"RTG": ["UHDB_ED_20250115_..csv", "UHDB_ED_20251345_20250116T0600.csv"]}


@pytest.mark.parametrize("folder", ["../outside", "/etc", "ed_attendances/../../x"])
def test_a_layout_reading_outside_the_landing_area_fails_at_load(tmp_path, folder: str):
    feeds = tmp_path / "ed_attendances"
    feeds.mkdir()
    shipped = next(c for c in load_feed_configs("ed_attendances") if c.provider_code == "RTG")
    text = (
        open(shipped.config_path, encoding="utf-8")
        .read()
        .replace("landing_dir: ed_attendances/uhdb", f"landing_dir: {folder}")
    )
    (feeds / "uhdb.yaml").write_text(text, encoding="utf-8")
    # Refused by name with the reason, and never used: no file under that folder is ever listed.
    configs, [broken] = load_feed_layouts("ed_attendances", tmp_path)
    assert configs == [] and broken.provider_code == "RTG"
    assert re.search(r"(?s)uhdb\.yaml.*must be a relative folder under the landing area", broken.reason)
