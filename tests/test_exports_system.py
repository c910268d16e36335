"""The call pack holds the brief's system alone where the warehouse holds several (England): every exported mart is
filtered by its site, trust, provider or system, and a neighbouring system's rows stay out."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import polars as pl

from pipelines.brief.exports import DAY_MARTS, export_marts, home_rows
from pipelines.storage.warehouse import ensure_schema, insert_frame

DAY = date(2025, 3, 31)


def _warehouse(path: Path) -> duckdb.DuckDBPyConnection:
    conn = duckdb.connect(str(path))
    ensure_schema(conn)
    sites = pl.DataFrame(
        {
            "site_code": ["RTG01", "XX101"],
            "site_name": ["Royal Derby Hospital", "Elsewhere General"],
            "trust_code": ["RTG", "XX1"],
            "trust_name": ["University Hospitals of Derby and Burton", "Elsewhere Trust"],
            "system_code": ["QJ2", "QXX"],
            "system_name": ["Derby and Derbyshire ICB", "Elsewhere ICB"],
            "ods_checked": ["no", "no"],
        }
    )
    insert_frame(conn, "ref.sites", sites)
    # One site-day in each system: 10 attendances, 8 within 4 hours, 2 breaches, at each.
    conn.execute(
        "insert into marts.ed_four_hour_daily by name select $day as date, trust_code, site_code, "
        "1 as department_type, 10 as attendances, 8 as within_4h, 2 as breaches, 0 as pending, 0 as over_12h, "
        "80.0 as pct_within_4h, 0.0 as pct_over_12h, 'patient_level' as source from ref.sites",
        {"day": DAY},
    )
    return conn


def test_the_workbook_holds_the_home_system_and_every_row_without_one(tmp_path: Path):
    with _warehouse(tmp_path / "w.duckdb") as conn:
        home, _, _ = export_marts(conn, DAY, tmp_path / "home", 1, "QJ2")
        every, _, _ = export_marts(conn, DAY, tmp_path / "every", 1)
    daily = pl.read_excel(home, sheet_name="ed_four_hour_daily")
    assert daily["site_code"].to_list() == ["RTG01"]
    assert sorted(pl.read_excel(every, sheet_name="ed_four_hour_daily")["site_code"].to_list()) == ["RTG01", "XX101"]
    # The rollup's organisations at every level are the home system's: its site, its trust, the system itself.
    rollup = pl.read_excel(home, sheet_name="ed_four_hour_rollup")
    assert set(rollup["org_code"]) <= {"RTG01", "RTG", "QJ2"} and "RTG01" in set(rollup["org_code"])


def test_every_exported_mart_but_the_hubs_is_filtered_by_an_organisation(tmp_path: Path):
    with _warehouse(tmp_path / "w.duckdb") as conn:
        unfiltered = [
            mart
            for mart in DAY_MARTS
            if home_rows(c[0] for c in conn.sql(f"describe marts.{mart}").fetchall()) == "true"
        ]
    # Hub cases are counted by referral source for the hub, with no site or provider to place them by.
    assert unfiltered == ["cnh_deflection_daily", "cnh_deflection_rollup"]
