"""The bad-input catalogue (docs/bad-inputs.md): one test per entry, asserting what the user sees and the row counts.

Every case lands a good file from the other ED provider beside the bad one, and `_run` asserts that provider
still loaded, that the run succeeded, and that for every file rows read = rows loaded + rows quarantined.
"""

from __future__ import annotations

import io
import shutil
from datetime import datetime

import dagster as dg
import polars as pl
import pytest
import xlsxwriter

from schemas.registry import RegistryError, load_feed_configs
from tests.conftest import CRH_COLUMNS, OPEL_COLUMNS, UHDB_COLUMNS, Env, crh_row, opel_row, uhdb_row

DAY = "2025-01-15"
RAW_ED = dg.AssetSelection.assets(["raw", "ed_attendances"]).upstream()
RAW_OPEL = dg.AssetSelection.assets(["raw", "opel_submissions"]).upstream()


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


def _run(env: Env, other: str = "crh", day: str = DAY, selection: dg.AssetSelection = RAW_ED) -> Run:
    """Land a good file from the other provider, materialise the day, and check nothing was lost."""
    if other == "crh":
        env.write_crh(
            day, day.replace("-", "")[:8] + "2330", [crh_row("OK1", _crh_time(day, "09:00"), _crh_time(day, "10:30"))]
        )
    elif other == "uhdb":
        env.write_uhdb(
            day.replace("-", ""),
            day.replace("-", "") + "T2330",
            [uhdb_row("OK1", f"{day} 09:00:00", f"{day} 10:30:00")],
        )
    instance = dg.DagsterInstance.ephemeral()
    result = env.materialize(day, selection=selection, instance=instance)
    assert result.success
    files = env.query("select * from ops.source_files")
    for f in files.iter_rows(named=True):
        assert f["rows_read"] == f["rows_loaded"] + f["rows_quarantined"], f
        loaded = env.query(f"select count(*) from raw.{f['feed']} where source_file = $f", f=f["file_name"]).item()
        quarantined = env.query(
            "select count(distinct source_row) from ops.quarantine where file_name = $f", f=f["file_name"]
        ).item()
        assert (loaded, quarantined) == (f["rows_loaded"], f["rows_quarantined"]), f
    if other:
        provider = {"crh": "RFS", "uhdb": "RTG"}[other]
        assert (
            env.query(
                "select count(*) from raw.ed_attendances where provider_code = $p and record_id = 'OK1'", p=provider
            ).item()
            == 1
        )
    return Run(result, instance)


def _crh_time(day: str, hhmm: str) -> str:
    return datetime.strptime(day, "%Y-%m-%d").strftime("%d/%m/%Y") + " " + hhmm


def _uhdb_bytes(rows: list[dict[str, str]], columns: list[str] = UHDB_COLUMNS) -> bytes:
    return pl.DataFrame(rows, schema={c: pl.Utf8 for c in columns}).write_csv().encode("utf-8")


def _uhdb_path(env: Env, extracted: str = "20250116T0600", day: str = "20250115"):
    path = env.landing / "ed_attendances" / "uhdb" / f"UHDB_ED_{day}_{extracted}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def _file(env: Env, name: str) -> dict:
    return env.query("select * from ops.source_files where file_name = $n", n=name).row(0, named=True)


def _reasons(env: Env, name: str) -> list[tuple[int, str, str]]:
    return env.query(
        "select source_row, source_column, reason from ops.quarantine where file_name = $n order by all", n=name
    ).rows()


def _rejected(env: Env) -> list[tuple[str, str, str]]:
    return env.query("select provider_code, file_name, reason from ops.rejected_files").rows()


# --- whole-file problems: rejected, named, the provider's day left as it was --------------------------------


def test_empty_file(env: Env):
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
    _run(env)
    f = _file(env, "UHDB_ED_20250115_20250116T0600.csv")
    assert (f["rows_read"], f["rows_loaded"], f["rows_quarantined"]) == (2, 1, 1)
    [(row, _, reason)] = _reasons(env, f["file_name"])
    assert row == 3 and reason.startswith("truncated: the file ends part-way through this row (4 of 11 fields")


def test_wrong_delimiter(env: Env):
    _uhdb_path(env).write_bytes(_uhdb_bytes([uhdb_row("A1", "2025-01-15 10:00:00")]).replace(b",", b";"))
    run = _run(env)
    [(_, _, reason)] = _rejected(env)
    assert "one column only: is the delimiter right?" in reason
    assert not run.check("every_landed_file_readable").passed


def test_byte_order_mark_on_a_windows_1252_layout(env: Env):
    # CRH's layout says Windows-1252; this file came as UTF-8 with a BOM, which says so.
    path = env.write_crh(DAY, "202501160530", [crh_row("C-É1", "15/01/2025 09:00", "15/01/2025 10:00")])
    text = path.read_bytes().decode("cp1252")
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    _run(env, other="uhdb")
    assert env.query("select record_id from raw.ed_attendances where provider_code = 'RFS'").item() == "C-É1"


def test_windows_1252_text(env: Env):
    # Where the layout says cp1252 it reads; where it says UTF-8, the file is rejected naming the byte.
    env.write_crh(DAY, "202501160530", [crh_row("C-É1", "15/01/2025 09:00", "15/01/2025 10:00")])
    _uhdb_path(env).write_bytes(_uhdb_bytes([uhdb_row("CAFÉ", "2025-01-15 10:00:00")]).decode().encode("cp1252"))
    _run(env, other=None)
    assert env.query("select record_id from raw.ed_attendances").item() == "C-É1"
    [(provider, _, reason)] = _rejected(env)
    assert provider == "RTG" and "cannot be read as utf-8-sig: byte 0xc9" in reason and "check 'encoding' in" in reason


def test_missing_required_column(env: Env):
    _uhdb_path(env).write_bytes(
        _uhdb_bytes([uhdb_row("A1", "2025-01-15 10:00:00")], [c for c in UHDB_COLUMNS if c != "DEPARTURE_DTTM"])
    )
    _run(env)
    [(_, _, reason)] = _rejected(env)
    assert "missing required columns ['DEPARTURE_DTTM']; unexpected columns []" in reason and "uhdb.yaml" in reason


def test_renamed_column(env: Env):
    _uhdb_path(env).write_bytes(
        _uhdb_bytes([uhdb_row("A1", "2025-01-15 10:00:00")]).replace(b"ARRIVAL_DTTM", b"ARRIVAL_TIME")
    )
    _run(env)
    [(_, _, reason)] = _rejected(env)
    assert "missing required columns ['ARRIVAL_DTTM']; unexpected columns ['ARRIVAL_TIME']" in reason


def test_unexpected_extra_column(env: Env):
    rows = [{**uhdb_row("A1", "2025-01-15 10:00:00", "2025-01-15 11:00:00"), "WARD": "W1"}]
    _uhdb_path(env).write_bytes(_uhdb_bytes(rows, [*UHDB_COLUMNS, "WARD"]))
    run = _run(env)
    f = _file(env, "UHDB_ED_20250115_20250116T0600.csv")
    assert (f["rows_read"], f["rows_loaded"], f["unexpected_columns"]) == (1, 1, "WARD")
    assert "columns the layout does not map, ignored: WARD" in run.log


# --- duplicates, re-sends and corrections -------------------------------------------------------------------


def test_duplicate_rows_within_a_file(env: Env):
    row = uhdb_row("A1", "2025-01-15 10:00:00", "2025-01-15 11:00:00")
    _uhdb_path(env).write_bytes(_uhdb_bytes([row, row, uhdb_row("A2", "2025-01-15 10:00:00")]))
    _run(env)
    f = _file(env, "UHDB_ED_20250115_20250116T0600.csv")
    assert (f["rows_read"], f["rows_loaded"], f["rows_quarantined"]) == (3, 1, 2)  # A2 loads; both copies of A1 held
    assert [(r, c) for r, c, _ in _reasons(env, f["file_name"])] == [(2, "ATTENDANCE_ID"), (3, "ATTENDANCE_ID")]
    assert all("duplicate" in reason for _, _, reason in _reasons(env, f["file_name"]))


def test_the_same_file_delivered_twice_is_recognised_by_checksum(env: Env):
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
    _run(env, other="uhdb", day=day)
    assert (
        env.query("select arrival_at::varchar from raw.ed_attendances where record_id = 'D1'").item()
        == "2025-04-03 10:00:00"
    )
    reasons = {(row, column): reason for row, column, reason in _reasons(env, "CRH_AE_2025-04-03_202504040530.csv")}
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
    _run(env, day="2025-03-30")
    # 00:30 GMT to 03:00 BST is 1 h 30 min of real time (the clocks skip 01:00-02:00).
    assert (
        env.query(
            "select date_diff('minute', arrival_utc, departure_utc) from raw.ed_attendances where record_id = 'S2'"
        ).item()
        == 90
    )
    [(row, column, reason)] = _reasons(env, "UHDB_ED_20250330_20250331T0600.csv")
    assert (row, column) == (2, "ARRIVAL_DTTM") and "does not exist in Europe/London" in reason


def test_an_ambiguous_time_at_the_autumn_clock_change(env: Env):
    # Arrival 01:30 (first, BST = 00:30 UTC); departure 01:10 can only be the second 01:10 (GMT = 01:10 UTC):
    # 40 minutes.
    env.write_uhdb("20251026", "20251027T0600", [uhdb_row("F1", "2025-10-26 01:30:00", "2025-10-26 01:10:00")])
    _run(env, day="2025-10-26")
    row = env.query(
        "select arrival_utc::varchar a, departure_utc::varchar d from raw.ed_attendances where record_id = 'F1'"
    ).row(0)
    assert row == ("2025-10-26 00:30:00", "2025-10-26 01:10:00")


def test_future_dates(env: Env):
    env.write_uhdb(
        "20250115",
        "20250116T0600",
        [
            uhdb_row("F1", "2026-01-15 10:00:00", "2026-01-15 11:00:00"),  # a year ahead: not the file's day
            uhdb_row("F2", "2025-01-15 22:00:00", "2025-01-16 09:00:00"),  # departs after the 06:00 extract
        ],
    )
    _run(env)
    reasons = _reasons(env, "UHDB_ED_20250115_20250116T0600.csv")
    assert any(row == 2 and "partition day 2025-01-15" in reason for row, _, reason in reasons)
    assert (3, "DEPARTURE_DTTM", "departure not after the extract was taken") in reasons
    assert env.query("select count(*) from raw.ed_attendances where provider_code = 'RTG'").item() == 0


def test_negative_and_absurd_durations(env: Env):
    env.write_uhdb(
        "20250115",
        "20250124T0600",
        [
            uhdb_row("N1", "2025-01-15 10:00:00", "2025-01-15 09:00:00"),  # leaves before arriving
            uhdb_row("N2", "2025-01-15 10:00:00", "2025-01-23 10:00:00"),  # 8 days in the department
        ],
    )
    _run(env)
    reasons = {row: reason for row, _, reason in _reasons(env, "UHDB_ED_20250115_20250124T0600.csv")}
    assert reasons == {2: "not before arrival", 3: "stay at most 168 hours"}


def test_a_file_for_a_different_day_than_its_name(env: Env):
    env.write_uhdb(
        "20250115",
        "20250116T0600",
        [
            uhdb_row("Y1", "2025-01-14 10:00:00", "2025-01-14 11:00:00"),
            uhdb_row("Y2", "2025-01-14 12:00:00", "2025-01-14 13:00:00"),
        ],
    )
    _run(env)
    f = _file(env, "UHDB_ED_20250115_20250116T0600.csv")
    assert (f["rows_read"], f["rows_loaded"], f["rows_quarantined"]) == (2, 0, 2)
    assert all("partition day 2025-01-15" in reason for _, _, reason in _reasons(env, f["file_name"]))


# --- codes and values ---------------------------------------------------------------------------------------


def test_unknown_site_code(env: Env):
    env.write_uhdb("20250115", "20250116T0600", [uhdb_row("U1", "2025-01-15 10:00:00", SITE="XYZ")])
    _run(env)
    [(row, column, reason)] = _reasons(env, "UHDB_ED_20250115_20250116T0600.csv")
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
    _run(env, other="crh", selection=RAW_OPEL | RAW_ED)
    [(row, column, reason)] = _reasons(env, name)
    assert (row, column, reason) == (3, "Organisation Code", "known provider code (ref.providers)")
    assert env.query("select org_code from raw.opel_submissions").item() == "RTG"


def test_text_in_a_numeric_column(env: Env):
    name = _opel_file(
        env, [opel_row("RTG", "15/01/2025", "15/01/2025 09:00:00", 3, **{"Mean Handover (mins)": "about 40"})]
    )
    _run(env, other="crh", selection=RAW_OPEL | RAW_ED)
    [(row, column, reason)] = _reasons(env, name)
    assert (row, column, reason) == (2, "Mean Handover (mins)", "not a number")
    assert "OPEL Level" in OPEL_COLUMNS  # the layout the helper wrote


def test_invalid_nhs_number(env: Env):
    env.write_uhdb("20250115", "20250116T0600", [uhdb_row("V1", "2025-01-15 10:00:00", NHS_NUMBER="9990000019")])
    _run(env)
    [(row, column, reason)] = _reasons(env, "UHDB_ED_20250115_20250116T0600.csv")
    assert (row, column) == (2, "NHS_NUMBER") and "modulus 11" in reason
    value, record = env.query("select value, record from ops.quarantine").row(0)
    assert value == "<redacted>" and "9990000019" not in record


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
    _run(env, other="uhdb")
    f = _file(env, path.name)
    assert (f["rows_read"], f["rows_loaded"], f["rows_quarantined"]) == (2, 2, 0)
    # Row numbers are the spreadsheet's: header on row 3, data on rows 4 and 5.
    assert env.query(
        "select record_id, source_row from raw.ed_attendances where provider_code = 'RFS' order by 1"
    ).rows() == [("C1", 4), ("C2", 5)]


def test_file_names_with_dot_dot_or_an_impossible_date_are_never_loaded(env: Env):
    folder = _uhdb_path(env).parent
    good = _uhdb_bytes([uhdb_row("A1", "2025-01-15 10:00:00")])
    (folder / "UHDB_ED_20250115_..csv").write_bytes(good)
    (folder / "UHDB_ED_20251345_20250116T0600.csv").write_bytes(good)
    # A correctly named link that points out of the landing area is not a delivery either.
    outside = env.root / "elsewhere.csv"
    outside.write_bytes(good)
    (folder / "UHDB_ED_20250115_20250116T0600.csv").symlink_to(outside)
    run = _run(env)
    assert env.query("select count(*) from raw.ed_attendances where provider_code = 'RTG'").item() == 0
    assert (
        "RTG: files in ed_attendances/uhdb not named as the layout expects, not loaded: "
        "['UHDB_ED_20250115_..csv', 'UHDB_ED_20251345_20250116T0600.csv']" in run.log
    )


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
    with pytest.raises(RegistryError, match=r"(?s)uhdb\.yaml.*must be a relative folder under the landing area"):
        load_feed_configs("ed_attendances", tmp_path)
