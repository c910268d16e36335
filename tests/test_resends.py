"""A real day's full re-send that fails validation never empties the day (issue 26 item 3), through `uec` as an
analyst runs it, and one bad row in a re-send leaves that record's earlier version counting.

The day is the bundled sample file for UHDB on 21 March 2025 (621 attendances); UHDB's layout sends full re-sends.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl

from tests.support.cli import uec
from tests.support.warehouse import Env

SAMPLE = (
    Path(__file__).resolve().parents[1]
    / "data_samples"
    / "landing"
    / "ed_attendances"
    / "uhdb"
    / "UHDB_ED_20250321_20250322T0600.csv"
)
RESEND = "UHDB_ED_20250321_20250322T0900.csv"
DAY = "2025-03-21"


def _land_the_sample(env: Env) -> pl.DataFrame:
    folder = env.landing / "ed_attendances" / "uhdb"
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(SAMPLE, folder / SAMPLE.name)
    return pl.read_csv(SAMPLE, infer_schema=False)


def _attendances(env: Env) -> int:
    return env.query(
        "select coalesce(sum(attendances), 0) from marts.ed_four_hour_daily where date = $day and trust_code = 'RTG'",
        day=DAY,
    ).item()


def test_a_full_resend_in_another_date_format_leaves_the_day_and_says_so(env: Env):
    rows = _land_the_sample(env)
    first = uec(env, "refresh", "--date", DAY, "--feed", "ed_attendances")
    assert "Refresh finished" in first.stdout, first.stdout + first.stderr
    assert _attendances(env) == 621
    # The re-send of the whole day writes every time as 21/03/2025 00:02, a format the layout does not read.
    stamps = ("ARRIVAL_DTTM", "DEPARTURE_DTTM", "DTA_DTTM")
    resent = rows.with_columns(
        pl.col(c).str.strptime(pl.Datetime, "%Y-%m-%d %H:%M:%S", strict=False).dt.strftime("%d/%m/%Y %H:%M")
        for c in stamps
    )
    resent.write_csv(env.landing / "ed_attendances" / "uhdb" / RESEND)
    again = uec(env, "refresh", "--date", DAY, "--feed", "ed_attendances")
    # Before the fix: every earlier record withdrawn and no UHDB row at all. Now the earlier file still counts.
    assert _attendances(env) == 621
    assert again.returncode == 1, again.stdout
    assert "every_resent_record_was_accepted" in again.stdout and RESEND in again.stdout
    assert f"RE-SENT WITH A FAULT ({DAY}): 621 re-sent row(s) in {RESEND} failed validation" in again.stdout
    status = uec(env, "status", "--date", DAY)
    assert f"RE-SENT WITH A FAULT: 621 re-sent row(s) in {RESEND}" in status.stdout, status.stdout
    assert "CHECK FAILED raw/ed_attendances every_resent_record_was_accepted" in status.stdout
    report = uec(env, "report", "--date", DAY)
    assert report.returncode == 0, report.stdout + report.stderr
    html = (env.root / "reports" / f"brief-{DAY}.html").read_text(encoding="utf-8")
    assert 'data-resend="resent_with_fault"' in html and RESEND in html
    assert 'data-problem="re-sent with a fault"' in html


def test_one_bad_row_in_a_real_full_resend_keeps_that_attendance(env: Env):
    rows = _land_the_sample(env)
    env.materialize(DAY, selection="*raw/ed_attendances*")
    assert _attendances(env) == 621
    # The re-send is the same day with one departure before its arrival (row 2, the first attendance, arrived
    # 00:02): quarantined whole. Before the fix that attendance was withdrawn: 620.
    resent = rows.with_columns(
        pl.when(pl.int_range(pl.len()) == 0)
        .then(pl.lit("2025-03-20 23:00:00"))
        .otherwise("DEPARTURE_DTTM")
        .alias("DEPARTURE_DTTM")
    )
    resent.write_csv(env.landing / "ed_attendances" / "uhdb" / RESEND)
    env.materialize(DAY, selection="*raw/ed_attendances*")
    assert _attendances(env) == 621
    kept = env.query("select file_name, source_row, kept_file from ops.records_resent_with_fault").rows()
    assert kept == [(RESEND, 2, SAMPLE.name)]
    assert env.query("select count(*) from ops.records_withdrawn").item() == 0
