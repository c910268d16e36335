"""The brief's outlook as the call opens it: headless Chromium shows the next seven days from the forecast mart,
yesterday's actual against the interval forecast for it, and axe-core finds nothing serious in the section."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest
from playwright.sync_api import sync_playwright

from pipelines.brief.render import write_brief
from schemas.clock import LONDON
from tests.support.warehouse import Env
from tests.test_brief_browser import CHROMIUM, CHROMIUM_ARGS

DAY = date(2025, 3, 31)  # the last sample day: the whole-samples run forecast from it


@pytest.fixture(scope="module")
def brief(whole_samples: Env, tmp_path_factory) -> tuple[Path, duckdb.DuckDBPyConnection]:
    """The brief for the last sample day, written from the shared whole-samples warehouse (read only)."""
    reports = tmp_path_factory.mktemp("outlook")
    conn = duckdb.connect(str(whole_samples.warehouse), read_only=True)
    data = whole_samples.brief(conn, DAY, now=datetime(2025, 4, 1, 8, 0, tzinfo=LONDON))
    files = write_brief(conn, data, reports, str(whole_samples.warehouse), 7)
    return files.html, conn


def test_the_outlook_shows_the_marts_next_seven_days_and_yesterday_against_its_interval(brief):
    html, conn = brief
    ed = conn.sql(
        "select horizon, target_date, round(mean)::int, round(lo_80)::int, round(hi_80)::int from marts.forecast_daily "
        "where origin = $d and chosen and series = 'ed_arrivals' and level = 'system' order by horizon",
        params={"d": DAY},
    ).fetchall()
    # Today and the next 6 days, read the morning after the brief's day: 1 to 7 April.
    assert [r[1] for r in ed] == [date(2025, 4, d) for d in range(1, 8)]
    yesterday = conn.sql(
        "select f.lo_80, f.hi_80, f.lo_95, f.hi_95, (select sum(attendances) from marts.ed_four_hour_daily e "
        "join ref.sites s using (site_code) where e.date = $d and s.system_code = 'QJ2') "
        "from marts.forecast_daily f where f.origin = $d - 1 and f.horizon = 1 and f.chosen "
        "and f.series = 'ed_arrivals' and f.level = 'system'",
        params={"d": DAY},
    ).fetchall()
    assert len(yesterday) == 1
    lo_80, hi_80, lo_95, hi_95, actual = yesterday[0]
    verdict = "inside 80%" if lo_80 <= actual <= hi_80 else "inside 95%" if lo_95 <= actual <= hi_95 else "outside 95%"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(html.as_uri())
        headers = page.locator("#outlook table tr").first.locator("th").all_inner_texts()
        assert headers[1:8] == [
            "Tue 1 Apr",
            "Wed 2 Apr",
            "Thu 3 Apr",
            "Fri 4 Apr",
            "Sat 5 Apr",
            "Sun 6 Apr",
            "Mon 7 Apr",
        ]
        for horizon, _, mean, lo, hi in ed:
            cell = page.locator(f'[data-figure="outlook.ed_arrivals.QJ2.{horizon}"]').inner_text()
            assert cell.split("\n")[:2] == [f"{mean:,}", f"{lo:,}–{hi:,}"], horizon
        said = page.locator('[data-yesterday="ed_arrivals.QJ2"]').inner_text()
        assert said.startswith(f"{actual:,}: {verdict}")
        # Every series shown has its calibration line: N of the last 28 days (or fewer, where fewer were forecast).
        lines = page.locator("[data-calibration]").all_inner_texts()
        assert lines and all(" of 28 (" in line for line in lines), lines
        browser.close()


def test_the_outlook_has_no_serious_or_critical_accessibility_violations(brief):
    from axe_playwright_python.sync_playwright import Axe

    html, _ = brief
    found = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for width in (1280, 390):
            page = browser.new_page(viewport={"width": width, "height": 900})
            page.goto(html.as_uri())
            result = Axe().run(
                page,
                context={"include": [["#outlook"]]},
                options={
                    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]}
                },
            )
            assert result.response["passes"], "axe ran no rule"
            found += [
                (width, v["id"], v["impact"])
                for v in result.response["violations"]
                if v["impact"] in ("serious", "critical")
            ]
        browser.close()
    assert found == []
