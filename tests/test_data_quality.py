"""Checks the SCC can trust: learned bounds (hand-worked), GX Data Docs, presence, freshness, blocking."""

from __future__ import annotations

import math
from datetime import date, timedelta

import dagster as dg
import duckdb
import polars as pl
import pytest

from pipelines.metadata import file_url
from pipelines.quality.data_docs_offline import network_loads
from pipelines.quality.gx_suites import expectation_frame, validate
from schemas.catalogue import expectations
from tests.support.rows import uhdb_row
from tests.support.warehouse import Env

VOLUME = next(e for e in expectations() if e.suite_name == "ed_four_hour_daily.site_volumes_within_trailing_bounds")
DAY = date(2025, 1, 15)


def _volumes(conn: duckdb.DuckDBPyConnection, site: str, values: list[int], first: date) -> None:
    for offset, value in enumerate(values):
        conn.execute(
            "insert into marts.ed_four_hour_daily values (?, 'T', ?, 1, ?)",
            [first + timedelta(days=offset), site, value],
        )


def test_volume_bounds_hand_worked_and_data_docs_name_the_failure(tmp_path):
    conn = duckdb.connect(str(tmp_path / "w.duckdb"))
    conn.execute("create schema marts")
    conn.execute(
        "create table marts.ed_four_hour_daily (date date, trust_code varchar, site_code varchar, "
        "department_type integer, attendances integer)"
    )
    # SITE_A, 1-14 Jan alternating 8 and 12: mean 10; sample SD = sqrt(14 x 2^2 / 13) = 2.0755;
    #   3 SD = 6.2265 > 25% of 10 = 2.5, so bounds 10 -/+ 6.2265 = [3.7735, 16.2265]. 15 Jan: 17 is above.
    _volumes(conn, "SITE_A", [8, 12] * 7 + [17], date(2025, 1, 1))
    # SITE_B, 14 days of 10: SD 0, so the 25% floor applies: [7.5, 12.5]. 15 Jan: 12 is within.
    _volumes(conn, "SITE_B", [10] * 14 + [12], date(2025, 1, 1))
    # SITE_C, only 13 days of history (2-14 Jan): fewer than 14, so no bounds yet; 100 is listed, not judged.
    _volumes(conn, "SITE_C", [10] * 13 + [100], date(2025, 1, 2))
    frame = expectation_frame(conn, VOLUME, DAY, DAY, [])
    rows = {r["subject"]: r for r in frame.iter_rows(named=True)}
    sd = math.sqrt(14 * 4 / 13)
    assert rows["SITE_A"]["lower_bound"] == pytest.approx(10 - 3 * sd) and rows["SITE_A"][
        "upper_bound"
    ] == pytest.approx(10 + 3 * sd)
    assert (rows["SITE_B"]["lower_bound"], rows["SITE_B"]["upper_bound"]) == (7.5, 12.5)
    assert rows["SITE_C"]["history_days"] == 13 and rows["SITE_C"]["lower_bound"] is None

    reports = tmp_path / "reports"
    [outcome] = validate({VOLUME: frame}, reports)
    assert not outcome.passed
    assert outcome.failing["subject"].to_list() == ["SITE_A"]
    assert outcome.evaluated_rows == 2  # A and B judged; C has no bounds yet
    index = (reports / "data_docs" / "index.html").read_text(encoding="utf-8")
    assert VOLUME.suite_name in index
    [page] = (reports / "data_docs" / "validations").rglob("*.html")
    text = page.read_text(encoding="utf-8")
    assert "SITE_A" in text and "SITE_B" not in text  # the failing row is named; the passing one is not listed
    # Every page (the suite's and the day's too) opens with no network: tests/test_brief_browser.py renders them.
    pages = list((reports / "data_docs").rglob("*.html"))
    assert {p.relative_to(reports / "data_docs").parts[0] for p in pages} == {
        "index.html",
        "expectations",
        "validations",
        "days",
    }
    assert len(pages) == 4 and [u for p in pages for u in network_loads(p.read_text(encoding="utf-8"))] == []


def _check(result: dg.ExecuteInProcessResult, asset: str, name: str) -> dg.AssetCheckEvaluation:
    return next(
        e
        for e in result.get_asset_check_evaluations()
        if e.check_name == name and e.asset_key.to_user_string() == asset
    )


def test_a_missing_provider_is_named_by_gx_by_freshness_and_in_data_docs(env: Env):
    # UHDB sends; Chesterfield (RFS) sends nothing for the day.
    env.write_uhdb("20250115", "20250116T0600", [uhdb_row("A1", "2025-01-15 10:00:00", "2025-01-15 12:00:00")])
    result = env.materialize("2025-01-15", expectations=True)
    assert result.success  # warnings, not failures: the marts are built
    present = _check(result, "raw/ed_attendances", "every_expected_provider_present")
    assert not present.passed and present.severity == dg.AssetCheckSeverity.WARN
    assert present.description == "1 row(s) failed: 2025-01-15 RFS"
    fresh = _check(result, "raw/ed_attendances", "every_provider_arrived_on_time")
    assert (
        not fresh.passed
        and "MISSING: RFS (Chesterfield Royal Hospital) 2025-01-15: no file, due 16 Jan 06:30" in fresh.description
    )
    assert "RTG" not in fresh.description  # UHDB's 06:00 extract beat its 07:00 deadline
    assert _check(result, "raw/ed_attendances", "no_gaps_in_daily_series").passed
    pages = list((env.root / "reports" / "data_docs" / "validations").rglob("*every_expected_provider_present*.html"))
    ed_page = next(p for p in pages if "ed_attendances" in str(p))
    assert "RFS" in ed_page.read_text(encoding="utf-8")
    # The UI links the site by an absolute file:// URL a browser opens, with the path beside it to copy.
    docs = env.root / "reports" / "data_docs" / "index.html"
    assert isinstance(present.metadata["data_docs"], dg.UrlMetadataValue)
    assert present.metadata["data_docs"].value == docs.resolve().as_uri()
    assert present.metadata["data_docs_path"].value == str(docs)


def test_file_urls_are_absolute_and_percent_encoded(tmp_path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    # A relative path, and characters a URL must escape: the space and '#' (which would start a fragment).
    assert file_url("SCC reports/brief #2.html") == f"file://{tmp_path.resolve()}/SCC%20reports/brief%20%232.html"


def test_a_failed_blocking_check_stops_the_downstream_mart_in_the_same_run(env: Env, monkeypatch: pytest.MonkeyPatch):
    import assets.raw

    env.write_uhdb("20250115", "20250116T0600", [uhdb_row("A1", "2025-01-15 10:00:00", "2025-01-15 12:00:00")])

    # The warehouse's recheck of record keys finds a duplicate (as if the contract had let one through).
    real = assets.raw.unique_keys_result

    def duplicate_found(conn, feed, first, last):
        if feed.name != "ed_attendances":
            return real(conn, feed, first, last)
        return dg.AssetCheckResult(
            check_name="record_keys_unique_per_file", passed=False, metadata={"duplicate_keys": 1}
        )

    monkeypatch.setattr(assets.raw, "unique_keys_result", duplicate_found)
    # Every feed: the other feeds' marts building in the same run is the point.
    result = env.materialize("2025-01-15", raise_on_error=False, selection="*")
    assert not _check(result, "raw/ed_attendances", "record_keys_unique_per_file").passed
    materialized = {
        m.event_specific_data.materialization.asset_key.to_user_string()
        for m in result.get_asset_materialization_events()
    }
    assert "raw/ed_attendances" in materialized
    assert "marts/ed_four_hour_daily" not in materialized
    assert "marts/cnh_deflection_daily" in materialized  # other feeds' marts still build
    assert env.query("select count(*) from raw.ed_attendances").item() == 1
    assert env.query("select count(*) from marts.ed_four_hour_daily").item() == 0


NHS_VALID, NHS_INVALID = "9990000018", "9990000019"  # the second fails the modulus 11 check


def test_no_patient_identifier_reaches_warehouse_quarantine_logs_checks_or_reports(
    env: Env, capfd: pytest.CaptureFixture
):
    env.write_uhdb(
        "20250115",
        "20250116T0600",
        [
            uhdb_row("P1", "2025-01-15 10:00:00", "2025-01-15 11:00:00", NHS_NUMBER=NHS_VALID),
            uhdb_row("P2", "2025-01-15 10:00:00", "2025-01-15 11:00:00", NHS_NUMBER=NHS_INVALID),
            uhdb_row(
                "P3", "2025-01-15 10:00:00", "2025-01-15 09:00:00", NHS_NUMBER=NHS_VALID
            ),  # quarantined for its times
        ],
    )
    instance = dg.DagsterInstance.ephemeral()
    result = env.materialize("2025-01-15", expectations=True, instance=instance, brief=True)
    assert result.success
    places = {}
    with duckdb.connect(str(env.warehouse), read_only=True) as conn:
        relations = conn.sql(
            "select schema_name, table_name from duckdb_tables() union all "
            "select schema_name, view_name from duckdb_views() where not internal"
        ).fetchall()
        places["warehouse"] = " ".join(str(conn.sql(f'select * from "{s}"."{t}"').fetchall()) for s, t in relations)
    places["event log and check metadata"] = " ".join(dg.serialize_value(e) for e in instance.all_logs(result.run_id))
    # Workbooks are zipped XML: read their cells, not their bytes.
    places["reports"] = " ".join(
        " ".join(str(sheet.rows()) for sheet in pl.read_excel(p, sheet_id=0).values())
        if p.suffix == ".xlsx"
        else p.read_text(encoding="utf-8", errors="replace")
        for p in (env.root / "reports").rglob("*")
        if p.is_file()
    )
    captured = capfd.readouterr()
    places["console"] = captured.out + captured.err
    # The scan can see: P1's keyed hash is stored, and both quarantined rows are there, named.
    assert len(env.query("select patient_key from raw.ed_attendances where record_id = 'P1'").item()) == 64
    assert (
        "P2" in places["warehouse"]
        and "P3" in places["warehouse"]
        and "ASSET_CHECK_EVALUATION" in places["event log and check metadata"]
    )
    assert "data_docs" in places["reports"] or (env.root / "reports" / "data_docs" / "index.html").exists()
    assert "UEC morning brief" in places["reports"]  # the brief and its exports are scanned too
    for where, text in places.items():
        assert NHS_VALID not in text and NHS_INVALID not in text, where
        assert "999 000 0018" not in text, where
