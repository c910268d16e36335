"""The brief's peer section on NHS England's real published rows: shown for a day a publication covers, with its lag;
one honest line for a day it does not; nothing when no national data was ever loaded."""

from __future__ import annotations

import csv
import re
from datetime import date, datetime
from html import unescape

import duckdb
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import sync_playwright

from pipelines.brief.peer import read_peer
from pipelines.brief.render import render_brief, write_brief
from schemas.clock import LONDON
from tests.support.national_rows import PUBLISHED, SITREP_2022_23, land_and_load, reference_only
from tests.support.reference import AE_MONTHLY
from tests.support.warehouse import Env
from tests.test_brief_browser import CHROMIUM, CHROMIUM_ARGS

IN_WINDOW = date(2022, 11, 14)
AFTER = date(2026, 11, 14)


@pytest.fixture(scope="module")
def national(tmp_path_factory) -> Env:
    """The real 2022-23 winter sitrep's first week and the 2016-19 A&E return, published on PUBLISHED, landed as
    published and loaded by the national loader (uec public load's), so the brief reads what a real load gives."""
    env = reference_only(tmp_path_factory.mktemp("peer"))
    land_and_load(env, SITREP_2022_23, lambda r: r["date"] <= "2022-11-20")
    land_and_load(env, AE_MONTHLY)
    with duckdb.connect(str(env.warehouse), read_only=True) as conn:
        # Every row accounted for, and the rows the loader stored are the file's (RM3 printed twice a day, once).
        unaccounted = conn.execute(
            "select sum(rows_read - rows_loaded - rows_quarantined - rows_duplicate) from ops.publication_files"
        ).fetchall()
        assert unaccounted == [(0,)]
    return env


def _page(env: Env, day: date) -> str:
    with duckdb.connect(str(env.warehouse), read_only=True) as conn:
        data = env.brief(conn, day, now=datetime(day.year, day.month, day.day, 9, 0, tzinfo=LONDON), system="QJ2")
    return render_brief(data, str(env.warehouse))


def _figure(page: str, name: str) -> str:
    found = re.findall(rf'data-figure="{re.escape(name)}">([^<]*)<', page)
    assert len(found) == 1, name
    return unescape(found[0]).strip()


def test_a_day_the_sitrep_covers_shows_derbyshires_trusts_against_the_midlands_and_england_with_the_lag(national):
    page = _page(national, IN_WINDOW)
    section = page[page.index('<section id="peer"') : page.index("</section>", page.index('<section id="peer"'))]
    daily = section[section.index('data-peer="peer_daily"') :]
    assert re.findall(r'<tr data-org="([^"]+)" data-level="([^"]+)"', daily) == [
        ("RFS", "trust"),
        ("RTG", "trust"),
        ("MIDLANDS", "region"),
        ("ENG", "england"),
    ]
    # Published 16 March 2023 (PUBLISHED), the day 14 November 2022: 16 Nov to 16 Mar is 16 + 31 + 31 + 28 + 16 = 122.
    assert PUBLISHED.date() == date(2023, 3, 16)
    assert "NHS England published this on 16 March 2023, 122 days after the day." in section
    # The docs' sanity figure: RTG 1,288 of 1,391 G&A beds occupied, 92.6%.
    assert _figure(section, "peer.RTG.ga_occupancy_pct") == "92.6%"
    # Its rank worked from the CSV: 1 + the trusts with a lower occupancy, of those with both counts that day.
    with SITREP_2022_23.open(newline="", encoding="utf-8") as handle:
        day = {
            r["org_code"]: int(r["ga_beds_occupied"]) / int(r["ga_beds_open"])
            for r in csv.DictReader(handle)
            if r["date"] == IN_WINDOW.isoformat()
            and r["org_code"] != "-"
            and r["ga_beds_open"]
            and r["ga_beds_occupied"]
            and int(r["ga_beds_open"])
        }
    lower = sum(1 for v in day.values() if v < day["RTG"])
    assert _figure(section, "peer.RTG.occupancy_rank") == f"{lower + 1} of {len(day)}"
    assert _figure(section, "peer.ENG.ga_occupancy_pct") == f"{100 * 93309 / 99364:.1f}%"
    assert "(sum of 25 trusts)" in daily  # the Midlands: the 2022-23 sitrep prints no region rows
    # The A&E return ends in March 2019: one honest sentence, no table.
    assert 'data-peer="peer_monthly"' not in section
    assert (
        "NHS England's monthly A&E figures do not cover November 2022; the latest month they cover is March 2019."
        in unescape(section)
    )


def test_a_month_the_ae_return_covers_is_shown_with_the_lag_after_the_months_end(national):
    section = _page(national, date(2018, 1, 15))
    monthly = section[section.index('data-peer="peer_monthly"') :]
    assert [c for c, _ in re.findall(r'<tr data-org="([^"]+)" data-level="([^"]+)"', monthly)][:4] == [
        "RFS",
        "RTG",
        "MIDLANDS",
        "ENG",
    ]
    # January 2018 ended on the 31st; 31 Jan 2018 to 16 Mar 2023 is 5 years (1,826 days, 2020 a leap year) + 44 days.
    assert (PUBLISHED.date() - date(2018, 1, 31)).days == 1826 + 44
    assert "NHS England published this on 16 March 2023, 1,870 days after the month ended." in section
    assert "do not cover 15 January 2018; the latest day they cover is 20 November 2022." in unescape(section)


def test_a_day_after_every_publication_gets_one_line_and_no_table(national):
    page = _page(national, AFTER)
    missing = re.findall(r"<p class=\"note\" data-peer-missing>([^<]*)</p>", page)
    assert len(missing) == 1
    assert unescape(missing[0]) == (
        "NHS England's daily situation reports do not cover 14 November 2026; the latest day they cover is 20 "
        "November 2022. NHS England's monthly A&E figures do not cover November 2026; the latest month they cover "
        "is March 2019."
    )
    assert "data-peer=" not in page


def test_no_peer_section_when_no_national_data_was_ever_loaded(tmp_path):
    page = _page(reference_only(tmp_path), IN_WINDOW)
    assert 'id="peer"' not in page
    assert "NHS England's" not in page


def test_the_briefs_peer_section_renders_in_chromium_without_accessibility_violations(national, tmp_path):
    """The written brief for a covered day, opened in Chromium; axe-core (WCAG 2.2 AA) on the peer section."""
    with duckdb.connect(str(national.warehouse), read_only=True) as conn:
        data = national.brief(conn, IN_WINDOW, now=datetime(2022, 11, 15, 9, 0, tzinfo=LONDON), system="QJ2")
        files = write_brief(conn, data, tmp_path / "reports", str(national.warehouse), 7)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            found = []
            for width in (1280, 390):
                page = browser.new_page(viewport={"width": width, "height": 900})
                page.goto(files.html.as_uri())
                rows = page.eval_on_selector_all("#peer tr[data-org]", "rs => rs.map(r => r.dataset.org)")
                assert rows == ["RFS", "RTG", "MIDLANDS", "ENG"]
                lag = page.eval_on_selector("#peer [data-lag]", "p => p.textContent")
                assert "122 days after the day" in lag
                result = Axe().run(
                    page,
                    context={"include": [["#peer"]]},
                    options={
                        "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]}
                    },
                )
                found += [(width, v["id"], v["impact"]) for v in result.response["violations"]]
                assert result.response["passes"], "axe ran no rule"
                # Nothing in the section is wider than a phone: its tables scroll inside their own box.
                if width == 390:
                    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
            assert found == []
        finally:
            browser.close()


def test_a_warehouse_built_before_the_national_schema_has_no_peer_section(tmp_path):
    with duckdb.connect(str(tmp_path / "old.duckdb")) as conn:
        assert read_peer(conn, IN_WINDOW, "QJ2") == []
