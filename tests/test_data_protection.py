"""Nothing identifying leaves ingestion, no formula reaches a spreadsheet, one key per warehouse (domain §7.4)."""

from __future__ import annotations

import io
import json
import re
import unicodedata
import zipfile
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl
import pytest
import xlsxwriter

from pipelines.brief.exports import spreadsheet_safe
from pipelines.ingest import pseudonymise
from pipelines.ingest.pseudonymise import HASHED, KEY_ENV, REMOVED, scrub_nhs_numbers
from pipelines.storage.publish import READER_DB, current
from tests.support.cli import DAY, uec
from tests.support.ingest import ingest
from tests.support.rows import CRH_COLUMNS, UHDB_COLUMNS, crh_row, dhu_row, opel_row, uhdb_row
from tests.support.warehouse import TEST_KEY, Env


def nhs(nine: str) -> str:
    """A valid NHS number: nine digits and the modulus 11 check digit (nine digits whose check is 10 are skipped)."""
    check = (11 - sum(int(d) * (10 - i) for i, d in enumerate(nine)) % 11) % 11
    assert check != 10, nine
    return nine + str(check)


def spaced(number: str) -> str:
    return f"{number[:3]} {number[3:6]} {number[6:]}"


# One planted number per leak path, each valid (so only the scrubbing or masking can hide it).
IN_STRAY_QUOTE_FILE = [nhs("401023213"), nhs("401023214"), nhs("401023215")]
IN_UNMAPPED_COLUMN = nhs("485777345")
IN_UNMAPPED_NOTES = nhs("450557710")
IN_OPEL_COMMENT = nhs("463288752")
IN_MAPPED_ID = nhs("434765919")
# Issue 27: the ways a careless provider still got a number stored.
IN_DOTTED_COMMENT = nhs("472910385")
IN_DOUBLE_SPACED_COMMENT = nhs("481234567")
IN_LINE_BROKEN_COMMENT = nhs("490123456")
IN_FULL_WIDTH_COMMENT = nhs("412345678")
IN_SHIFTED_SHORT_ROW = nhs("423456789")
IN_UNIT = nhs("445566771")
AS_ATTENDANCE_ID = nhs("456789012")
PLANTED = [
    *IN_STRAY_QUOTE_FILE,
    IN_UNMAPPED_COLUMN,
    IN_UNMAPPED_NOTES,
    IN_OPEL_COMMENT,
    IN_MAPPED_ID,
    IN_DOTTED_COMMENT,
    IN_DOUBLE_SPACED_COMMENT,
    IN_LINE_BROKEN_COMMENT,
    IN_FULL_WIDTH_COMMENT,
    IN_SHIFTED_SHORT_ROW,
    IN_UNIT,
    AS_ATTENDANCE_ID,
]
FORMULA = '=HYPERLINK("http://evil.example/x","Click")'
FULL_WIDTH_FORMULA = "＝1+1"
# What may stand between a planted number's digits wherever it turns up: the separators a provider used, and
# the escapes a store writes them as (JSON's "\n", a repr's "\xa0", a log's "\u00a0").
_BETWEEN_DIGITS = r"(?:[^0-9A-Za-z]|\\[ntr]|\\u[0-9a-fA-F]{4}|\\x[0-9a-fA-F]{2}){0,8}"
_WRITTEN_ANYHOW = {n: re.compile(_BETWEEN_DIGITS.join(n)) for n in PLANTED}


def leaks(text: str) -> list[str]:
    """Every planted number found in the text, however it is written (full-width digits read as digits)."""
    text = unicodedata.normalize("NFKC", text)
    return [n for n, pattern in _WRITTEN_ANYHOW.items() if pattern.search(text)]


def test_the_leak_finder_sees_every_way_a_number_was_planted():
    # The scan below is only as good as this: each form the plants use, raw or as a store escapes it.
    n = IN_DOTTED_COMMENT
    a, b, c = n[:3], n[3:6], n[6:]
    forms = [
        n,
        f"{a} {b} {c}",
        f"{a}.{b}.{c}",
        f"{a}  {b}  {c}",
        f"{a}\n{b}\n{c}",
        json.dumps(f"{a}\r\n{b}\n{c}"),  # JSON writes the line breaks as \r\n
        repr(f"{a}\xa0{b}\xa0{c}"),  # a repr writes the no-break spaces as \xa0
        n.translate(str.maketrans("0123456789", "０１２３４５６７８９")),
    ]
    assert [leaks(f"x {form} y") for form in forms] == [[n]] * len(forms)
    assert leaks(f"{HASHED}{'0' * 64} 2025-01-15 10:30:00 {n[:9]}") == []


def test_the_scrubber_removes_valid_nhs_numbers_in_any_spacing_and_counts_them():
    # 9434765919 passes the check; 1234567890 does not (check digit 10), so it is a phone number, not a patient.
    values = pl.Series(
        "comment",
        [
            "call 943 476 5919 back",
            "9434765919 and 943-476-5919",
            "ref 1234567890",
            None,
            "no digits",
            "94347659190",
            "943.476.5919 / 943  476  5919",
            "pt 943\n476\n5919 in bay 4",
            "９４３ ４７６ ５９１９",
        ],
    )
    scrubbed, count = scrub_nhs_numbers(values)
    assert scrubbed.to_list() == [
        f"call {REMOVED} back",
        f"{REMOVED} and {REMOVED}",
        "ref 1234567890",
        None,
        "no digits",
        "94347659190",  # eleven digits: not an NHS number
        f"{REMOVED} / {REMOVED}",
        f"pt {REMOVED} in bay 4",
        REMOVED,
    ]
    assert count == 7


# --- every reader fails in its own way, and its reason names where and what, never the content -----------


def _uhdb_file(env: Env, body: bytes) -> Path:
    path = env.landing / "ed_attendances" / "uhdb" / "UHDB_ED_20250115_20250116T0600.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(body)
    return path


def _uhdb_csv(rows: list[dict[str, str]]) -> str:
    return pl.DataFrame(rows, schema={c: pl.Utf8 for c in UHDB_COLUMNS}).write_csv()


def _rows_with_numbers() -> list[dict[str, str]]:
    return [
        uhdb_row(f"A{i}", "2025-01-15 10:00:00", "2025-01-15 11:00:00", NHS_NUMBER=n)
        for i, n in enumerate(IN_STRAY_QUOTE_FILE)
    ]


def _with_stray_quote() -> bytes:
    # Row 3 (the second record) opens a quote in its arrival mode that never closes: the rest of the file,
    # NHS numbers and all, is one unparsed field, which the CSV parser's own message would quote.
    lines = _uhdb_csv(_rows_with_numbers()).splitlines(keepends=True)
    lines[2] = lines[2].replace(",2,", ',"2,', 1)
    return "".join(lines).encode()


def _with_extra_field() -> bytes:
    second = IN_STRAY_QUOTE_FILE[1]
    return _uhdb_csv(_rows_with_numbers()).replace(second, second + ",extra").encode()


def _in_cp1252() -> bytes:
    return _uhdb_csv(_rows_with_numbers()).replace("A1", "AÉ1").encode("cp1252")


def _without_header() -> bytes:
    return "\n".join(_uhdb_csv(_rows_with_numbers()).splitlines()[1:]).encode()


FAULTS = {
    "unclosed quote": (_with_stray_quote, "unclosed quote from row 3"),
    "not the layout's encoding": (_in_cp1252, "line 3 (byte offset"),
    "no header row": (_without_header, "is the header missing?"),
}


@pytest.mark.parametrize("fault", FAULTS)
def test_a_rejected_csv_is_described_never_quoted(env: Env, fault: str):
    build, expected = FAULTS[fault]
    _uhdb_file(env, build())
    result = ingest(env, other="crh")
    [(provider, name, reason)] = result.rejected_rows()
    assert provider == "RTG" and expected in reason, reason
    assert leaks(reason) == [] and "2025-01-15 10:00" not in reason, reason


def test_a_row_with_more_fields_than_the_header_is_quarantined_and_nothing_of_it_stored(env: Env):
    # One row, not the file: it is quarantined whole, and none of its values (an NHS number among them) is kept.
    _uhdb_file(env, _with_extra_field())
    result = ingest(env, other="crh")
    assert result.rejected_rows() == []
    [(row, column, reason)] = result.reasons(result.quarantined["file_name"][0])
    assert (row, column, reason) == (3, None, "long row: 12 of 11 fields")
    assert result.quarantined.select("value", "record").rows() == [(None, None)]
    assert leaks(str(result.quarantined.rows())) == []


def test_a_workbook_that_cannot_be_read_is_described_never_quoted(env: Env):
    # A "workbook" that is really text holding NHS numbers: the reader's own message may quote it.
    path = env.landing / "ed_attendances" / "crh" / "CRH_AE_2025-01-15_202501170915.xlsx"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(("Attendance Ref;NHS\n" + "\n".join(IN_STRAY_QUOTE_FILE)).encode())
    result = ingest(env, other="uhdb")
    [(provider, _, reason)] = result.rejected_rows()
    assert provider == "RFS" and "not a readable workbook" in reason and leaks(reason) == [], reason


def test_a_quarantined_row_keeps_mapped_columns_only_and_names_the_unmapped_ones(env: Env):
    # CRH sends a Location column the layout does not map; a clerk typed a patient's NHS number into it.
    rows = [crh_row("C1", "15/01/2025 09:00", "15/01/2025 10:00"), crh_row("C2", "31/02/2025 09:00")]
    frame = pl.DataFrame(rows, schema={c: pl.Utf8 for c in CRH_COLUMNS}).with_columns(
        pl.Series("Location", ["Bay 1", f"Bay 4 {spaced(IN_UNMAPPED_COLUMN)}"])
    )
    env.write_crh(DAY, "202501160530", []).write_bytes(frame.write_csv(separator=";").encode("cp1252"))
    result = ingest(env, other="uhdb")
    [record] = result.quarantined.filter(pl.col("source_row") == 3)["record"].unique().to_list()
    stored = json.loads(record)
    assert "Location" not in stored and stored["unmapped_columns_not_stored"] == ["Location"]
    assert stored["Attendance Ref"] == "C2"
    assert leaks(" ".join(str(v) for v in result.quarantined.rows())) == []


def test_free_text_is_scrubbed_before_storage_and_the_count_recorded(env: Env):
    comment = f"Patient {spaced(IN_OPEL_COMMENT)} waiting 14h; call 1234567890"
    env.write_opel(
        "20250115", "202501151130", [opel_row("RTG", "15/01/2025", "15/01/2025 10:30:00", 3, Comment=comment)]
    )
    result = ingest(env, feed="opel_submissions", other=None)
    assert result.loaded["comment"].to_list() == [f"Patient {REMOVED} waiting 14h; call 1234567890"]
    assert result.files["nhs_numbers_removed"].to_list() == [1]


def dotted(number: str) -> str:
    return f"{number[:3]}.{number[3:6]}.{number[6:]}"


def _short_row(record_id: str, number: str) -> str:
    # DTA_DTTM left out, not left empty: every later field slides one column left, the NHS number into AGE_BAND.
    return f"{record_id},RDH,AED,2025-01-15 12:00:00,2025-01-15 13:00:00,2,3,HOM,18-64,{number}\n"


def _frames_text(*frames: pl.DataFrame) -> str:
    return "\n".join(str(row) for frame in frames for row in frame.rows())


def test_a_number_in_a_column_that_is_not_the_nhs_number_column_is_removed_and_counted(env: Env):
    rows = [
        uhdb_row("A1", "2025-01-15 10:00:00", "2025-01-15 11:00:00", UNIT=dotted(IN_UNIT)),
        uhdb_row("A2", "2025-01-15 10:00:00", "2025-01-15 11:00:00", AGE_BAND=spaced(IN_SHIFTED_SHORT_ROW)),
        uhdb_row("A3", "2025-01-15 10:00:00", "2025-01-15 11:00:00"),
    ]
    env.write_uhdb("20250115", "20250116T0600", rows)
    result = ingest(env, other=None)
    # A unit no layout knows leaves the department type unknown (the record counts), the value shown removed.
    assert result.actions("UHDB_ED_20250115_20250116T0600.csv") == [
        (
            2,
            "UNIT",
            "code not in the mapping for department_type: add it under columns.department_type.values in "
            f"{env.feeds_dir}/ed_attendances/uhdb.yaml",
            "value set to unknown",
        ),
        (3, "AGE_BAND", "age band", "value set to unknown"),
    ]
    assert set(result.quarantined["value"]) == {REMOVED}
    assert result.rows(record_id="A2")["age_band"].to_list() == ["unknown"]
    assert result.file("UHDB_ED_20250115_20250116T0600.csv")["nhs_numbers_removed"] == 2
    assert leaks(_frames_text(result.loaded, result.quarantined, result.files)) == []


def test_a_row_one_field_short_stores_the_number_it_slid_nowhere(env: Env):
    path = env.write_uhdb("20250115", "20250116T0600", [uhdb_row("A1", "2025-01-15 10:00:00", "2025-01-15 11:00:00")])
    path.write_bytes(path.read_bytes() + _short_row("A2", spaced(IN_SHIFTED_SHORT_ROW)).encode())
    result = ingest(env, other=None)
    # Whether the short row loads with values unknown or is quarantined whole, its number is in no frame.
    assert result.quarantined.filter(pl.col("source_row") == 3).height > 0
    assert leaks(_frames_text(result.loaded, result.quarantined, result.files)) == []


def test_names_a_provider_chose_are_shown_without_the_number(env: Env):
    # A header holding a number (a file whose header row is really a record, one column renamed), a file named
    # by one, and a reader's reason quoting a column name: each shown, the number taken out.
    rows = [uhdb_row("A1", "2025-01-15 10:00:00", "2025-01-15 11:00:00")]
    extra = pl.DataFrame(rows, schema={c: pl.Utf8 for c in UHDB_COLUMNS}).with_columns(
        pl.lit("x").alias(f"pt {dotted(IN_UNMAPPED_COLUMN)}")
    )
    env.write_uhdb("20250115", "20250116T0600", []).write_bytes(extra.write_csv().encode())
    renamed = extra.rename({"UNIT": f"UNIT {spaced(IN_UNMAPPED_NOTES)}"})
    env.write_uhdb("20250115", "20250116T0500", []).write_bytes(renamed.write_csv().encode())  # read before
    (env.landing / "ed_attendances" / "uhdb" / f"UHDB_ED_{dotted(IN_MAPPED_ID)}.csv").write_text("x")
    result = ingest(env, other=None)
    [unexpected] = result.files["unexpected_columns"].to_list()
    assert unexpected == f"pt {REMOVED}"
    assert result.unrecognised == {"RTG": [f"UHDB_ED_{REMOVED}.csv"]}
    [(_, _, reason)] = result.rejected_rows()
    assert "missing required columns" in reason and REMOVED in reason, reason
    shown = _frames_text(result.files, result.rejected, result.quarantined) + str(result.unrecognised)
    assert leaks(shown) == []


def test_an_attendance_id_that_is_an_nhs_number_is_stored_as_its_keyed_hash(env: Env):
    env.write_uhdb(
        "20250115",
        "20250116T0600",
        [uhdb_row(spaced(AS_ATTENDANCE_ID), "2025-01-15 10:00:00", NHS_NUMBER=AS_ATTENDANCE_ID)],
    )
    result = ingest(env, other=None)
    [record] = result.loaded.select("record_id", "patient_key").rows()
    # The same function and key as the patient key, marked: the stored id is that patient's key.
    assert record == (HASHED + record[1], record[1])
    assert result.file("UHDB_ED_20250115_20250116T0600.csv")["nhs_numbers_removed"] == 1
    assert leaks(_frames_text(result.loaded, result.quarantined, result.files)) == []


def test_a_record_id_that_is_an_nhs_number_still_supersedes_its_earlier_version(env: Env):
    # The 12 March file sends the attendance open, its id the NHS number written spaced; the 13 March file
    # closes it, the id written bare. One attendance, on the 12th, now a breach (22:00 -> 03:00, 300 min).
    env.write_uhdb("20250312", "20250313T0100", [uhdb_row(spaced(AS_ATTENDANCE_ID), "2025-03-12 22:00:00")])
    env.write_uhdb(
        "20250313", "20250314T0500", [uhdb_row(AS_ATTENDANCE_ID, "2025-03-12 22:00:00", "2025-03-13 03:00:00")]
    )
    env.materialize("2025-03-12", "2025-03-13", selection="*raw/ed_attendances*")
    figures = env.query(
        "select date, attendances, breaches, pending from marts.ed_four_hour_daily where attendances > 0"
    ).rows()
    assert [(str(d), a, b, p) for d, a, b, p in figures] == [("2025-03-12", 1, 1, 0)]
    assert env.query("select count(*) from ops.record_ids_reused").item() == 0
    [(record_id,)] = env.query("select distinct record_id from raw.ed_attendances").rows()
    expected = pseudonymise.nhs_number_keys(pl.Series([AS_ATTENDANCE_ID]), TEST_KEY.encode())[0][0]
    assert record_id == HASHED + expected
    assert leaks(_warehouse_text(env.warehouse)) == []


# --- exports: a spreadsheet never runs what a provider typed ----------------------------------------------


def test_text_a_spreadsheet_would_run_is_written_as_text():
    # OWASP's starters, and their full-width, small and superscript forms and the minus sign (issue 27).
    runs = [FORMULA, "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\tx", "\rx"]
    runs += [FULL_WIDTH_FORMULA, "＋1", "－1", "＠SUM(A1)", "﹦1+1", "﹢1", "﹣1", "﹫x", "⁼1", "⁺1", "−1"]
    kept = ["fine", "1=1", " =x", "'already", "–dash is not minus", None]
    frame = pl.DataFrame({"comment": runs + kept, "n": range(len(runs) + len(kept))})
    safe = spreadsheet_safe(frame)
    assert safe["comment"].to_list() == ["'" + r for r in runs] + kept
    assert safe["n"].to_list() == list(range(len(runs) + len(kept)))  # numbers, negative ones included, are left alone


# --- one key for the life of a warehouse --------------------------------------------------------------------


def test_a_run_with_another_key_stops_before_writing_and_rekey_refuses_to_orphan_patient_keys(
    env: Env, monkeypatch: pytest.MonkeyPatch
):
    env.write_uhdb("20250115", "20250116T0600", [uhdb_row("A1", "2025-01-15 10:00:00", NHS_NUMBER=IN_MAPPED_ID)])
    env.materialize(DAY)
    before = env.query("select patient_key from raw.ed_attendances").item()
    fingerprint = env.query("select fingerprint from ops.pseudonymisation_key").item()
    assert len(fingerprint) == 64 and fingerprint != before

    monkeypatch.setenv(KEY_ENV, "a-different-key-0123456789abcdef")
    env.write_uhdb("20250115", "20250117T0600", [uhdb_row("A2", "2025-01-15 11:00:00", NHS_NUMBER=IN_MAPPED_ID)])
    result = env.materialize(DAY, raise_on_error=False)
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE)
    assert "made with another pseudonymisation key" in failure.event_specific_data.error.message
    # Nothing moved: the first file's record and key, and the recorded fingerprint.
    assert env.query("select record_id, patient_key from raw.ed_attendances").rows() == [("A1", before)]
    assert env.query("select fingerprint from ops.pseudonymisation_key").item() == fingerprint

    from pipelines.cli.rekey import rekey

    monkeypatch.setenv("UEC_WAREHOUSE", str(env.warehouse))
    said: list[str] = []
    assert rekey(said.append) == 1
    assert "holds 1 patient keys made with the old key" in said[0]


def test_rekey_adopts_a_new_key_while_the_warehouse_holds_no_patient_keys(env: Env, monkeypatch: pytest.MonkeyPatch):
    env.write_opel("20250115", "202501151130", [opel_row("RTG", "15/01/2025", "15/01/2025 10:30:00", 3)])
    env.materialize(DAY)
    monkeypatch.setenv("UEC_WAREHOUSE", str(env.warehouse))
    monkeypatch.setenv(KEY_ENV, "a-different-key-0123456789abcdef")
    from pipelines.cli.rekey import rekey

    assert rekey(lambda _: None) == 0
    expected = pseudonymise.key_fingerprint(b"a-different-key-0123456789abcdef")
    assert env.query("select fingerprint from ops.pseudonymisation_key").item() == expected


def test_rekey_refuses_while_a_record_id_is_a_keyed_hash(env: Env, monkeypatch: pytest.MonkeyPatch):
    # No patient key at all, but an attendance id that is an NHS number: a new key would give its re-send
    # another id, and the attendance would count twice.
    env.write_uhdb("20250115", "20250116T0600", [uhdb_row(AS_ATTENDANCE_ID, "2025-01-15 10:00:00")])
    env.materialize(DAY)
    assert env.query("select count(patient_key) from raw.ed_attendances").item() == 0
    monkeypatch.setenv("UEC_WAREHOUSE", str(env.warehouse))
    monkeypatch.setenv(KEY_ENV, "a-different-key-0123456789abcdef")
    from pipelines.cli.rekey import rekey

    said: list[str] = []
    assert rekey(said.append) == 1
    assert "holds 1 patient keys made with the old key (record ids that are NHS numbers included)" in said[0]


def test_feeds_check_never_creates_a_key(env: Env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys):
    from pipelines.cli.main import main

    local = tmp_path / ".env"
    monkeypatch.setenv("UEC_ENV_FILE", str(local))
    monkeypatch.delenv(KEY_ENV)
    path = env.write_uhdb("20250115", "20250116T0600", [uhdb_row("A1", "2025-01-15 10:00:00", NHS_NUMBER=IN_MAPPED_ID)])
    assert main(["feeds", "check", "uhdb", str(path)]) == 2
    assert not local.exists()
    assert f"{KEY_ENV} is not set" in capsys.readouterr().out


# --- the leak scan: every path at once, as an analyst runs it --------------------------------------------------


LATER_UHDB = "UHDB_ED_20250115_20250116T0700.csv"


def _plant_everything(env: Env) -> None:
    # 1. UHDB: a stray quote makes the 06:00 file unreadable; its rows hold NHS numbers.
    _uhdb_file(env, _with_stray_quote())
    # 1b. UHDB's 07:00 file, read instead: a number in UNIT, a number as the attendance id, and a row one field
    # short whose number slides into AGE_BAND.
    later = env.write_uhdb(
        "20250115",
        "20250116T0700",
        [
            uhdb_row("B1", "2025-01-15 09:00:00", "2025-01-15 10:00:00"),
            uhdb_row("B2", "2025-01-15 09:30:00", "2025-01-15 10:00:00", UNIT=dotted(IN_UNIT)),
            uhdb_row(AS_ATTENDANCE_ID, "2025-01-15 10:00:00", "2025-01-15 11:00:00"),
        ],
    )
    later.write_bytes(later.read_bytes() + _short_row("B4", IN_SHIFTED_SHORT_ROW).encode())
    assert later.name == LATER_UHDB
    # 2. CRH: a quarantined row (impossible date) with an NHS number typed into the unmapped Location column.
    rows = [crh_row("C1", "15/01/2025 09:00", "15/01/2025 10:00"), crh_row("C2", "31/02/2025 09:00")]
    crh = pl.DataFrame(rows, schema={c: pl.Utf8 for c in CRH_COLUMNS}).with_columns(
        pl.Series("Location", ["Bay 1", f"Bay 4 {spaced(IN_UNMAPPED_COLUMN)}"])
    )
    env.write_crh(DAY, "202501160530", []).write_bytes(crh.write_csv(separator=";").encode("cp1252"))
    # 3. DHU: an unmapped Notes column, on a good row and on a quarantined one (unknown outcome).
    dhu = pl.DataFrame(
        [
            dhu_row("D1", "EMAS_C3", "2025-01-15T10:00:00", "2025-01-15T10:05:00", "SELF_CARE"),
            dhu_row("D2", "EMAS_C3", "2025-01-15T11:00:00", "2025-01-15T11:05:00", "XFER"),
        ]
    ).with_columns(pl.Series("Notes", [f"NHS {IN_UNMAPPED_NOTES}", f"pt {spaced(IN_UNMAPPED_NOTES)}"]))
    path = env.write_dhu("20250115", "202501160300", [])
    path.write_text(dhu.write_csv())
    # 4. OPEL: NHS numbers in comments, written every way a person might, and comments that are live formulas.
    line_broken = IN_LINE_BROKEN_COMMENT
    full_width = IN_FULL_WIDTH_COMMENT.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    comments = {
        "RTG": f"pt {spaced(IN_OPEL_COMMENT)} 14h",
        "RFS": FORMULA,
        "RY8": f"pt {dotted(IN_DOTTED_COMMENT)} waiting",
        "RXM": f"pt {IN_DOUBLE_SPACED_COMMENT[:3]}  {IN_DOUBLE_SPACED_COMMENT[3:6]}  {IN_DOUBLE_SPACED_COMMENT[6:]}",
        # Broken across lines inside the quoted field, as a clerk pressing Enter in a spreadsheet cell leaves it.
        "RX9": f"pt {line_broken[:3]}\r\n{line_broken[3:6]}\n{line_broken[6:]} in resus",
        "DHU": f"{FULL_WIDTH_FORMULA} pt {full_width}",
    }
    env.write_opel(
        "20250115",
        "202501151130",
        [
            opel_row(org, "15/01/2025", f"15/01/2025 10:{30 + i}:00", 3, Comment=c)
            for i, (org, c) in enumerate(comments.items())
        ],
    )


def _warehouse_text(path: Path) -> str:
    with duckdb.connect(str(path), read_only=True) as conn:
        tables = conn.sql(
            "select table_schema, table_name from information_schema.tables where table_type = 'BASE TABLE'"
        ).fetchall()
        return "\n".join(
            str(row) for schema, table in tables for row in conn.sql(f'select * from "{schema}"."{table}"').fetchall()
        )


def _reader_database_text(path: Path) -> str:
    """Every view of a published reader database, read as a reader would (its Parquet is compressed on disk)."""
    with duckdb.connect(str(path), read_only=True) as conn:
        conn.execute(f"set file_search_path = '{path.parent}'")
        views = conn.sql("select schema_name, view_name from duckdb_views() where not internal").fetchall()
        assert views, f"{path} holds no views: the scan would see nothing"
        return "\n".join(
            str(row) for schema, view in views for row in conn.sql(f'select * from "{schema}"."{view}"').fetchall()
        )


def _files_text(folder: Path) -> str:
    texts = []
    for path in folder.rglob("*"):
        if not path.is_file():
            continue
        if path.suffix == ".parquet":
            # Compressed on disk: read as a reader would, not as bytes.
            texts += [str(row) for row in pl.read_parquet(path).rows()]
            continue
        if path.suffix == ".duckdb":
            texts.append(_reader_database_text(path))
            continue
        data = path.read_bytes()
        if path.suffix == ".xlsx":
            with zipfile.ZipFile(io.BytesIO(data)) as book:
                texts += [book.read(n).decode("utf-8", "replace") for n in book.namelist()]
        else:
            texts.append(data.decode("utf-8", "replace"))
    return "\n".join(texts)


def _runs_in_a_spreadsheet(value: str) -> bool:
    return bool(value) and re.match(r"[=+\-@\t\r\u2212]", unicodedata.normalize("NFKC", value[0])) is not None


def test_no_planted_number_reaches_any_store_log_or_report_and_no_cell_is_live(env: Env):
    _plant_everything(env)
    refresh = uec(env, "refresh", "--date", DAY)
    report = uec(env, "report", "--date", DAY)
    # The unreadable 06:00 UHDB file is superseded by the 07:00 one, so its rejection is a warning, not an error.
    assert refresh.returncode == 0, refresh.stdout + refresh.stderr
    assert "unclosed quote from row 3" in refresh.stdout
    assert report.returncode == 0, report.stdout + report.stderr

    console = "\n".join([refresh.stdout, refresh.stderr, report.stdout, report.stderr])
    published = current(env.root / "reports" / "published")
    assert published is not None and any(published.rglob("*.parquet")), "nothing was published to scan"
    stores = {
        "console": console,
        "warehouse": _warehouse_text(env.warehouse),
        "dagster storage": _files_text(env.root / "dagster_home"),
        "reports": _files_text(env.root / "reports"),
        "published Parquet": "\n".join(str(r) for f in published.rglob("*.parquet") for r in pl.read_parquet(f).rows()),
        "reader database": _reader_database_text(published / READER_DB),
    }
    assert {where: leaks(text) for where, text in stores.items()} == {where: [] for where in stores}

    # The paths were exercised: every comment scrubbed, the UHDB plants loaded or quarantined, the formulas exported.
    comments = dict(env.query("select org_code, comment from raw.opel_submissions").rows())
    assert comments == {
        "RTG": f"pt {REMOVED} 14h",
        "RFS": FORMULA,
        "RY8": f"pt {REMOVED} waiting",
        "RXM": f"pt {REMOVED}",
        "RX9": f"pt {REMOVED} in resus",
        "DHU": f"{FULL_WIDTH_FORMULA} pt {REMOVED}",
    }
    assert env.query("select nhs_numbers_removed from ops.source_files where provider_code = 'QJ2'").item() == 5
    assert env.query("select count(*) from raw.ed_attendances where record_id like 'hashed:%'").item() == 1
    unit = env.query(
        "select value from ops.quarantine where file_name = $f and source_column = 'UNIT'", f=LATER_UHDB
    ).item()
    assert unit == REMOVED
    assert env.query("select count(*) from ops.quarantine where provider_code in ('RFS', 'DHU')").item() >= 2
    assert env.query("select count(*) from ops.quarantine where file_name = $f and source_row = 5", f=LATER_UHDB).item()
    parquet_comments = pl.concat(pl.read_parquet(f) for f in (published / "marts" / "opel_daily").rglob("*.parquet"))
    assert f"pt {REMOVED} waiting" in parquet_comments["comment"].to_list()
    workbook = next((env.root / "reports").glob("marts-*.xlsx"))
    with zipfile.ZipFile(workbook) as book:
        sheets = [book.read(n).decode() for n in book.namelist() if n.startswith("xl/worksheets/sheet")]
        shared = book.read("xl/sharedStrings.xml").decode() if "xl/sharedStrings.xml" in book.namelist() else ""
    assert not any(re.search(r"<f[ >]", sheet) for sheet in sheets), "a workbook cell is a formula"
    assert "'=HYPERLINK" in shared or "&apos;=HYPERLINK" in shared
    assert f"'{FULL_WIDTH_FORMULA}" in shared or f"&apos;{FULL_WIDTH_FORMULA}" in shared
    # Opened as a spreadsheet reader sees it, no text cell would run.
    for sheet_name, sheet in pl.read_excel(workbook, sheet_id=0).items():
        for column in sheet.select(pl.col(pl.Utf8)).iter_columns():
            assert not any(_runs_in_a_spreadsheet(v) for v in column.drop_nulls()), (sheet_name, column.name)
    for csv_path in (env.root / "reports").glob("marts-*/*.csv"):
        for field in pl.read_csv(csv_path, infer_schema=False).iter_rows():
            assert not any(v is not None and _runs_in_a_spreadsheet(v) for v in field), (csv_path.name, field)


def test_the_workbook_writer_makes_no_formula_from_a_string(tmp_path: Path):
    # The writer itself, below the apostrophe: xlsxwriter turns "=..." into a formula unless told not to.
    from pipelines.brief import exports

    book = xlsxwriter.Workbook(str(tmp_path / "b.xlsx"), exports.WORKBOOK_OPTIONS)
    pl.DataFrame({"x": [FORMULA, "http://evil.example/"]}).write_excel(workbook=book, worksheet="s")
    book.close()
    with zipfile.ZipFile(tmp_path / "b.xlsx") as zipped:
        sheet = zipped.read("xl/worksheets/sheet1.xml").decode()
        assert "<f>" not in sheet and "hyperlink" not in sheet.lower()
