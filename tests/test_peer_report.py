"""`uec report --peer` on NHS England's real published rows: the report renders in Chromium with its funnel plot, the
home trusts highlighted and labelled, every point in a table, and no serious accessibility violation."""

from __future__ import annotations

import csv
import re
from datetime import date

import duckdb
import pytest
from playwright.sync_api import sync_playwright

from pipelines.brief.funnel import Z, limit
from tests.support.cli import uec
from tests.support.national_rows import SITREP_2022_23, ae_monthly_rows, insert, reference_only, winter_sitrep_rows
from tests.support.reference import AE_MONTHLY
from tests.support.warehouse import Env
from tests.test_brief_browser import CHROMIUM, CHROMIUM_ARGS

LATEST_DAY = date(2023, 3, 12)  # the 2022-23 sitrep's last day
LATEST_MONTH = date(2019, 3, 1)  # the A&E return's last month


@pytest.fixture(scope="module")
def published(tmp_path_factory) -> Env:
    """Every row of the 2022-23 winter sitrep and the 2016-19 A&E return, and the peer report written by `uec`."""
    env = reference_only(tmp_path_factory.mktemp("peer_report"))
    with duckdb.connect(str(env.warehouse)) as conn:
        insert(conn, "winter_sitrep", winter_sitrep_rows())
        insert(conn, "ae_monthly", ae_monthly_rows())
    done = uec(env, "report", "--peer")
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"peer-{LATEST_DAY}.html" in done.stdout
    assert "Monthly A&E figures: latest March 2019, 226 providers" in done.stdout
    return env


@pytest.fixture(scope="module")
def page(published: Env):
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto((published.root / "reports" / f"peer-{LATEST_DAY}.html").as_uri())
        yield page
        browser.close()


def _march_2019() -> dict[str, tuple[int, int]]:
    """Provider -> (attendances, breaches) for March 2019, all types, worked from the CSV."""
    found: dict[str, tuple[int, int]] = {}
    with AE_MONTHLY.open(newline="", encoding="utf-8") as handle:
        for r in csv.DictReader(handle):
            if r["period"] == LATEST_MONTH.isoformat():
                a, b = found.get(r["org_code"], (0, 0))
                found[r["org_code"]] = (a + int(r["attendances"]), b + int(r["breaches"]))
    return found


def test_the_funnel_plot_draws_every_provider_round_englands_share_with_derbyshire_labelled(page):
    month = _march_2019()
    providers = {code: v for code, v in month.items() if v[0] > 0}
    points = page.eval_on_selector_all(
        "svg.funnel circle.point",
        "cs => cs.map(c => [c.dataset.org, Number(c.dataset.n), c.classList.contains('home')])",
    )
    assert {code: n for code, n, _ in points} == {code: a for code, (a, _) in providers.items()}
    assert sorted(code for code, _, home in points if home) == ["RFS", "RTG"]
    assert sorted(page.eval_on_selector_all("svg.funnel text.label", "ts => ts.map(t => t.textContent)")) == [
        "RFS",
        "RTG",
    ]
    # The centre line is England's share: every provider summed, as the file prints no England row.
    attendances, breaches = sum(a for a, _ in month.values()), sum(b for _, b in month.values())
    centre = float(page.eval_on_selector("svg.funnel line.centre", "l => l.dataset.value"))
    assert centre == pytest.approx(100 * (1 - breaches / attendances))
    limits = page.eval_on_selector_all("svg.funnel path.limit", "ps => ps.map(p => [p.dataset.limit, p.dataset.side])")
    assert sorted(limits) == [["95", "lower"], ["95", "upper"], ["99.8", "lower"], ["99.8", "upper"]]
    # Accessible: the svg is an image named by its title and described; every point is also a table row.
    assert page.eval_on_selector("svg.funnel", "s => s.getAttribute('role')") == "img"
    assert "Funnel plot" in page.eval_on_selector("svg.funnel title", "t => t.textContent")
    assert "RTG" in page.eval_on_selector("svg.funnel desc", "d => d.textContent")
    rows = page.eval_on_selector_all("[data-every=peer_monthly] tr[data-org]", "rs => rs.length")
    assert rows == len(providers)


def test_each_points_flag_agrees_with_the_limits_the_curves_draw(page):
    # RTG's share and its 99.8% limits at its attendances, worked here: p England's share, n RTG's attendances.
    month = _march_2019()
    attendances, breaches = sum(a for a, _ in month.values()), sum(b for _, b in month.values())
    centre = 100 * (1 - breaches / attendances)
    n, b = month["RTG"]
    share = 100 * (1 - b / n)
    low, high = limit(centre, n, Z["99.8"])
    expected = "above" if share > high else "below" if share < low else "within"
    flag = page.eval_on_selector("svg.funnel circle.point[data-org=RTG]", "c => c.dataset.flag")
    assert flag == expected
    row = page.eval_on_selector("[data-every=peer_monthly] tr[data-org=RTG] td[data-flag]", "t => t.textContent")
    assert row.strip() == expected


def test_the_report_shows_the_latest_day_with_derbyshire_against_the_midlands_and_england(page):
    orgs = page.eval_on_selector_all("table[data-peer=peer_daily] tr[data-org]", "rs => rs.map(r => r.dataset.org)")
    assert orgs == ["RFS", "RTG", "MIDLANDS", "ENG"]
    lag = page.eval_on_selector("[data-lag=peer_daily]", "p => p.textContent")
    # Published 16 March 2023 (the helper's edition time), the day 12 March 2023: 4 days.
    assert "NHS England published this on 16 March 2023, 4 days after the day." in re.sub(r"\s+", " ", lag)
    with SITREP_2022_23.open(newline="", encoding="utf-8") as handle:
        rtg = next(r for r in csv.DictReader(handle) if r["date"] == LATEST_DAY.isoformat() and r["org_code"] == "RTG")
    shown = page.eval_on_selector("[data-figure='peer.RTG.ga_occupancy_pct']", "t => t.textContent")
    assert shown == f"{100 * int(rtg['ga_beds_occupied']) / int(rtg['ga_beds_open']):.1f}%"


def test_no_serious_or_critical_accessibility_violations(page):
    """WCAG 2.2 AA with axe-core, as tests/test_brief_browser.py runs it, on a screen and a phone, details open."""
    from axe_playwright_python.sync_playwright import Axe

    found = []
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.eval_on_selector_all("details", "ds => ds.forEach(d => d.open = true)")
        result = Axe().run(
            page,
            options={"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]}},
        )
        found += [
            (width, v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
            for v in result.response["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        assert result.response["passes"], "axe ran no rule"
        # Wide tables scroll inside their own box and the plot shrinks: the page never scrolls sideways.
        assert page.evaluate("() => document.documentElement.scrollWidth") <= width
    assert found == []


def test_with_no_national_data_the_command_says_so_and_writes_nothing(tmp_path):
    env = reference_only(tmp_path)
    done = uec(env, "report", "--peer")
    assert done.returncode == 1
    assert "No NHS England publication is loaded" in done.stdout
    assert not list((env.root / "reports").glob("peer-*.html"))
