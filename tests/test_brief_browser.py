"""The brief as an analyst opens it: headless Chromium renders it offline, tiles match the warehouse, charts draw."""

from __future__ import annotations

import os
import re
from datetime import date, datetime, timedelta
from html import unescape
from pathlib import Path

import duckdb
import polars as pl
import pytest
from playwright.sync_api import sync_playwright
from polars.testing import assert_series_equal

from pipelines.brief.data import SERIES
from pipelines.brief.exports import DAY_MARTS, export_marts
from pipelines.brief.render import write_brief
from pipelines.brief.spc import LIMIT, UNITS
from pipelines.quality.gx_suites import Outcome, expectation_frame, validate
from pipelines.settings import (
    DEFAULT_EXPORT_HISTORY_DAYS,
    EXPORT_HISTORY_VARIABLE,
    export_history_days,
)
from schemas.catalogue import expectations
from schemas.clock import LONDON
from schemas.registry import load_feed_configs
from tests.support.samples import sample_env
from tests.support.warehouse import Env

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM = os.environ.get("UEC_CHROMIUM", "/usr/bin/chromium")
FIRST, DAY = "2025-03-01", "2025-03-31"
# As the machine's probe starts it: no sandbox as root, and no calls home on a closed network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def march(tmp_path_factory) -> Env:
    return sample_env(tmp_path_factory.mktemp("browser"), FIRST, DAY, brief=True)


@pytest.fixture(scope="module")
def data_docs(march: Env) -> list[Outcome]:
    """March's Data Docs, built beside the brief by validating three suites against its warehouse (no new run)."""
    # ED providers present (passes), and site volumes for ED and handovers: each fails on a day of March's samples.
    chosen = [e for e in expectations() if e.check_name == "site_volumes_within_trailing_bounds"]
    chosen += [e for e in expectations() if (e.feed, e.kind) == ("ed_attendances", "provider_present")]
    first, last = date.fromisoformat(FIRST), date.fromisoformat(DAY)
    with duckdb.connect(str(march.warehouse), read_only=True) as conn:
        frames = {
            e: expectation_frame(conn, e, first, last, load_feed_configs(e.feed, march.feeds_dir)) for e in chosen
        }
    return validate(frames, march.root / "reports")


class Offline:
    """A Chromium page with the network cut: every request that is not a file on this machine is aborted and kept."""

    def __init__(self, browser):
        self.left_the_machine: list[str] = []
        self.failed: list[str] = []
        self.errors: list[str] = []
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.route("**/*", self._route)
        self.page = context.new_page()
        self.page.on("requestfailed", lambda r: self.failed.append(r.url))
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def _route(self, route) -> None:
        if route.request.url.startswith("file:"):
            route.continue_()
        else:
            self.left_the_machine.append(route.request.url)
            route.abort()

    def text(self, url: str) -> str:
        self.page.goto(url)
        self.page.wait_for_load_state("load")
        return self.page.inner_text("body")


def _expected_tiles(env: Env) -> dict[str, str]:
    """The tiles' figures computed here from the warehouse, formatted as the page shows them."""
    expected = {}
    for org, period, pct, over_12h in env.query(
        # The system's headline tile (the board's trusts) is named by the system's code, the all-providers one beside
        # it by the code and "-all-providers".
        "select case level when 'system' then org_code || '-all-providers' else org_code end, "
        "period, pct_within_4h, over_12h from marts.ed_four_hour_rollup "
        "where date = $d and scope = 'all_types' and level in ('system_headline', 'system', 'trust')",
        d=DAY,
    ).rows():
        expected[f"ed.{org}.{period}.pct_within_4h"] = f"{pct:.1f}%"
        if period == "day":
            expected[f"ed.{org}.day.over_12h"] = f"{over_12h:,}"
    for site, hours, mean, over_45 in env.query(
        "select org_code, hours_lost, mean_minutes, over_45 from marts.handover_rollup "
        "where date = $d and period = 'day' and level = 'site'",
        d=DAY,
    ).rows():
        expected |= {
            f"handover.{site}.hours_lost": f"{hours:,.1f}",
            f"handover.{site}.mean_minutes": f"{mean:,.1f} min",
            f"handover.{site}.over_45": f"{over_45:,}",
        }
    rate, avoided, mean = env.query(
        "select deflection_rate, dispatches_avoided, mean_response_minutes from marts.cnh_deflection_rollup "
        "where date = $d and period = 'day' and referral_source = 'ambulance_stack_total'",
        d=DAY,
    ).row(0)
    expected |= {
        "cnh.deflection_rate": f"{rate:.1f}%",
        "cnh.dispatches_avoided": f"{avoided:,}",
        "cnh.mean_response_minutes": f"{mean:,.1f} min",
    }
    expected["opel.system_level"] = str(
        env.query("select system_level from marts.opel_system_daily where date = $d", d=DAY).item()
    )
    return expected


def test_brief_renders_in_chromium_with_the_warehouse_figures_and_every_chart(march: Env):
    page_path = march.root / "reports" / f"brief-{DAY}.html"
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: `make test` installs Debian's chromium package"
    ARTIFACTS.mkdir(exist_ok=True)
    errors: list[str] = []
    requests: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("request", lambda r: requests.append(r.url))
            page.goto(page_path.as_uri())
            shown = {
                el.get_attribute("data-figure"): el.inner_text().strip()
                for el in page.query_selector_all("[data-figure]")
            }
            charts = page.eval_on_selector_all(
                "svg.spc-chart",
                """svgs => svgs.map(svg => {
                const line = svg.querySelector('path.series').getBBox();
                return {series: svg.dataset.series, org: svg.dataset.org, points: Number(svg.dataset.points),
                        circles: svg.querySelectorAll('circle.point').length, width: line.width, height: line.height,
                        shown: svg.getBoundingClientRect().width};
            })""",
            )
            page.screenshot(path=str(ARTIFACTS / f"brief-{DAY}.png"), full_page=True)
        finally:
            browser.close()

    assert errors == []
    # One self-contained file: nothing fetched beyond the page itself.
    assert requests == [page_path.as_uri()]
    expected = _expected_tiles(march)
    assert {k: shown.get(k) for k in expected} == expected
    # A chart for system 4-hour and 12-hour, each acute site's hours lost and handovers over 45 minutes (3 sites),
    # and deflection; each draws all its days.
    assert sorted(c["series"] for c in charts) == [
        "deflection",
        "ed_four_hour",
        "ed_twelve_hour",
        *["handovers_over_45"] * 3,
        *["hours_lost"] * 3,
    ]
    days = dict(
        march.query(
            # The 4-hour chart is the home system's headline figure (QJ2's acute trusts), named by its code.
            "select 'ed_four_hour/' || org_code, count(pct_within_4h) from marts.ed_four_hour_rollup "
            "where period = 'day' and level = 'system_headline' and scope = 'all_types' group by org_code union all "
            "select 'ed_twelve_hour/' || org_code, count(pct_over_12h) from marts.ed_four_hour_rollup "
            "where period = 'day' and level = 'system_headline' and scope = 'all_types' group by org_code union all "
            "select 'hours_lost/' || org_code, count(hours_lost) from marts.handover_rollup "
            "where period = 'day' and level = 'site' group by org_code union all "
            "select 'handovers_over_45/' || org_code, count(over_45) from marts.handover_rollup "
            "where period = 'day' and level = 'site' group by org_code union all "
            "select 'deflection/ambulance_stack_total', count(deflection_rate) from marts.cnh_deflection_rollup "
            "where period = 'day' and referral_source = 'ambulance_stack_total'"
        ).rows()
    )
    for chart in charts:
        # Every day with a figure in the warehouse is a point (31 days of samples, less days a site had no data).
        assert chart["points"] == chart["circles"] == days[f"{chart['series']}/{chart['org']}"], chart
        assert chart["width"] > 100 and chart["height"] > 0 and chart["shown"] > 300, chart
    assert (ARTIFACTS / f"brief-{DAY}.png").stat().st_size > 50_000


# --- the call-pack workbook over the month: history, rounding and times, against the warehouse ---------------


def _as_excel_shows(frame: pl.DataFrame) -> pl.DataFrame:
    """The warehouse's rows as the workbook should hold them: percentages as fractions of 1 to 3 places (one
    decimal of a percentage), hours to 2 places, minutes to 1, other decimals to 2; times cut to the minute."""
    columns = []
    for column, dtype in frame.schema.items():
        words = column.split("_")
        if dtype == pl.Float64:
            if "pct" in words or column == "deflection_rate":
                columns.append((pl.col(column) / 100).round(3))
            else:
                columns.append(pl.col(column).round(1 if "minutes" in words else 2))
        elif isinstance(dtype, pl.Datetime):
            columns.append(pl.col(column).dt.truncate("1m"))
    return frame.with_columns(columns)


def test_the_workbook_holds_the_history_days_rounded_and_to_the_minute(march: Env, tmp_path: Path, monkeypatch):
    workbook = march.root / "reports" / f"marts-{DAY}.xlsx"
    last = date.fromisoformat(DAY)
    # Default history: 28 days, 4 to 31 March; the month's first three days are left out.
    window = {"first": last - timedelta(days=27), "last": last}
    for mart in DAY_MARTS:
        expected = _as_excel_shows(
            march.query(f"select * from marts.{mart} where date between $first and $last order by all", **window)
        )
        sheet = pl.read_excel(workbook, sheet_name=mart)
        assert sheet.height == expected.height and sheet["date"].min() == window["first"], mart
        for column, dtype in expected.schema.items():
            if dtype == pl.Float64:
                assert_series_equal(sheet[column], expected[column], check_dtypes=False, abs_tol=1e-9)
            elif isinstance(dtype, pl.Datetime):
                assert sheet[column].dt.second().drop_nulls().unique().to_list() in ([], [0]), (mart, column)
                assert_series_equal(sheet[column], expected[column], check_dtypes=False)
    # The CSV keeps the day: OPEL submission times as ISO text to the minute, decimals rounded.
    opel = pl.read_csv(march.root / "reports" / f"marts-{DAY}" / "opel_daily.csv", infer_schema_length=0)
    submitted = opel["submitted_at"].drop_nulls()
    assert submitted.len() > 0 and submitted.str.contains(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$").all()
    assert opel["ed_4h_pct_pipeline"].drop_nulls().str.contains(r"^-?\d+(\.\d)?$").all()
    # Configured history: UEC_EXPORT_HISTORY_DAYS=7 gives 25 to 31 March; nonsense is refused in words.
    monkeypatch.setenv(EXPORT_HISTORY_VARIABLE, "7")
    with duckdb.connect(str(march.warehouse), read_only=True) as conn:
        week, _, _ = export_marts(conn, last, tmp_path, export_history_days())
    monkeypatch.setenv(EXPORT_HISTORY_VARIABLE, "four weeks")
    with pytest.raises(ValueError, match="whole number of days"):
        export_history_days()
    days = pl.read_excel(week, sheet_name="ed_four_hour_daily")["date"]
    assert (days.min(), days.max(), days.n_unique()) == (last - timedelta(days=6), last, 7)


def test_data_docs_render_offline_with_the_suites_and_the_failing_rows(march: Env, data_docs: list[Outcome]):
    site = march.root / "reports" / "data_docs"
    [failed] = [o for o in data_docs if not o.passed and o.expectation.feed == "ed_attendances"]  # ED site volumes
    ARTIFACTS.mkdir(exist_ok=True)
    [validation] = (site / "validations").rglob(f"*-{failed.expectation.suite_name}.html")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            offline = Offline(browser)
            # The index's tables are drawn by its scripts (bootstrap-table): with them missing it lists nothing.
            index = offline.text((site / "index.html").as_uri())
            styled = offline.page.eval_on_selector("nav.navbar", "nav => getComputedStyle(nav).display")
            page = offline.text(validation.as_uri())
            icons = offline.page.evaluate("document.fonts.check('900 16px \"Font Awesome 6 Free\"')")
            offline.page.screenshot(path=str(ARTIFACTS / "data-docs-validation.png"), full_page=False)
        finally:
            browser.close()

    assert offline.left_the_machine == [] and offline.failed == [] and offline.errors == []
    assert styled == "flex" and icons  # Bootstrap's styles and Font Awesome's font came from the site itself
    for outcome in data_docs:
        assert outcome.expectation.suite_name in index
    # The failing expectation in words, and each failing day and site the warehouse's frame put outside its bounds.
    assert "Status: Failed" in " ".join(page.split())
    assert "must always be greater than or equal to" in page
    for row in failed.failing.iter_rows(named=True):
        assert row["subject"] in page and row["date"].isoformat() in page


def test_the_brief_links_to_its_days_data_docs_by_a_path_that_opens_locally(march: Env, data_docs: list[Outcome]):
    brief = march.root / "reports" / f"brief-{DAY}.html"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            offline = Offline(browser)
            offline.text(brief.as_uri())
            offline.page.click("a[data-link=data-docs]")
            offline.page.wait_for_load_state("load")
            landed, shown = offline.page.url, offline.page.inner_text("body")
            offline.page.click("text=Every result, every day")
            offline.page.wait_for_load_state("load")
            index = offline.page.url
        finally:
            browser.close()

    # The brief's own day: each suite's result for it, and from there every result.
    assert landed == (march.root / "reports" / "data_docs" / "days" / f"{DAY}.html").as_uri()
    assert "Data-quality results for Monday 31 March 2025" in shown
    assert all(o.expectation.suite_name in shown for o in data_docs)
    assert index == (march.root / "reports" / "data_docs" / "index.html").as_uri()
    assert offline.left_the_machine == [] and offline.failed == [] and offline.errors == []


def test_data_docs_keep_the_days_ed_and_handover_results_after_an_opel_only_run(
    march: Env, data_docs: list[Outcome], tmp_path: Path
):
    """The 07:15 run validates the day's ED and handover suites; the 12:45 run validates OPEL alone. The site each
    builds must still show the morning's results: it merges, never replaces."""
    reports = tmp_path / "reports"
    # A day on which March's samples fail the ED site-volume suite (the month's validation found it).
    [ed_volumes] = [o for o in data_docs if not o.passed and o.expectation.feed == "ed_attendances"]
    day = ed_volumes.failing["date"].min()
    morning = [e for e in expectations() if e.feed in ("ed_attendances", "ambulance_handovers")]
    midday = [e for e in expectations() if e.feed == "opel_submissions"]
    with duckdb.connect(str(march.warehouse), read_only=True) as conn:

        def frames(chosen):
            return {e: expectation_frame(conn, e, day, day, load_feed_configs(e.feed, march.feeds_dir)) for e in chosen}

        at_0715 = validate(frames(morning), reports, (day, day))
        at_1245 = validate(frames(midday), reports, (day, day))
        # The overnight run again, for the same day: its newer results replace its own older ones, no more.
        again = validate(frames(morning), reports, (day, day))
    assert {o.passed for o in at_0715} == {True, False}
    site = reports / "data_docs"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            offline = Offline(browser)
            offline.text((site / "days" / f"{day}.html").as_uri())
            rows = offline.page.eval_on_selector_all(
                "tr[data-suite]", "rs => rs.map(r => [r.dataset.suite, r.dataset.passed, r.cells[2].innerText])"
            )
            [failed] = [o for o in again if not o.passed and o.expectation.feed == "ed_attendances"]
            offline.page.click(f"tr[data-suite='{failed.expectation.suite_name.replace('.', '/')}'] a")
            offline.page.wait_for_load_state("load")
            validation = offline.page.inner_text("body")
            index = offline.text((site / "index.html").as_uri())
        finally:
            browser.close()

    assert offline.left_the_machine == [] and offline.failed == [] and offline.errors == []
    # Every suite of both runs, once each, with the run's days as its name and the latest verdict.
    expected = {o.expectation.suite_name.replace(".", "/"): str(o.passed).lower() for o in [*again, *at_1245]}
    assert {suite: passed for suite, passed, _ in rows} == expected and len(rows) == len(expected)
    assert {name for _, _, name in rows} == {day.isoformat()}
    assert "Status: Failed" in " ".join(validation.split())
    for o in [*at_0715, *at_1245]:
        assert o.expectation.suite_name in index
    # One result kept per suite and day: the first 07:15 run's results gave way to the second's.
    kept = list((reports / ".data_docs_store" / "validations").rglob("*.json"))
    assert len(kept) == len(expected)


def _in_chromium(page_path: Path, script: str):
    """What `script` (a function of the document) returns for the page as headless Chromium renders it."""
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(page_path.as_uri())
            return page.evaluate(script)
        finally:
            browser.close()


# Each limit segment and step marker as drawn (its rendered box), the series path, and the circles' days.
CHART_GEOMETRY = """() => Array.from(document.querySelectorAll('svg.spc-chart')).map(svg => ({
    series: svg.dataset.series, org: svg.dataset.org, unit: svg.dataset.unit,
    axis: Array.from(svg.querySelectorAll('text.axis-unit')).map(t => t.textContent),
    ticks: Array.from(svg.querySelectorAll('text.tick')).map(t => t.textContent),
    limits: Array.from(svg.querySelectorAll('line[data-phase]')).map(l => {
        const box = l.getBBox();
        return {kind: l.getAttribute('class'), phase: Number(l.dataset.phase), from: l.dataset.from,
                to: l.dataset.to, value: Number(l.dataset.value), left: box.x, right: box.x + box.width};
    }),
    steps: Array.from(svg.querySelectorAll('line.step')).map(l => ({date: l.dataset.date, x: l.getBBox().x})),
    gaps: Array.from(svg.querySelectorAll('rect.gap')).map(r => [r.dataset.from, r.dataset.to]),
    path: svg.querySelector('path.series').getAttribute('d'),
    days: Array.from(svg.querySelectorAll('circle.point')).map(c => [c.dataset.date, Number(c.getAttribute('cx'))]),
}))"""

STEP = "2025-03-10"


def _phase_limits(env: Env, site: str, first: str, last: str) -> tuple[float, float, float]:
    """A site's hours lost from `first`: upper limit, mean, lower limit (mean +/- 2.66 x mean moving range), from the
    phase's baseline, its first 20 recorded days up to `last`, with moving ranges of 3.267 x their mean screened out."""
    mean, mmr = env.query(
        "with days as (select date, hours_lost as v from marts.handover_rollup where period = 'day' and "
        "level = 'site' and org_code = $site and date between $first and $last and hours_lost is not null "
        "order by date limit 20), ranges as (select abs(v - lag(v) over (order by date)) as r from days) "
        "select (select avg(v) from days), "
        "(select avg(r) filter (where r < 3.267 * (select avg(r) from ranges)) from ranges)",
        site=site,
        first=first,
        last=last,
    ).row(0)
    # Hours lost are never negative: a lower limit below 0 is drawn at 0.
    return mean + LIMIT * mmr, mean, max(mean - LIMIT * mmr, 0)


@pytest.fixture(scope="module")
def stepped(march: Env, tmp_path_factory) -> tuple[Path, list[dict]]:
    """The March brief rendered again (no new run) with a step for Royal Derby's hours lost on 10 March."""
    folder = tmp_path_factory.mktemp("stepped")
    (folder / "spc_steps.yaml").write_text(
        f"steps:\n  - {{date: {STEP}, series: [hours_lost], orgs: [RTG01], reason: a test step}}\n", encoding="utf-8"
    )
    with duckdb.connect(str(march.warehouse), read_only=True) as conn:
        data = march.brief(
            conn, date.fromisoformat(DAY), now=datetime(2025, 4, 1, 9, tzinfo=LONDON), reference_dir=folder
        )
        files = write_brief(conn, data, folder / "reports", str(march.warehouse), DEFAULT_EXPORT_HISTORY_DAYS)
    return files.html, _in_chromium(files.html, CHART_GEOMETRY)


def test_spc_limits_break_at_a_configured_step(march: Env, stepped):
    _, charts = stepped
    (derby,) = [c for c in charts if (c["series"], c["org"]) == ("hours_lost", "RTG01")]
    by_phase = {(line["kind"], line["phase"]): line for line in derby["limits"]}
    assert sorted(by_phase) == [(k, p) for k in ("ref-lower", "ref-mean", "ref-upper") for p in (0, 1)]
    # Each phase's mean and limits are the warehouse's days on its side of the step, worked in SQL above.
    for phase, (first, last) in enumerate([(FIRST, "2025-03-09"), (STEP, DAY)]):
        expected = _phase_limits(march, "RTG01", first, last)
        drawn = tuple(by_phase[(k, phase)]["value"] for k in ("ref-upper", "ref-mean", "ref-lower"))
        assert drawn == pytest.approx(expected), phase
        assert {(by_phase[(k, phase)]["from"], by_phase[(k, phase)]["to"]) for k in ("ref-upper", "ref-mean")} == {
            (first, last)
        }
    # The break: every segment of the old limits ends before the step's marker, every new one starts after it.
    (step,) = derby["steps"]
    assert step["date"] == STEP
    for line in derby["limits"]:
        assert (line["right"] < step["x"]) if line["phase"] == 0 else (line["left"] > step["x"]), line
    # A chart with no step in its window keeps one phase.
    (burton,) = [c for c in charts if (c["series"], c["org"]) == ("hours_lost", "RTGFG")]
    assert {line["phase"] for line in burton["limits"]} == {0} and burton["steps"] == []


def _subpaths(d: str) -> list[list[float]]:
    """The x of each vertex, per subpath (each M starts one) of an SVG path's d attribute."""
    return [[float(x) for x in re.findall(r"([\d.]+),[\d.]+", part)] for part in re.split(r"(?=M)", d) if part]


def test_spc_line_is_not_drawn_across_missing_days(march: Env, stepped):
    _, charts = stepped
    recorded = {
        (series, org): {d.isoformat() for d in days}
        for series, org, days in march.query(
            "select 'hours_lost', org_code, list(date) filter (where hours_lost is not null) "
            "from marts.handover_rollup where period = 'day' and level = 'site' group by org_code"
        ).rows()
    }
    every_day = {f"2025-03-{d:02d}" for d in range(1, 32)}
    missing_somewhere = False
    for chart in (c for c in charts if c["series"] == "hours_lost"):
        days = dict(chart["days"])
        missing = sorted(every_day - recorded[(chart["series"], chart["org"])])
        missing_somewhere |= bool(missing)
        assert set(days) == recorded[(chart["series"], chart["org"])]
        # No stroke joins two days with a missing day between: each subpath's vertices are consecutive days.
        one_day = min(b - a for a, b in zip(sorted(days.values()), sorted(days.values())[1:]))
        for xs in _subpaths(chart["path"]):
            assert all(b - a < 1.5 * one_day for a, b in zip(xs, xs[1:])), chart["org"]
        assert len(_subpaths(chart["path"])) == 1 + len(chart["gaps"])
        # The gaps drawn are the days the warehouse has no figure for (Burton 17-19 March in the samples).
        assert [d for a, b in chart["gaps"] for d in sorted(every_day) if a <= d <= b] == missing, chart["org"]
    assert missing_somewhere, "the samples no longer leave a day without a figure: the gap test tests nothing"


def test_spc_axes_name_their_units_and_every_measure_has_icons_with_words(march: Env, stepped):
    page_path, charts = stepped
    for chart in charts:
        unit = SERIES[chart["series"]][2]
        assert chart["unit"] == unit
        assert chart["axis"] == [(UNITS[unit][0] if unit in UNITS else unit).capitalize(), "Day"], chart
        suffix = {"%": "%", "hours": " h", "minutes": " min"}.get(unit)
        assert all(t.endswith(suffix) if suffix else re.fullmatch(r"-?[\d,]+", t) for t in chart["ticks"]), chart
    rows = _in_chromium(
        page_path,
        """() => Array.from(document.querySelectorAll('table.spc-matrix tr[data-series]')).map(tr => ({
            key: tr.dataset.series + '/' + tr.dataset.org,
            cells: Array.from(tr.querySelectorAll('td.icon-cell')).map(td => ({
                icon: td.querySelector('svg.mdc-icon title').textContent, words: td.querySelector('span').innerText,
                shown: td.querySelector('svg.mdc-icon').getBoundingClientRect().width}))}))""",
    )
    assert sorted(r["key"] for r in rows) == sorted(f"{c['series']}/{c['org']}" for c in charts)
    for row in rows:
        # Variation then assurance, each an icon whose words are also printed beside it: never colour alone.
        assert len(row["cells"]) == 2
        for cell in row["cells"]:
            assert cell["words"] == cell["icon"] and 20 <= cell["shown"] <= 40, row
    assert "<script" not in page_path.read_text(encoding="utf-8")


# Brief v2: tile changes, print, phone width and accessibility, on the same month's brief (no new warehouse).
A4_PAGE = re.compile(rb"/Type\s*/Page[^s]")
# Each tile's figure, how the test reads it from the marts, and which way is better.
TILE_SERIES = {
    "ed.{org}.day.pct_within_4h": (
        "select case level when 'system' then org_code || '-all-providers' else org_code end, date, pct_within_4h "
        "from marts.ed_four_hour_rollup where period = 'day' "
        "and scope = 'all_types' and level in ('system_headline', 'system', 'trust') "
        "and org_code in ('QJ2', 'RTG', 'RFS', 'RY8')",
        "points",
        "higher",
    ),
    "handover.{org}.hours_lost": (
        "select org_code, date, hours_lost from marts.handover_rollup where period = 'day' "
        "and level in ('site', 'system')",
        "hours",
        "lower",
    ),
    "cnh.deflection_rate": (
        "select 'cnh', date, deflection_rate from marts.cnh_deflection_rollup where period = 'day' "
        "and referral_source = 'ambulance_stack_total'",
        "points",
        "higher",
    ),
}


@pytest.fixture(scope="module")
def chromium():
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _open(browser, env: Env, width: int, height: int = 900, *, open_details: bool = False):
    page = browser.new_page(viewport={"width": width, "height": height})
    page.goto((env.root / "reports" / f"brief-{DAY}.html").as_uri())
    if open_details:
        page.eval_on_selector_all("details", "ds => ds.forEach(d => d.open = true)")
    return page


def _moved(today: float, before: float | None, against: str, unit: str, better: str) -> str:
    """The words a tile's change should say, worked here from the two days' figures as the tiles show them (one
    decimal each, then subtracted), so the words agree with the reader's own subtraction."""
    if before is None:
        return f"no figure to compare with {against}"
    delta = round(float(f"{today:.1f}") - float(f"{before:.1f}"), 1)
    if delta == 0:
        return f"no change on {against}"
    verdict = "better" if (delta > 0) == (better == "higher") else "worse"
    return f"{'up' if delta > 0 else 'down'} {abs(delta):.1f} {unit} on {against}, {verdict}"


def test_tile_changes_equal_the_warehouses_moves(march: Env, chromium):
    day = date.fromisoformat(DAY)
    yesterday, week_ago = day - timedelta(days=1), day - timedelta(days=7)
    expected = {}
    for figure, (query, unit, better) in TILE_SERIES.items():
        values: dict[str, dict[date, float]] = {}
        for org, when, value in march.query(query).rows():
            values.setdefault(org, {})[when] = value
        for org, by_day in values.items():
            if day not in by_day:
                continue
            key = figure.format(org=org)
            expected[f"{key}.vs_yesterday"] = _moved(by_day[day], by_day.get(yesterday), "yesterday", unit, better)
            expected[f"{key}.vs_last_week"] = _moved(
                by_day[day], by_day.get(week_ago), f"{week_ago:%A} last week", unit, better
            )
    page = _open(chromium, march, 1280)
    shown = {
        el.get_attribute("data-figure"): el.inner_text().strip()
        for el in page.query_selector_all(".changes [data-figure]")
    }
    page.screenshot(path=str(ARTIFACTS / "brief-desktop.png"), full_page=True)
    # 5 ED tiles (the system's headline and all-providers figures and 3 trusts), 4 handover tiles (3 sites and the
    # system), the hub: 2 changes each.
    assert len(expected) == 20
    assert shown == expected
    # Never colour alone: every change has its arrow beside the words.
    arrows = page.eval_on_selector_all(".changes li .arrow", "as => as.map(a => a.textContent)")
    assert len(arrows) == 20 and all(a in "▲▼▶" for a in arrows)


def test_print_puts_the_headline_on_two_a4_pages_and_keeps_each_chart_whole(march: Env, chromium):
    page = _open(chromium, march, 1280)
    whole = len(A4_PAGE.findall(page.pdf(format="A4")))
    page.emulate_media(media="print")
    # Printed open: each drill-down's table has a size on paper, and no chart, tile or table row breaks.
    shown = page.eval_on_selector_all("details table", "ts => ts.map(t => t.getBoundingClientRect().height)")
    breaks = page.eval_on_selector_all(
        ".chart, .tile, tr", "es => [...new Set(es.map(e => getComputedStyle(e).breakInside))]"
    )
    page.set_viewport_size({"width": 794, "height": 1123})  # A4 at 96 dpi
    page.screenshot(path=str(ARTIFACTS / "brief-print.png"))
    # The headline alone (everything before the charts) prints on at most two pages.
    page.eval_on_selector_all("#headline ~ *", "es => es.forEach(e => e.remove())")
    headline = len(A4_PAGE.findall(page.pdf(format="A4")))
    assert shown and all(h > 0 for h in shown), shown
    assert breaks == ["avoid"]
    assert 1 <= headline <= 2 < whole, (headline, whole)


def test_nothing_is_wider_than_a_phone(march: Env, chromium):
    page = _open(chromium, march, 390, 844, open_details=True)
    widths = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    # Wide tables scroll inside their own wrapper (.scroll); nothing else may reach past the screen's edges.
    outside = page.evaluate(
        """() => [...document.querySelectorAll('body *')].filter(e => !e.parentElement.closest('.scroll'))
        .filter(e => { const r = e.getBoundingClientRect(); return r.right > innerWidth + 0.5 || r.left < -0.5; })
        .map(e => e.tagName + (e.className ? '.' + e.className : ''))"""
    )
    page.eval_on_selector_all("details", "ds => ds.forEach(d => d.open = false)")
    page.screenshot(path=str(ARTIFACTS / "brief-phone.png"), full_page=True)
    assert widths[0] <= widths[1] == 390, widths
    assert outside == []


def test_chart_labels_are_11_pixels_or_more_on_a_phone_and_on_a_screen(march: Env, chromium):
    """Every label a chart shows (ticks, dates, units, steps, lines, icon letters) as the page draws it: its font
    size times the drawing's scale on screen. A 720-unit chart shrunk to a phone printed 11-unit labels at ~5 px."""
    sizes = {}
    for width in (390, 1280):
        page = _open(chromium, march, width)
        sizes[width] = page.evaluate(
            """() => [...document.querySelectorAll('#spc svg text')].filter(t => t.getClientRects().length)
            .map(t => { const m = t.getScreenCTM();
                        return [t.closest('svg').getAttribute('class'), t.textContent,
                                parseFloat(getComputedStyle(t).fontSize) * Math.hypot(m.a, m.b)]; })"""
        )
        drawn = page.eval_on_selector_all(
            ".chart svg[data-series]",
            "ss => ss.filter(s => s.getClientRects().length).map(s => s.getAttribute('class'))",
        )
        page.close()
        # One drawing of each chart is shown: the narrow one on the phone, the wide one on a screen.
        assert drawn == [("spc-chart-narrow" if width == 390 else "spc-chart")] * 9, (width, drawn)
    for width, labels in sizes.items():
        assert len(labels) > 60, width  # 9 charts of ticks, dates, units and steps, and 18 icons
        small = [(cls, text, round(px, 1)) for cls, text, px in labels if px < 11]
        assert small == [], (width, small[:5])
    # Ticks are round and honest: each label is its value, and no tick reads "-0".
    assert not [t for _, t, _ in sizes[390] if t.startswith("-0")]


def test_no_serious_or_critical_accessibility_violations(march: Env, chromium):
    """WCAG 2.2 AA with axe-core (bundled with axe-playwright-python, loaded from the package, not the network)."""
    from axe_playwright_python.sync_playwright import Axe

    found = []
    for width in (1280, 390):
        page = _open(chromium, march, width, open_details=True)
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
    assert found == []


def test_key_messages_come_first_and_the_drill_down_shows_the_warehouses_rows(march: Env, chromium):
    page = _open(chromium, march, 1280)
    first = page.eval_on_selector("main", "m => m.querySelector('section').id")
    rules = page.eval_on_selector_all("#key-messages li", "ls => ls.map(l => [l.dataset.rule, l.className])")
    sections = page.eval_on_selector_all("details", "ds => ds.map(d => [d.dataset.drill, d.open])")
    site_rows = page.eval_on_selector_all("[data-drill=ed_by_site_type] tr[data-site]", "rs => rs.length")
    history = {
        row.get_attribute("data-row"): [c.text_content().split()[0] for c in row.query_selector_all("td[data-day]")]
        for row in page.query_selector_all("[data-drill=opel_history] tr[data-row]")
    }
    assert first == "key-messages"
    # One sentence per provider whose declared level differs from the level its figures score, as opel_daily says.
    gaps = march.query(
        "select count(*) from marts.opel_daily where date = $d and declared_level <> derived_level", d=DAY
    ).item()
    assert [r for r, cls in rules if r == "opel_gap" and cls != "clear"] == ["opel_gap"] * gaps
    assert [s for s, is_open in sections] == [
        "ed_by_site_type",
        "ed_type_1",
        "cnh_by_source",
        "opel_parameters",
        "opel_history",
    ]
    assert not any(is_open for s, is_open in sections)  # collapsed on screen: the headline comes first
    assert site_rows == march.query("select count(*) from marts.ed_four_hour_daily where date = $d", d=DAY).item()
    # Each provider's declared level on each of the 7 days to the brief's, oldest first.
    expected: dict[str, list[str]] = {}
    for code, level in march.query(
        "select provider_code, declared_level from marts.opel_daily where date between $d::date - 6 and $d "
        "order by provider_code, date",
        d=DAY,
    ).rows():
        expected.setdefault(code, []).append(str(level) if level is not None else "none")
    assert history == expected


def _section(html: str, section_id: str) -> list[tuple[str, str]]:
    """A section's list items as (their data-rule or data-ask, their text), read from the written page."""
    start = html.index(f'id="{section_id}"')
    part = html[start : html.index("</section>", start)]
    return [
        (kind, unescape(" ".join(text.split())))
        for kind, text in re.findall(r'<li data-(?:rule|ask)="([^"]+)"[^>]*>(.*?)</li>', part, re.S)
    ]


def test_the_march_brief_names_the_opel_changes_and_lists_the_asks_for_the_call(march: Env):
    """The demo's day (31 March 2025), read from the written HTML (no browser needed): the sample OPEL returns put the
    system at OPEL 2 on the 30th and 3 on the 31st, and EMAS at 4, and the brief must say so."""
    html = (march.root / "reports" / f"brief-{DAY}.html").read_text(encoding="utf-8")
    levels = dict(
        march.query(
            "select date::varchar, system_level from marts.opel_system_daily where date in ($d::date - 1, $d)", d=DAY
        ).rows()
    )
    assert levels == {"2025-03-30": 2, "2025-03-31": 3}
    at_4 = march.query("select provider_code from marts.opel_daily where date = $d and declared_level = 4", d=DAY)
    assert at_4["provider_code"].to_list() == ["RX9"]

    messages = _section(html, "key-messages")
    # OPEL first, as the call opens on it: 2 -> 3 is a rise, and RX9's declared 4 is named.
    assert messages[:2] == [
        ("opel_system", "System OPEL rose from 2 yesterday to 3."),
        ("opel_4", "East Midlands Ambulance Service NHS Trust (RX9) is at OPEL 4."),
    ]
    assert (
        "opel_moves",
        "East Midlands Ambulance Service NHS Trust (RX9) escalated from OPEL 3 yesterday to OPEL 4.",
    ) in (messages)
    assert '<h2 id="call-list-title">For the 09:30 call</h2>' in html
    asks = _section(html, "call-list")
    assert asks[0] == (
        "opel_4",
        "East Midlands Ambulance Service NHS Trust (RX9) is at OPEL 4: its actions and the support it needs.",
    )
    # Each site the handover mart counts over 45 minutes is on the list, with its count.
    over_45 = march.query(
        "select r.org_name, r.over_45 from marts.handover_rollup as r where r.date = $d and r.period = 'day' "
        "and r.level = 'site' and r.over_45 > 0",
        d=DAY,
    ).rows()
    assert over_45 and all(
        ("handover_45", f"{site}: {n:,} handovers over 45 minutes (the standard is none).") in asks
        for site, n in over_45
    )


def test_the_march_four_hour_tile_reconciles_its_counts(march: Env):
    """Item 5 on the demo's day: the headline tile's within, counted, attendances and still-open counts are the mart's,
    and they add up (within + breaches + pending = attendances)."""
    html = (march.root / "reports" / f"brief-{DAY}.html").read_text(encoding="utf-8")
    shown = dict(re.findall(r'data-figure="(ed\.QJ2\.day\.[a-z_0-9]+)"[^>]*>([^<]*)<', html))
    within, breaches, pending, attendances = march.query(
        "select within_4h, breaches, pending, attendances from marts.ed_four_hour_rollup where date = $d "
        "and level = 'system_headline' and org_code = 'QJ2' and period = 'day' and scope = 'all_types'",
        d=DAY,
    ).row(0)
    assert within + breaches + pending == attendances and pending > 0
    assert {k: shown[k] for k in shown if not k.endswith(("pct_within_4h", "over_12h", "pct_over_12h"))} == {
        "ed.QJ2.day.within_4h": f"{within:,}",
        "ed.QJ2.day.counted": f"{within + breaches:,}",
        "ed.QJ2.day.attendances": f"{attendances:,}",
        "ed.QJ2.day.pending": f"{pending:,}",
    }
