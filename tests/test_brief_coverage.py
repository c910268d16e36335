"""The brief says nothing reassuring about a feed it does not have whole: a property over any mix of feeds, and days
with only OPEL, with every handover quarantined and with nothing at all, briefed through `uec report`."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.alerts.messages import brief_summary
from pipelines.brief.conditional import RULE_FEEDS, conditional
from pipelines.brief.coverage import (
    COMPLETE,
    NOT_LOADED,
    NOT_RECEIVED,
    PARTIAL,
    QUARANTINED,
    REJECTED,
    Coverage,
    FeedCoverage,
    ProviderCoverage,
)
from pipelines.brief.messages import key_messages
from pipelines.cli.main import main
from schemas import catalogue
from schemas.registry import load_feed_configs
from tests.support.rows import emas_row, opel_row, uhdb_row
from tests.support.warehouse import Env

# Each expected provider per feed, as the shipped layouts have them (the sitrep is sent only when needed).
EXPECTED = {
    feed: tuple(c.provider_code for c in load_feed_configs(feed) if c.expected_daily) for feed in catalogue.feed_names()
}
STATES = (COMPLETE, PARTIAL, QUARANTINED, REJECTED, NOT_RECEIVED, NOT_LOADED)
# Words that tell the call all is well with data: only about data the day has whole.
ASSURING = re.compile(r"\b(none at|No handover took|Every|every|matches)\b")


def _coverage(states: dict[tuple[str, str], str]) -> Coverage:
    feeds = []
    for entry in catalogue.FEEDS:
        providers = tuple(
            ProviderCoverage(entry.name, code, code, states[(entry.name, code)], "as generated")
            for code in EXPECTED[entry.name]
        )
        feeds.append(FeedCoverage(entry.name, entry.label, entry.section, providers))
    return Coverage(date(2025, 1, 14), tuple(feeds))


SLOTS = [(feed, code) for feed, codes in EXPECTED.items() for code in codes]
SITES = ("Royal Derby Hospital", "Queen's Hospital Burton", "Chesterfield Royal Hospital")


@settings(max_examples=300, deadline=None)
@given(
    states=st.fixed_dictionaries({slot: st.sampled_from(STATES) for slot in SLOTS}),
    over_45=st.lists(st.one_of(st.none(), st.integers(0, 3)), min_size=0, max_size=3),
    opel_rows=st.booleans(),
)
def test_no_assurance_sentence_about_a_feed_without_complete_data(states, over_45, opel_rows):
    coverage = _coverage(states)
    # The marts may hold rows whatever the coverage (a quarantined re-send leaves yesterday's): the rules see them.
    handover = [{"level": "site", "org_name": SITES[i], "over_45": n, "arrivals": 10} for i, n in enumerate(over_45)]
    opel = (
        [
            {
                "provider_name": "UHDB",
                "provider_code": "RTG",
                "declared_level": 2,
                "derived_level": 2,
                "ed_4h_pct_submitted": 75.0,
                "ed_4h_pct_pipeline": 75.0,
                "is_late": False,
                "is_missing": False,
                "submitted_at": None,
            }
        ]
        if opel_rows
        else []
    )
    messages = conditional(key_messages([], opel, handover, [], {}), coverage)
    assert messages
    for m in messages:
        assuring = not m.finding or ASSURING.search(m.text)
        if not assuring:
            continue
        short = [f.label for f in coverage.gaps(RULE_FEEDS[m.rule])]
        assert not short, f"{m.rule}: {m.text!r} while {short} are not complete"
    # Every feed short of complete is named, with why, by the rules that speak of it.
    text = " ".join(m.text for m in messages)
    for gap in coverage.gaps():
        assert f"figures for {gap.label} (" in text, (gap.label, text)


# ---- through `uec report` ------------------------------------------------------------------------------

DAY = "2025-01-14"


def _report(env: Env, tmp_path: Path, monkeypatch, capsys, day: str = DAY) -> tuple[int, str, str | None]:
    reports = tmp_path / "reports"
    monkeypatch.setenv("UEC_WAREHOUSE", str(env.warehouse))
    monkeypatch.setenv("UEC_LANDING", str(env.landing))
    monkeypatch.setenv("UEC_REPORTS", str(reports))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir(exist_ok=True)
    status = main(["report", "--date", day])
    page = reports / f"brief-{day}.html"
    return status, capsys.readouterr().out, page.read_text(encoding="utf-8") if page.exists() else None


def _all_said(page: str) -> str:
    """The key messages, the data-quality strip and every section's note, as plain text."""
    return re.sub(r"<[^>]+>", " ", page[page.index('id="key-messages"') : page.index('id="spc-heading"')])


def test_an_opel_only_day_says_no_figures_for_the_rest_and_nothing_reassuring(
    env: Env, tmp_path: Path, monkeypatch, capsys
):
    env.write_opel("20250114", "202501141130", [opel_row("RTG", "14/01/2025", "14/01/2025 09:00:00", 3)])
    env.materialize(DAY)

    status, _, page = _report(env, tmp_path, monkeypatch, capsys)

    assert status == 0 and page is not None
    _, messages = brief_summary(page)
    said = " ".join(messages)
    for never in (
        "No handover took over 45 minutes",
        "Every submitted 4-hour figure is within",
        "Every expected file and OPEL return arrived on time",
        "No charted measure shows special cause",
    ):
        assert never not in said, (never, messages)
    assert "No figures for ED attendances (not received from RFS" in said and "not received from RTG" in said, messages
    assert "No figures for Ambulance handovers (not received from RX9" in said
    assert "handovers over 45 minutes unknown" in said
    assert "submitted 4-hour figures not checked against computed ones" in said
    body = _all_said(page)
    assert "Every expected file arrived on time" not in body
    assert re.search(r'data-gaps="handover">No figures for Ambulance handovers \(not received from RX9', page)
    assert re.search(r'data-gaps="ed">No figures for ED attendances', page)
    assert 'data-gaps="opel"' not in page


def test_a_day_with_every_handover_quarantined_makes_no_handover_assurance(
    env: Env, tmp_path: Path, monkeypatch, capsys
):
    env.write_uhdb("20250114", "20250115T0600", [uhdb_row("A1", "2025-01-14 10:00:00", "2025-01-14 12:00:00")])
    env.write_emas("20250114", "20250115040000", [emas_row("H1", "31-Feb-2025 10:00:00")])
    env.materialize(DAY)

    status, out, page = _report(env, tmp_path, monkeypatch, capsys)

    assert status == 0 and page is not None, out
    _, messages = brief_summary(page)
    said = " ".join(messages)
    assert "No handover took over 45 minutes" not in said and "none at" not in said
    assert "No figures for Ambulance handovers (quarantined from RX9 (all 1 rows quarantined))" in said, messages
    assert 'data-gaps="handover">No figures for Ambulance handovers (quarantined from RX9' in page


def test_a_day_with_no_data_is_not_briefed(env: Env, tmp_path: Path, monkeypatch, capsys):
    env.write_uhdb("20250113", "20250114T0600", [uhdb_row("A1", "2025-01-13 10:00:00", "2025-01-13 12:00:00")])
    env.materialize("2025-01-13")

    status, out, page = _report(env, tmp_path, monkeypatch, capsys)

    assert status == 1 and page is None
    assert f"No figures for {DAY}" in out


def test_a_chart_s_latest_value_from_an_earlier_day_names_that_day(env: Env, tmp_path: Path, monkeypatch, capsys):
    # ED on the 12th and 13th, handovers on the 12th to the 14th: the brief for the 14th has no ED figure.
    for day in ("12", "13", "14"):
        iso = f"2025-01-{day}"
        if day != "14":
            env.write_uhdb(
                f"202501{day}",
                f"202501{int(day) + 1}T0600",
                [uhdb_row(f"A{day}", f"{iso} 10:00:00", f"{iso} 12:00:00")],
            )
        env.write_emas(
            f"202501{day}",
            f"202501{int(day) + 1}040000",
            [emas_row(f"H{day}", f"{day}-Jan-2025 10:00:00", f"{day}-Jan-2025 10:40:00", f"{day}-Jan-2025 11:00:00")],
        )
    env.materialize("2025-01-12", DAY)

    status, out, page = _report(env, tmp_path, monkeypatch, capsys)

    assert status == 0 and page is not None, out
    row = page[page.index('<tr data-series="ed_four_hour"') :]
    row = row[: row.index("</tr>")]
    assert "(on Mon 13 Jan: no figure for this day)" in row, row
    handover = page[page.index('<tr data-series="hours_lost"') :]
    assert "no figure for this day" not in handover[: handover.index("</tr>")]


@pytest.mark.parametrize("rule", sorted(RULE_FEEDS))
def test_every_gated_rule_names_real_feeds(rule):
    assert set(RULE_FEEDS[rule]) <= set(catalogue.feed_names())
