"""The `uec` command, run as an analyst runs it: refresh, status, feeds check and help, each a subprocess."""

from __future__ import annotations

import os

import dagster as dg
import pytest

from schemas import catalogue
from tests.support.cli import DAY, three_uhdb_attendances, three_uhdb_rows, uec
from tests.support.rows import crh_row, uhdb_row
from tests.support.warehouse import Env


def test_refresh_shows_progress_summary_and_lands_in_the_instance(env: Env):
    three_uhdb_attendances(env)
    # UHDB's 07:00 re-send of the 15th (its whole day again: resend: full) also carries A0, which arrived 23:40 on
    # the 14th: it counts on the 14th (docs/domain.md §7.1), so the 15th's refresh rebuilds the 14th too and says so.
    env.write_uhdb(
        "20250115",
        "20250116T0700",
        [uhdb_row("A0", "2025-01-14 23:40:00", "2025-01-15 01:00:00"), *three_uhdb_rows()],
    )
    done = uec(env, "refresh", "--date", DAY)
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "also rebuilt marts/ed_four_hour_daily for 2025-01-14: this run's files carry its records" in out
    by_day = env.query("select date::varchar, sum(attendances) from marts.ed_four_hour_daily group by all order by 1")
    assert by_day.rows() == [("2025-01-14", 1), ("2025-01-15", 3)]
    # Progress per asset as it goes, then the summary: one line per step, as it ends, never twice.
    assert (
        out.index("ok  raw/ed_attendances") < out.index("ok  marts/ed_four_hour_daily") < out.index("Rows per provider")
    )
    progress = [line for line in out[: out.index("Rows per provider")].splitlines() if line.startswith("  ok  ")]
    assert len(progress) == len(set(progress)) and not any(line.startswith("  ... ") for line in out.splitlines())
    assert "ed_attendances       RTG    2 file(s)         7 read         7 loaded      0 quarantined" in out
    # Chesterfield sent nothing: warnings name it, and the refresh still succeeds.
    assert "WARN  raw/ed_attendances every_provider_arrived_on_time: MISSING: RFS (Chesterfield Royal Hospital)" in out
    assert "WARN  raw/ed_attendances every_expected_provider_present: 1 row(s) failed: 2025-01-15 RFS" in out
    assert "only warnings failed" in out
    headline = next(line for line in out.splitlines() if "System 4-hour performance" in line)
    assert headline.rstrip().endswith("66.7%")  # 2 within 4 hours / 3 attendances (A0 is the 14th's)
    # The overnight job ends with the day's brief and its Data Docs, each as a file:// URL a terminal makes clickable.
    brief = env.root / "reports" / f"brief-{DAY}.html"
    assert f"Morning brief for {DAY}: {brief.resolve().as_uri()}" in out and brief.is_file()
    docs = env.root / "reports" / "data_docs" / "index.html"
    assert f"Data Docs (great-expectations, what passed and failed): {docs.resolve().as_uri()}" in out
    assert docs.is_file()
    # And publishes the marts for readers who must not open the warehouse (tests/test_published.py).
    reader = env.root / "reports" / "published" / "current" / "uec_marts.duckdb"
    assert f"Marts published for readers ({len(catalogue.published_tables())} tables): {reader}" in out
    assert reader.is_file()
    # The run is in the persistent instance the UI reads, tagged as the analyst's.
    os.environ["DAGSTER_HOME"], saved = str(env.root / "dagster_home"), os.environ.get("DAGSTER_HOME")
    try:
        with dg.DagsterInstance.get() as instance:
            runs = instance.get_runs(filters=dg.RunsFilter(tags={"uec/trigger": "uec refresh"}))
            assert [(r.job_name, r.status, r.tags["dagster/partition"]) for r in runs] == [
                ("daily_refresh", dg.DagsterRunStatus.SUCCESS, DAY)
            ]
    finally:
        if saved is None:
            del os.environ["DAGSTER_HOME"]
        else:
            os.environ["DAGSTER_HOME"] = saved


def test_refresh_with_one_bad_provider_loads_the_rest_and_names_it(env: Env):
    three_uhdb_attendances(env).write_text("ATTENDANCE_ID;SITE\n", encoding="utf-8")
    env.write_crh(DAY, "202501160530", [crh_row("C1", "15/01/2025 09:00", "15/01/2025 10:30")])
    done = uec(env, "refresh", "--date", DAY)
    assert done.returncode == 1
    out = done.stdout
    assert "ed_attendances       RFS    1 file(s)         1 read         1 loaded      0 quarantined" in out
    assert "RTG  REJECTED UHDB_ED_20250115_20250116T0600.csv" in out
    assert "1 check(s) failed" in out and "every_landed_file_readable: Rejected: RTG" in out
    assert env.query("select attendances from marts.ed_four_hour_daily where site_code = 'RFSDA'").item() == 1


def test_status_names_late_missing_and_loaded_providers(env: Env):
    three_uhdb_attendances(env)
    # A file the provider named its own way: no layout will load it, and both commands say so.
    (env.landing / "ed_attendances" / "uhdb" / "RTG ED 15-01-2025.csv").write_text("ATTENDANCE_ID\n")
    # CRH's first file for the day was extracted at 09:15, after it was due at 06:30: late.
    env.write_crh(DAY, "202501160915", [crh_row("C1", "15/01/2025 09:00", "15/01/2025 10:30")])
    refreshed = uec(env, "refresh", "--date", DAY)
    assert refreshed.returncode == 0
    assert "RTG  NOT LOADED, not named as the layout expects: ['RTG ED 15-01-2025.csv'] (file_pattern ^UHDB_ED_" in (
        refreshed.stdout
    )
    done = uec(env, "status", "--date", DAY)
    assert done.returncode == 1
    assert "NOT LOADED, named as the layout does not expect (ed_attendances/uhdb): ['RTG ED 15-01-2025.csv']" in (
        done.stdout
    )
    lines = {tuple(line.split()[:2]): line for line in done.stdout.splitlines() if line.startswith("  ")}
    assert (
        "1 file(s), first 16 Jan 06:00" in lines[("ed_attendances", "RTG")]
        and "LATE" not in lines[("ed_attendances", "RTG")]
    )
    assert "first 16 Jan 09:15 LATE" in lines[("ed_attendances", "RFS")]
    assert "MISSING, overdue" in lines[("ambulance_handovers", "RX9")]
    assert "sent only when needed" in lines[("handover_sitrep", "RTG")]
    rtg = lines[("ed_attendances", "RTG")].split()
    # loaded, quarantined, with a value unknown, duplicate rows ignored, last run outcome
    assert rtg[-6:-2] == ["3", "0", "0", "0"] and rtg[-2] == "success"


def test_feeds_check_reports_without_writing(env: Env):
    path = env.write_uhdb(
        "20250115",
        "20250116T0600",
        [
            uhdb_row("A1", "2025-01-15 10:00:00", "2025-01-15 12:00:00"),
            uhdb_row("B1", "2025-01-15 10:00:00", "2025-01-15 09:00:00"),  # departs before arrival: row 3
        ],
    )
    done = uec(env, "feeds", "check", "uhdb", str(path))
    assert done.returncode == 1
    assert (
        "rows read 2: would load 1 (0 with a value set to unknown), would quarantine 1, would ignore 0" in done.stdout
    )
    assert "DEPARTURE_DTTM: not before arrival -> record quarantined  rows 3" in done.stdout
    assert not env.warehouse.exists()
    assert uec(env, "feeds", "check", "RX9", str(path)).returncode == 2  # not an EMAS file name
    path.write_bytes(b"")
    rejected = uec(env, "feeds", "check", "RTG", str(path))
    assert rejected.returncode == 1 and "REJECTED" in rejected.stdout and "empty" in rejected.stdout


@pytest.mark.parametrize(
    "command, options",
    [
        ([], ["refresh", "status", "backup", "restore", "feeds", "rekey", "UEC_WAREHOUSE", "DAGSTER_HOME"]),
        (["refresh"], ["--date", "--from", "--to", "--feed", "Exit status"]),
        (["status"], ["--date", "Exit status"]),
        (["backup"], ["--to", "consistent", "damaged", "Exit status"]),
        (["restore"], ["FILE", "damaged", "write-ahead log", "Refused while", "Exit status"]),
        (["feeds", "check"], ["PROVIDER", "FILE", "Writes nothing", "Exit status"]),
        (["rekey"], ["one pseudonymisation key for life", "never stored", "Exit status"]),
        (["public", "load"], ["PUBLICATION", "winter_sitrep", "sha256", "Exit status"]),
    ],
)
def test_help_is_complete(env: Env, command: list[str], options: list[str]):
    done = uec(env, *command, "--help")
    assert done.returncode == 0
    text = " ".join(done.stdout.split())
    for option in options:
        assert option in text, option
