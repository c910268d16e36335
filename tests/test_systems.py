"""Two systems in the reference data: every system figure is per system and named; the brief shows its home system's."""

from __future__ import annotations

import re
from datetime import date, datetime

import duckdb
import polars as pl
import pytest

from pipelines.ingest.pseudonymise import KEY_ENV
from pipelines.settings import HOME_SYSTEM_VARIABLE, home_system
from pipelines.storage.warehouse import sql
from schemas.clock import LONDON
from tests.support.rows import UHDB_COLUMNS, uhdb_row
from tests.support.second_system import add_tameside
from tests.support.warehouse import TEST_KEY, Env

DERBYSHIRE, MANCHESTER = "Derby and Derbyshire ICB", "NHS Greater Manchester ICB"


def _write_rmp(env: Env, day: str, extracted: str, rows: list[dict[str, str]]) -> None:
    path = env.landing / "ed_attendances" / "tgicft" / f"TGICFT_ED_{day}_{extracted}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    pl.DataFrame([{**r, "SITE": "TGH"} for r in rows], schema={c: pl.Utf8 for c in UHDB_COLUMNS}).write_csv(path)


@pytest.fixture(scope="module")
def two_systems(tmp_path_factory) -> Env:
    root = tmp_path_factory.mktemp("systems")
    env = Env(root / "env")
    # Tameside and Glossop (RMP) is in NHS Greater Manchester ICB (QOP); it sends in UHDB's layout under its own name.
    add_tameside(*env.own_configuration(root))
    # 14 January. Derbyshire: 180 min within, 300 min breach -> 1 / 2 = 50.0%.
    # Greater Manchester: 60, 120, 240 min all within -> 3 / 3 = 100.0%.
    env.write_uhdb(
        "20250114",
        "20250115T0530",
        [
            uhdb_row("R1", "2025-01-14 10:00:00", "2025-01-14 13:00:00"),
            uhdb_row("R2", "2025-01-14 10:00:00", "2025-01-14 15:00:00"),
        ],
    )
    _write_rmp(
        env,
        "20250114",
        "20250115T0530",
        [
            uhdb_row("T1", "2025-01-14 09:00:00", "2025-01-14 10:00:00"),
            uhdb_row("T2", "2025-01-14 09:00:00", "2025-01-14 11:00:00"),
            uhdb_row("T3", "2025-01-14 09:00:00", "2025-01-14 13:00:00"),
        ],
    )
    # 15 January. Derbyshire: 60, 120, 240 within, 241 breach -> 3 / 4 = 75.0%.
    # Greater Manchester: 300 breach, 60 within -> 1 / 2 = 50.0%; T6 has no such date and is quarantined.
    env.write_uhdb(
        "20250115",
        "20250116T0530",
        [
            uhdb_row("R3", "2025-01-15 10:00:00", "2025-01-15 11:00:00"),
            uhdb_row("R4", "2025-01-15 10:00:00", "2025-01-15 12:00:00"),
            uhdb_row("R5", "2025-01-15 10:00:00", "2025-01-15 14:00:00"),
            uhdb_row("R6", "2025-01-15 10:00:00", "2025-01-15 14:01:00"),
        ],
    )
    _write_rmp(
        env,
        "20250115",
        "20250116T0530",
        [
            uhdb_row("T4", "2025-01-15 08:00:00", "2025-01-15 13:00:00"),
            uhdb_row("T5", "2025-01-15 08:00:00", "2025-01-15 09:00:00"),
            uhdb_row("T6", "2025-02-31 08:00:00", "2025-01-15 09:00:00"),
        ],
    )
    # Module fixtures run outside the per-test key fixture.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(KEY_ENV, TEST_KEY)
        env.materialize("2025-01-14", "2025-01-15", brief=True)
    return env


def test_system_view_has_one_row_per_system_per_day_named_from_reference(two_systems: Env):
    rows = two_systems.query(
        "select date::varchar, level, org_code, org_name, coverage, attendances, within_4h, round(pct_within_4h, 1) "
        "from marts.ed_four_hour_system where period = 'day' and scope = 'all_types' order by 1, 2, 3"
    ).rows()
    # Derbyshire's headline trusts (RTG, RFS in system_headline.csv) are all its ED here, so both its rows agree;
    # Greater Manchester lists none, so it has the all-providers row only.
    acute, every = "acute trusts, all types", "all providers, all types"
    assert rows == [
        ("2025-01-14", "system", "QJ2", DERBYSHIRE, every, 2, 1, 50.0),
        ("2025-01-14", "system", "QOP", MANCHESTER, every, 3, 3, 100.0),
        ("2025-01-14", "system_headline", "QJ2", DERBYSHIRE, acute, 2, 1, 50.0),
        ("2025-01-15", "system", "QJ2", DERBYSHIRE, every, 4, 3, 75.0),
        ("2025-01-15", "system", "QOP", MANCHESTER, every, 2, 1, 50.0),
        ("2025-01-15", "system_headline", "QJ2", DERBYSHIRE, acute, 4, 3, 75.0),
    ]
    # Month to date on the 15th, per system: Derbyshire (1 + 3) / (2 + 4) = 66.7%; Manchester (3 + 1) / (3 + 2) = 80.0%.
    mtd = two_systems.query(
        "select org_code, round(pct_within_4h, 1) from marts.ed_four_hour_system "
        "where date = date '2025-01-15' and period = 'month_to_date' and scope = 'all_types' and level = 'system' "
        "order by 1"
    ).rows()
    assert mtd == [("QJ2", 66.7), ("QOP", 80.0)]


def test_refresh_headline_names_each_system(two_systems: Env):
    with duckdb.connect(str(two_systems.warehouse), read_only=True) as conn:
        lines = conn.sql(sql("headline_figures"), params={"day": date(2025, 1, 15)}).fetchall()
    four_hour = [(figure, round(value, 1)) for ord_, figure, value, _ in lines if ord_ in (1, 2)]
    # 78% was the 2024/25 target in force in January 2025. The board's figure (headline trusts) comes first; a system
    # without headline trusts in system_headline.csv (Greater Manchester here) has its all-providers figure only.
    assert four_hour == [
        (f"System 4-hour performance, {DERBYSHIRE}, acute trusts, all types (target 78.0%: not met)", 75.0),
        (f"System 4-hour performance, {DERBYSHIRE}, all providers, all types (target 78.0%: not met)", 75.0),
        (f"System 4-hour performance, {MANCHESTER}, all providers, all types (target 78.0%: not met)", 50.0),
    ]


def _figures(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-figure="([^"]+)"[^>]*>([^<]*)<', html))


def test_brief_shows_only_the_home_system(two_systems: Env):
    html = (two_systems.root / "reports" / "brief-2025-01-15.html").read_text(encoding="utf-8")
    figures = _figures(html)
    assert figures["ed.QJ2.day.pct_within_4h"] == "75.0%"
    assert not [k for k in figures if k.startswith(("ed.QOP.", "ed.RMP."))]
    assert f'data-system="QJ2">{DERBYSHIRE}<' in html
    # One 4-hour chart, Derbyshire's two days (50.0 then 75.0), never a second system's points in it.
    charts = re.findall(
        r'<svg class="spc-chart" data-series="ed_four_hour" data-org="([^"]+)" data-points="(\d+)"', html
    )
    assert charts == [("QJ2", "2")]
    # Tameside's quarantined row is Greater Manchester's problem, not a reason to doubt Derbyshire's figures.
    start = html.index('id="data-quality"')
    strip = html[start : html.index("</section>", start)]
    assert "RMP" not in strip


def test_home_system_is_a_setting(two_systems: Env, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv(HOME_SYSTEM_VARIABLE, "QOP")
    # The brief takes the system from its caller, which reads the setting (the asset and `uec report` alike).
    with duckdb.connect(str(two_systems.warehouse), read_only=True) as conn:
        data = two_systems.brief(
            conn, date(2025, 1, 15), now=datetime(2025, 1, 16, 9, tzinfo=LONDON), system=home_system()
        )
    assert (data.system_code, data.system_name) == ("QOP", MANCHESTER)
    assert sorted(set(data.ed["org_code"])) == ["QOP", "RMP"]
    (chart,) = [c for c in data.charts if c.series == "ed_four_hour"]
    assert (chart.org_code, chart.org_name) == ("QOP", MANCHESTER)
    assert [round(p.value, 1) for p in chart.chart.points] == [100.0, 50.0]
    # Greater Manchester's brief does carry Tameside's quarantined row (T6), and none of Derbyshire's problems.
    assert [(p.provider_code, p.kind) for p in data.problems if p.feed == "ed_attendances"] == [("RMP", "quarantined")]


def test_an_unknown_home_system_is_one_plain_error(two_systems: Env, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv(HOME_SYSTEM_VARIABLE, "Q99")
    with duckdb.connect(str(two_systems.warehouse), read_only=True) as conn:
        with pytest.raises(ValueError, match=r"'Q99' \(setting UEC_HOME_SYSTEM\) is not in ref.sites"):
            two_systems.brief(
                conn, date(2025, 1, 15), now=datetime(2025, 1, 16, 9, tzinfo=LONDON), system=home_system()
            )
