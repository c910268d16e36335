"""The morning brief and call-pack exports over a hand-worked day; `uec report` for any date."""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path

import dagster as dg
import polars as pl
import pytest

from pipelines.brief.data import DRILL_DOWN, BriefData, Problem
from pipelines.brief.exports import DAY_MARTS, DEFINITIONS_SHEET
from pipelines.brief.render import render_brief
from pipelines.cli.main import main
from pipelines.ingest.pseudonymise import KEY_ENV
from schemas import catalogue
from tests.support.rows import crh_row, dhu_row, emas_row, uhdb_row
from tests.support.warehouse import TEST_KEY, Env
from tests.support.xlsx import number_formats

DAY = "2025-01-15"


def _write_day(env: Env) -> None:
    env.write_uhdb(
        "20250115",
        "20250116T0530",
        [
            uhdb_row("R1", "2025-01-15 10:00:00", "2025-01-15 13:00:00"),  # 180 min: within 4 hours
            uhdb_row("R2", "2025-01-15 10:00:00", "2025-01-15 14:00:00"),  # 240 min: within (<= 240)
            uhdb_row("R3", "2025-01-15 10:00:00", "2025-01-15 14:01:00"),  # 241 min: breach
            uhdb_row("R4", "2025-01-15 08:00:00", "2025-01-15 21:00:00"),  # 780 min: breach, over 12 hours
        ],
    )
    env.write_crh(
        "2025-01-15",
        "202501160530",
        [
            crh_row("C1", "15/01/2025 09:00", "15/01/2025 10:00"),  # within
            crh_row("C2", "15/01/2025 11:00", "15/01/2025 12:30"),  # within
            crh_row("C3", "31/02/2025 10:00", "15/01/2025 12:30"),  # no such date: quarantined
        ],
    )
    env.write_emas(
        "20250115",
        "20250116030000",
        [
            emas_row("H1", "15-Jan-2025 10:00:00", "15-Jan-2025 10:10:00", "15-Jan-2025 10:30:00"),  # 10 min
            emas_row("H2", "15-Jan-2025 12:00:00", "15-Jan-2025 12:40:00", "15-Jan-2025 13:00:00"),  # 40 min
            emas_row("H3", "15-Jan-2025 14:00:00", "15-Jan-2025 14:50:00", "15-Jan-2025 15:10:00"),  # 50 min: over 45
        ],
    )
    env.write_dhu(
        "20250115",
        "202501160300",
        [
            dhu_row("D1", "EMAS C3C4", "2025-01-15T10:00:00", "2025-01-15T10:20:00", "OWN GP"),  # deflected, 20 min
            # D1 sent twice: counted once, "duplicate rows ignored" in the strip, not a problem (docs/domain.md §7.1).
            dhu_row("D1", "EMAS C3C4", "2025-01-15T10:00:00", "2025-01-15T10:20:00", "OWN GP"),
            dhu_row(
                "D2", "EMAS C3C4", "2025-01-15T11:00:00", "2025-01-15T11:10:00", "AMB DISPATCH", "Y"
            ),  # dispatched, 10 min
            dhu_row(
                "D3", "111O C3C4", "2025-01-15T12:00:00", "2025-01-15T12:30:00", "HOME/SELF CARE"
            ),  # deflected, 30 min
            dhu_row("D4", "111O C3C4", "2025-01-15T13:00:00", "2025-01-15T13:40:00", "UTC/PCC"),  # deflected, 40 min
        ],
    )
    # No OPEL export at all: every provider's OPEL is missing.


def _figures(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-figure="([^"]+)"[^>]*>([^<]*)<', html))


def _tile(html: str, org: str) -> str:
    start = html.index(f'data-org="{org}"')
    return html[start : html.index("\n  </div>", start)]


@pytest.fixture(scope="module")
def briefed(tmp_path_factory) -> Env:
    env = Env(tmp_path_factory.mktemp("brief"))
    _write_day(env)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(KEY_ENV, TEST_KEY)
        result = env.materialize(DAY, brief=True)
    env.result = result  # type: ignore[attr-defined]
    return env


def test_tiles_show_the_hand_worked_figures(briefed: Env):
    html = (briefed.root / "reports" / f"brief-{DAY}.html").read_text(encoding="utf-8")
    figures = _figures(html)
    # ED. RTG: R1, R2 within; R3, R4 breach -> 2 / 4 = 50.0%; R4 over 12 hours -> 1, 1 / 4 = 25.0%.
    assert figures["ed.RTG.day.pct_within_4h"] == "50.0%"
    assert (figures["ed.RTG.day.over_12h"], figures["ed.RTG.day.pct_over_12h"]) == ("1", "25.0%")
    # RFS: C1, C2 within; C3 quarantined -> 2 / 2 = 100.0%.
    assert figures["ed.RFS.day.pct_within_4h"] == "100.0%"
    # System: 4 within of 6 = 66.7%; with one day loaded, month and year to date are the same 66.7%.
    assert figures["ed.QJ2.day.pct_within_4h"] == "66.7%"
    assert figures["ed.QJ2.month_to_date.pct_within_4h"] == figures["ed.QJ2.year_to_date.pct_within_4h"] == "66.7%"
    # The 2024/25 target (78%) was in force in January 2025; the headline tile is the board's figure (acute trusts),
    # the same 66.7% here as every attendance is at RTG or RFS, with the all-providers figure beside it.
    assert "target 78%" in _tile(html, "QJ2") and "not met" in _tile(html, "QJ2")
    assert "acute trusts, all types (headline, as the board reports)" in _tile(html, "QJ2")
    assert figures["ed.QJ2-all-providers.day.pct_within_4h"] == "66.7%"
    assert "all providers, all types" in _tile(html, "QJ2-all-providers")
    # Handovers at Royal Derby: 10, 40, 50 min. Hours lost = (0 + 25 + 35) / 60 = 1.0; mean 100 / 3 = 33.3;
    # over 45 minutes: H3 only.
    assert figures["handover.RTG01.hours_lost"] == "1.0"
    assert figures["handover.RTG01.mean_minutes"] == "33.3 min"
    assert figures["handover.RTG01.over_45"] == "1"
    # Hub, ambulance stack: D1-D4 passed to the hub, D2 dispatched -> 3 avoided, 3 / 4 = 75.0%;
    # mean response (20 + 10 + 30 + 40) / 4 = 25.0 min.
    assert figures["cnh.deflection_rate"] == "75.0%"
    assert figures["cnh.dispatches_avoided"] == "3"
    assert figures["cnh.mean_response_minutes"] == "25.0 min"
    # OPEL: nothing submitted.
    assert figures["opel.RTG.declared_level"] == "none"
    assert '<strong class="misses">missing</strong>' in html[html.index("OPEL by provider") :]


def test_opel_messages_say_what_cannot_be_known_on_a_day_with_no_opel_and_no_yesterday(briefed: Env):
    html = (briefed.root / "reports" / f"brief-{DAY}.html").read_text(encoding="utf-8")
    start = html.index('id="key-messages"')
    messages = re.findall(
        r'<li data-rule="(opel_(?:system|4|moves))"[^>]*>([^<]*)</li>', html[start : html.index("</section>", start)]
    )
    # No OPEL export at all, and only 15 January loaded: no level, so no change and no OPEL 4 all-clear can be said.
    # The coverage wrapper says which feed is short and why (pipelines/brief/conditional.py), once per rule.
    why = "No figures for OPEL submissions (not received from QJ2 (no file, due 15 Jan 12:30))"
    assert messages == [
        ("opel_system", f"{why}: the system OPEL level and its change since yesterday not known."),
        ("opel_4", f"{why}: whether any provider is at OPEL 4 not known."),
        ("opel_moves", f"{why}: escalations and de-escalations since yesterday not known."),
    ]
    start = html.index('id="call-list"')
    asks = re.findall(r'<li data-ask="([a-z_0-9]+)"', html[start : html.index("</section>", start)])
    # H3's 50 minutes at Royal Derby, then the missing files (RY8's ED aggregates, the OPEL portal), then the six
    # providers' OPEL returns, none by 11:00.
    assert asks == ["handover_45"] + ["late_or_missing"] * 8


def test_quality_strip_marks_the_affected_figures_provisional(briefed: Env):
    html = (briefed.root / "reports" / f"brief-{DAY}.html").read_text(encoding="utf-8")
    start = html.index('id="data-quality"')
    strip = html[start : html.index("</section>", start)]
    assert "ED attendances, RFS: quarantined: 1 of 3 rows quarantined" in strip
    assert "OPEL submissions" in strip and "missing" in strip
    # RFS's quarantined row makes its own tile and the system's provisional, not RTG's.
    assert "Provisional" in _tile(html, "RFS") and "Provisional" in _tile(html, "QJ2")
    assert "Provisional" not in _tile(html, "RTG")
    # Nothing was wrong with the handover or hub feeds; the hub's repeated row is ignored, not quarantined.
    assert "Provisional" not in _tile(html, "RTG01") and "Provisional" not in _tile(html, "cnh")
    assert '<p data-duplicates="1">1 duplicate row ignored: it was sent twice' in strip
    assert "CNH/SPoA cases" not in strip.split("<table")[0]  # no problem listed for DHU


def test_a_senders_problem_marks_what_it_sends_for():
    data = BriefData(
        date(2025, 1, 15),
        datetime(2025, 1, 16, 8),
        *[pl.DataFrame()] * 4,
        charts=[],
        quality=pl.DataFrame(),
        problems=[
            Problem("ambulance_handovers", "RX9", "quarantined", "1 of 3 rows quarantined"),
            Problem("handover_sitrep", "RTG", "late", "due 10:00"),
            Problem("ed_attendances", "RFS", "missing", "due 06:30"),
        ],
    )
    # EMAS sends every site's handovers: its problem touches Chesterfield's site figures too;
    # UHDB's sitrep only its own trust's.
    assert [p.provider_code for p in data.provisional("handover", "RFS")] == ["RX9"]
    assert [p.provider_code for p in data.provisional("handover", "RTG")] == ["RX9", "RTG"]
    # A trust's ED file is its own: RFS's missing file does not touch RTG's tile, only RFS's and the system's.
    assert data.provisional("ed", "RTG") == []
    assert (
        [p.provider_code for p in data.provisional("ed", "RFS")]
        == [p.provider_code for p in data.provisional("ed")]
        == ["RFS"]
    )


def _ed_day(**counts) -> dict:
    """One system tile's day row as brief_ed_tiles.sql gives it; the percentages are worked from the counts."""
    within, breaches, attendances = counts["within_4h"], counts["breaches"], counts["attendances"]
    return {
        "level": "system_headline", "org_code": "QJ2", "tile": "QJ2", "org_name": "Derby and Derbyshire ICB",
        "coverage": "acute trusts, all types", "period": "day", **counts,
        "pct_within_4h": 100 * within / (within + breaches), "target_pct_within_4h": 78.0,
        "meets_target": 100 * within / (within + breaches) >= 78.0,
        "over_12h": 10, "pct_over_12h": 100 * 10 / attendances, "target_pct_over_12h": None,
    }  # fmt: skip


def _render_ed(day: dict) -> str:
    data = BriefData(
        date(2025, 3, 31),
        datetime(2025, 4, 1, 8),
        ed=pl.DataFrame([day]),
        handover=pl.DataFrame(),
        cnh=pl.DataFrame(schema={"referral_source": pl.String}),
        opel=pl.DataFrame(),
        charts=[],
        quality=pl.DataFrame(),
        drill={name: pl.DataFrame() for name in DRILL_DOWN},
    )
    return render_brief(data, "warehouse.duckdb")


def test_the_four_hour_tile_shows_the_counts_that_make_it_and_those_not_yet_counted():
    # The day: 673 attendances, 37 still in the department under 4 hours, so 673 - 37 = 636 counted, of which
    # 486 within 4 hours (150 breaches): 486 / 636 = 76.4%. The page says all four, so they add up: 486 + 150 + 37.
    figures = _figures(_render_ed(_ed_day(attendances=673, within_4h=486, breaches=150, pending=37)))
    assert figures["ed.QJ2.day.pct_within_4h"] == "76.4%"
    assert (figures["ed.QJ2.day.within_4h"], figures["ed.QJ2.day.counted"]) == ("486", "636")
    assert (figures["ed.QJ2.day.attendances"], figures["ed.QJ2.day.pending"]) == ("673", "37")
    html = _render_ed(_ed_day(attendances=673, within_4h=486, breaches=150, pending=37))
    assert re.search(r">37</span> still in the department, not yet counted;", html)
    # Nothing open: 486 of 636 of 636 attendances, and no "still in the department" to say.
    closed = _render_ed(_ed_day(attendances=636, within_4h=486, breaches=150, pending=0))
    assert "still in the department" not in closed and "ed.QJ2.day.pending" not in closed
    assert _figures(closed)["ed.QJ2.day.counted"] == _figures(closed)["ed.QJ2.day.attendances"] == "636"


def test_exports_carry_the_days_marts_as_csv_and_one_workbook(briefed: Env):
    reports = briefed.root / "reports"
    for mart in DAY_MARTS:
        csv = pl.read_csv(reports / f"marts-{DAY}" / f"{mart}.csv", infer_schema_length=0)
        expected = briefed.query(f"select count(*) as n from marts.{mart} where date = date '{DAY}'")["n"][0]
        assert csv.height == expected, mart
        assert set(csv["date"]) <= {DAY}, mart
        sheet = pl.read_excel(reports / f"marts-{DAY}.xlsx", sheet_name=mart)
        assert sheet.height == expected and sheet.columns == csv.columns, mart
    # Two ED rows: Royal Derby and Chesterfield type 1 departments.
    assert pl.read_csv(reports / f"marts-{DAY}" / "ed_four_hour_daily.csv")["site_code"].sort().to_list() == [
        "RFSDA",
        "RTG01",
    ]


def test_exports_are_rounded_formatted_as_excel_reads_them_and_defined(briefed: Env):
    reports = briefed.root / "reports"
    workbook = reports / f"marts-{DAY}.xlsx"
    system = (pl.col("level") == "system") & (pl.col("period") == "day") & (pl.col("scope") == "all_types")
    # System 4-hour: 4 within of 6 = 66.666...%: one decimal in the CSV, the fraction 0.667 shown as 66.7% in Excel.
    csv = pl.read_csv(reports / f"marts-{DAY}" / "ed_four_hour_rollup.csv", infer_schema_length=0)
    assert csv.filter(system)["pct_within_4h"].to_list() == ["66.7"]
    sheet = pl.read_excel(workbook, sheet_name="ed_four_hour_rollup")
    assert sheet.filter(system)["pct_within_4h"].to_list() == [0.667]
    # Royal Derby's handovers: mean (10 + 40 + 50) / 3 = 33.333... minutes to one decimal; hours lost 1.0 to two.
    csv = pl.read_csv(reports / f"marts-{DAY}" / "handover_daily.csv", infer_schema_length=0)
    assert csv.filter(pl.col("site_code") == "RTG01").select("mean_minutes", "hours_lost").row(0) == ("33.3", "1.0")
    formats = number_formats(workbook)
    assert formats["ed_four_hour_rollup"]["pct_within_4h"] == "0.0%"
    assert formats["ed_four_hour_rollup"]["date"] == "yyyy-mm-dd"
    assert (formats["handover_daily"]["hours_lost"], formats["handover_daily"]["mean_minutes"]) == ("0.00", "0.0")
    # The definitions sheet is the data dictionary's text for every exported column, sheet by sheet.
    defined = pl.read_excel(workbook, sheet_name=DEFINITIONS_SHEET).filter(pl.col("sheet").is_in(DAY_MARTS))
    described = {r.name: r.columns for r in catalogue.relations()}
    assert defined.select("sheet", "column", "description").rows() == [
        (mart, column, text) for mart in DAY_MARTS for column, text in described[f"marts.{mart}"].items()
    ]
    assert defined.filter(pl.col("column") == "pct_within_4h")["shown_as"].str.contains("0.0%").all()


def test_asset_metadata_names_the_day_files_and_rows(briefed: Env):
    [materialization] = [
        e.step_materialization_data.materialization
        for e in briefed.result.get_asset_materialization_events()  # type: ignore[attr-defined]
        if e.step_materialization_data.materialization.asset_key.path == ["reports", "morning_brief"]
    ]
    meta = materialization.metadata
    assert meta["day"].value == DAY
    assert Path(meta["brief"].value).name == f"brief-{DAY}.html"
    # The UI shows the brief as a link: absolute and file://, so a browser opens it.
    assert isinstance(meta["brief_url"], dg.UrlMetadataValue)
    assert meta["brief_url"].value == (briefed.root / "reports" / f"brief-{DAY}.html").resolve().as_uri()
    rows = sum(pl.read_csv(p).height for p in (briefed.root / "reports" / f"marts-{DAY}").glob("*.csv"))
    assert meta["dagster/row_count"].value == rows


def test_report_command_writes_any_loaded_day_and_refuses_an_empty_one(
    briefed: Env, tmp_path: Path, monkeypatch, capsys
):
    reports = tmp_path / "again"
    monkeypatch.setenv("UEC_WAREHOUSE", str(briefed.warehouse))
    monkeypatch.setenv("UEC_LANDING", str(briefed.landing))
    monkeypatch.setenv("UEC_REPORTS", str(reports))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    assert main(["report", "--date", DAY]) == 0
    out = capsys.readouterr().out
    assert f"brief-{DAY}.html" in out and "marked provisional" in out
    assert _figures((reports / f"brief-{DAY}.html").read_text(encoding="utf-8"))["ed.QJ2.day.pct_within_4h"] == "66.7%"
    assert main(["report", "--date", "2025-01-16"]) == 1
    assert "No figures for 2025-01-16" in capsys.readouterr().out
    assert not (reports / "brief-2025-01-16.html").exists()


def test_report_renders_a_handover_only_day_and_every_day_of_a_range_run(tmp_path: Path, monkeypatch, capsys):
    env = Env(tmp_path / "env")
    # A range run over 14-16 January: ED and handovers on the 14th and 16th, handovers alone on the 15th.
    for day, ed in (("20250114", True), ("20250115", False), ("20250116", True)):
        iso = f"{day[:4]}-{day[4:6]}-{day[6:]}"
        if ed:
            env.write_uhdb(day, f"{day[:6]}{int(day[6:]) + 1:02d}T0530", [uhdb_row(f"R{day}", f"{iso} 10:00:00")])
        stamp = f"{int(day[6:]):02d}-Jan-2025"
        env.write_emas(
            day,
            f"{day[:6]}{int(day[6:]) + 1:02d}040000",
            [emas_row(f"H{day}", f"{stamp} 10:00:00", f"{stamp} 10:40:00", f"{stamp} 11:00:00")],
        )
    monkeypatch.setenv(KEY_ENV, TEST_KEY)
    env.materialize("2025-01-14", "2025-01-16")
    reports = tmp_path / "reports"
    monkeypatch.setenv("UEC_WAREHOUSE", str(env.warehouse))
    monkeypatch.setenv("UEC_LANDING", str(env.landing))
    monkeypatch.setenv("UEC_REPORTS", str(reports))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    for day in ("2025-01-14", "2025-01-15", "2025-01-16"):
        assert main(["report", "--date", day]) == 0, capsys.readouterr().out
        out = capsys.readouterr().out
        html = (reports / f"brief-{day}.html").read_text(encoding="utf-8")
        # One conveyance a day, 40 minutes: 25 minutes over 15 = 0.4166 hours lost at Royal Derby, shown as 0.4.
        assert _figures(html)["handover.RTG01.hours_lost"] == "0.4", day
        assert "handover_daily (Ambulance handovers or Handover sitrep) 1 row(s)" in out
    # The 15th has no ED figures: the command says which, and the page's A&E section says so too.
    main(["report", "--date", "2025-01-15"])
    out = capsys.readouterr().out
    assert "No figures for ed_four_hour_daily (ED attendances or ED daily aggregates)" in out
    assert "No ED figures for this day." in (reports / "brief-2025-01-15.html").read_text(encoding="utf-8")
    # A day with nothing at all is refused, naming what was looked for.
    assert main(["report", "--date", "2025-01-20"]) == 1
    refused = capsys.readouterr().out
    assert "No figures for 2025-01-20" in refused and "handover_daily" in refused and "opel_daily" in refused
