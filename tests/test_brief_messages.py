"""The brief's key-message rules and tile changes, on series and rows worked by hand (no warehouse)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import polars as pl

from pipelines.brief.changes import tile_changes
from pipelines.brief.data import Problem
from pipelines.brief.messages import (
    call_asks,
    cross_check_gaps,
    deteriorations,
    handovers_over_45,
    late_or_missing,
    opel_at_4,
    opel_gaps,
    opel_moves,
    opel_system_change,
)
from pipelines.brief.spc import Chart, largest_deteriorations, spc

DAY = date(2025, 3, 31)  # a Monday


def _chart(series: str, org: str, values: list[float], better: str) -> Chart:
    dates = [DAY - timedelta(days=len(values) - 1 - i) for i in range(len(values))]
    title, unit = {"hours_lost": ("Handover hours lost", "hours"), "ed_four_hour": ("System 4-hour performance", "%")}[
        series
    ]
    # Worked by hand with every moving range counted (the Excel tool's reading): no range is screened out.
    return Chart(series, title, org, org, dates, spc(dates, values, improvement=better, screen=False), unit)


# A: mean 14, moving ranges 0,0,0,20 -> mean moving range 5, upper limit 14 + 2.66 * 5 = 27.3: 30 is beyond it.
# Sigma 5 / 1.128 = 4.433, so the last day is (30 - 14) / 4.433 = 3.61 sigma above the mean.
SITE_A = _chart("hours_lost", "Site A", [10, 10, 10, 10, 30], "lower")
# B: mean 96 / 7 = 13.714, moving ranges 2,2,2,2,2,18 -> 28 / 6 = 4.667, upper limit 26.13: 30 is beyond it.
# Sigma 4.667 / 1.128 = 4.137: (30 - 13.714) / 4.137 = 3.94 sigma, further out than A.
SITE_B = _chart("hours_lost", "Site B", [10, 12, 10, 12, 10, 12, 30], "lower")
# The same jump in 4-hour performance is an improvement (higher is better): never a deterioration.
IMPROVED = _chart("ed_four_hour", "System", [70, 70, 70, 70, 90], "higher")
# Moving ranges 1,1,1,1 -> limits 10.4 +/- 2.66: every day is common cause.
STEADY = _chart("hours_lost", "Site C", [10, 11, 10, 11, 10], "lower")


def test_largest_deteriorations_are_the_concerning_latest_days_furthest_out_first():
    charts = [SITE_A, IMPROVED, STEADY, SITE_B]
    assert [d.org_name for d in largest_deteriorations(charts)] == ["Site B", "Site A"]
    assert [m.text.split(":")[0] for m in deteriorations(charts, shown=1)] == ["Handover hours lost, Site B"]
    [b] = deteriorations([SITE_B])
    # Upper limit 13.714 + 2.66 * 4.667 = 26.13 h.
    assert b.text == (
        "Handover hours lost, Site B: 30.0 h on Mon 31 Mar, a special cause of concern (a point beyond a process "
        "limit); mean 13.7 h, upper limit 26.1 h."
    )
    [clear] = deteriorations([IMPROVED, STEADY])
    assert not clear.finding and "No charted measure" in clear.text


def _opel(
    code: str, declared, derived, submitted=None, computed=None, late=False, missing=False, at=None, system=None
) -> dict:
    return {
        "system_level": system,
        "provider_code": code,
        "provider_name": f"Trust {code}",
        "declared_level": declared,
        "derived_level": derived,
        "ed_4h_pct_submitted": submitted,
        "ed_4h_pct_pipeline": computed,
        "is_late": late,
        "is_missing": missing,
        "submitted_at": at,
    }


def test_opel_declared_against_derived_names_each_disagreement_and_its_size():
    rows = [_opel("AAA", 3, 2), _opel("BBB", 2, 4), _opel("CCC", 3, 3), _opel("DDD", 2, None)]
    assert [m.text for m in opel_gaps(rows)] == [
        "Trust AAA (AAA) declared OPEL 3, 1 level higher than the OPEL 2 its own figures score.",
        "Trust BBB (BBB) declared OPEL 2, 2 levels lower than the OPEL 4 its own figures score.",
    ]
    [clear] = opel_gaps([_opel("CCC", 3, 3)])
    assert not clear.finding
    # DDD declared but has no derived level (no parameters), EEE declared nothing: nothing compared, so no
    # all-clear.
    [blank] = opel_gaps([_opel("DDD", 2, None), _opel("EEE", None, 3)])
    assert blank.text == (
        "No provider has both a declared OPEL level and figures to score: declared against derived not compared."
    )
    assert blank.finding


def test_cross_check_says_a_gap_of_a_point_or_more_and_not_rounding():
    rows = [
        _opel("AAA", 3, 3, submitted=75.0, computed=76.41),  # 1.41 -> 1.4 points: said
        _opel("BBB", 3, 3, submitted=80.0, computed=80.94),  # 0.94 -> 0.9 points: rounding, not said
        _opel("CCC", 3, 3, submitted=81.0, computed=82.0),  # exactly 1.0: said
        _opel("DDD", 3, 3, submitted=None, computed=70.0),  # nothing submitted to compare
    ]
    assert [m.text for m in cross_check_gaps(rows)] == [
        "Trust AAA (AAA) submitted 4-hour performance of 75.0%; its attendances give 76.4%, 1.4 points apart.",
        "Trust CCC (CCC) submitted 4-hour performance of 81.0%; its attendances give 82.0%, 1.0 points apart.",
    ]
    assert not cross_check_gaps(rows[1:2])[0].finding
    # Only DDD, with nothing submitted: no figure was cross-checked, so no "every figure is within" all-clear.
    [blank] = cross_check_gaps(rows[3:])
    assert blank.text.endswith("the cross-check was not made.") and blank.finding


def test_late_or_missing_lists_files_then_opel_returns():
    problems = [
        Problem("ed_attendances", "RFS", "missing", "RFS (Chesterfield) 2025-03-31: no file, due 01 Apr 06:30"),
        Problem("ed_attendances", "RTG", "quarantined", "1 of 3 rows quarantined"),
        Problem("cnh_cases", "DHU", "late", "DHU 2025-03-31: first file extracted 01 Apr 09:10, due 01 Apr 07:00"),
    ]
    rows = [
        _opel("RX9", 3, None, late=True, missing=True, at=datetime(2025, 3, 31, 11, 42)),
        _opel("RXM", None, None, missing=True),
        _opel("RTG", 3, 3),
    ]
    names = {"ed_attendances": "ED attendances", "cnh_cases": "CNH/SPoA cases"}
    assert [m.text for m in late_or_missing(problems, rows, names)] == [
        "ED attendances missing: RFS (Chesterfield) 2025-03-31: no file, due 01 Apr 06:30.",
        "CNH/SPoA cases late: DHU 2025-03-31: first file extracted 01 Apr 09:10, due 01 Apr 07:00.",
        "Trust RX9 (RX9) declared its OPEL level late at 11:42, after the 11:00 cut-off.",
        "Trust RXM (RXM) declared no OPEL level by 11:00.",
    ]
    assert not late_or_missing([problems[1]], [rows[2]], names)[0].finding
    # No OPEL rows loaded: the files are cleared, the returns are not (nothing to check them on).
    [files_only] = late_or_missing([], [], names)
    assert files_only.text == "Every expected file arrived on time; no OPEL returns loaded to check."
    # An all-clear about the files: where coverage finds a feed short, the wrapper (conditional.py) replaces it.
    assert not files_only.finding


def test_handovers_over_45_by_site_most_first():
    def site(name, over_45, arrivals, level="site"):
        return {"level": level, "org_name": name, "over_45": over_45, "arrivals": arrivals}

    rows = [site("A", 3, 50), site("B", 7, 60), site("C", 0, 40), site("D", None, 30), site("All", 10, 180, "system")]
    [m] = handovers_over_45(rows)
    assert m.text == (
        "Handovers over 45 minutes: B 7 of 60 arrivals, A 3 of 50 arrivals; none at C. "
        "Not known for 1 site-day (D): no usable count."
    )
    [clear] = handovers_over_45([site("C", 0, 40)])
    # Only the sites with figures are cleared, by name: never "any site".
    assert clear.text == "No handover took over 45 minutes at C." and not clear.finding
    # No site has a handover row (an OPEL-only day): nothing is claimed, and it is a finding to raise.
    [blank] = handovers_over_45([])
    assert blank.text == "No handover figures for this day: handovers over 45 minutes unknown." and blank.finding


def test_tile_changes_say_the_move_with_its_direction_and_whether_it_is_better():
    rows = [
        # 4-hour: 80.0 - 77.9 = 2.1 points up on Sunday (better); 80.0 - 80.04 = -0.04, shown as no change.
        ("ed_four_hour", "QJ2", DAY, 80.0),
        ("ed_four_hour", "QJ2", DAY - timedelta(days=1), 77.9),
        ("ed_four_hour", "QJ2", DAY - timedelta(days=7), 80.04),
        # Hours lost, lower is better: 20.0 - 22.5 = 2.5 down (better); nothing a week before.
        ("hours_lost", "S1", DAY, 20.0),
        ("hours_lost", "S1", DAY - timedelta(days=1), 22.5),
        # 12.3 - 10.0 = 2.3 hours up (worse); 12.3 - 9.8 = 2.5 up on the Monday before (worse).
        ("hours_lost", "S2", DAY, 12.3),
        ("hours_lost", "S2", DAY - timedelta(days=1), 10.0),
        ("hours_lost", "S2", DAY - timedelta(days=7), 9.8),
    ]
    frame = pl.DataFrame(rows, schema=["measure", "org_code", "date", "value"], orient="row")
    changes = tile_changes(frame, DAY)
    words = {key: [c.words for c in pair] for key, pair in changes.items()}
    assert words == {
        ("ed_four_hour", "QJ2"): ["up 2.1 points on yesterday, better", "no change on Monday last week"],
        ("hours_lost", "S1"): ["down 2.5 hours on yesterday, better", "no figure to compare with Monday last week"],
        ("hours_lost", "S2"): ["up 2.3 hours on yesterday, worse", "up 2.5 hours on Monday last week, worse"],
    }
    assert [c.arrow for c in changes[("ed_four_hour", "QJ2")]] == ["▲", "▶"]
    assert [c.arrow for c in changes[("hours_lost", "S1")]] == ["▼", ""]


def test_tile_changes_follow_the_figures_as_shown():
    rows = [
        # 84.34 and 84.26 both show as 84.3%: the raw difference 0.08 would round to "up 0.1", but the reader sees
        # no change, so the words say none.
        ("ed_four_hour", "QJ2", DAY, 84.34),
        ("ed_four_hour", "QJ2", DAY - timedelta(days=1), 84.26),
        # 84.36 a week before shows as 84.4: 84.3 - 84.4 = 0.1 down as displayed, though only 0.02 apart raw
        # (which would round to "no change" beside two different figures).
        ("ed_four_hour", "QJ2", DAY - timedelta(days=7), 84.36),
        # Shown 12.3 and 10.1 (12.26 and 10.14): 12.3 - 10.1 = 2.2, where the raw 2.12 would read 2.1.
        ("hours_lost", "S1", DAY, 12.26),
        ("hours_lost", "S1", DAY - timedelta(days=1), 10.14),
    ]
    frame = pl.DataFrame(rows, schema=["measure", "org_code", "date", "value"], orient="row")
    words = {key: [c.words for c in pair] for key, pair in tile_changes(frame, DAY).items()}
    assert words[("ed_four_hour", "QJ2")] == [
        "no change on yesterday",
        "down 0.1 points on Monday last week, worse",
    ]
    assert words[("hours_lost", "S1")][0] == "up 2.2 hours on yesterday, worse"


def _day(system, **levels) -> list[dict]:
    """One day's OPEL rows as brief_opel_tiles.sql (or brief_opel_yesterday.sql) gives them: code=declared level."""
    return [_opel(code, level, None, system=system) for code, level in levels.items()]


def test_system_opel_change_since_yesterday_and_when_it_cannot_be_computed():
    # 31 March 2025 in the samples: the system went from OPEL 2 to 3.
    [rose] = opel_system_change(_day(3, RTG=3, RX9=4), _day(2, RTG=2, RX9=3))
    assert rose.text == "System OPEL rose from 2 yesterday to 3." and rose.finding
    [fell] = opel_system_change(_day(2, RTG=2), _day(3, RTG=3))
    assert fell.text == "System OPEL fell from 3 yesterday to 2."
    [same] = opel_system_change(_day(3, RTG=3), _day(3, RTG=3))
    assert same.text == "System OPEL 3, no change since yesterday." and not same.finding
    # Yesterday never loaded: the change is unknown, never "no change".
    [unknown] = opel_system_change(_day(3, RTG=3), [])
    assert unknown.text == "System OPEL 3; no OPEL returns loaded for yesterday, so the change cannot be computed."
    assert unknown.finding
    # Yesterday loaded but no provider declared: no level to compare with either.
    [blank] = opel_system_change(_day(3, RTG=3), _day(None, RTG=None))
    assert blank.text == "System OPEL 3; no level was declared yesterday, so the change cannot be computed."
    # A level scored without a provider says whose it lacks, on either day.
    [partial] = opel_system_change(_day(3, RTG=3, RXM=None), _day(3, RTG=3, RX9=None))
    assert partial.text == (
        "System OPEL 3, no change since yesterday. Scored without RXM today and RX9 yesterday (no level declared)."
    )
    [none_today] = opel_system_change(_day(None, RTG=None), _day(2, RTG=2))
    assert "system level and its change since yesterday cannot be computed" in none_today.text
    [nothing] = opel_system_change([], _day(2, RTG=2))
    assert nothing.text.startswith("No OPEL returns loaded for this day:") and nothing.finding


def test_providers_at_opel_4_and_what_cannot_be_known():
    today = _day(3, RTG=3, RX9=4)
    today[1]["provider_name"] = "East Midlands Ambulance Service"
    assert [m.text for m in opel_at_4(today)] == ["East Midlands Ambulance Service (RX9) is at OPEL 4."]
    # Declared 3 by 11:00 and 4 at 14:05: the day's level stays 3 (docs/domain.md §7.3), but the move to 4 is said.
    moved = _day(3, RFS=3)
    moved[0] |= {"changed_to_level": 4, "changed_at": datetime(2025, 3, 31, 14, 5)}
    assert [m.text for m in opel_at_4(moved)] == [
        "Trust RFS (RFS) moved to OPEL 4 at 14:05, after the 11:00 cut-off (OPEL 3 at 11:00)."
    ]
    late = [_opel("RX9", 4, None, late=True, missing=True, at=datetime(2025, 3, 31, 11, 42))]
    assert opel_at_4(late)[0].text == "Trust RX9 (RX9) is at OPEL 4 (declared late, at 11:42)."
    [clear] = opel_at_4(_day(3, RTG=3, RX9=3))
    assert clear.text == "No provider is at OPEL 4." and not clear.finding
    # RXM declared nothing: whether it is at 4 is unknown, so no all-clear.
    [unknown] = opel_at_4(_day(3, RTG=3, RXM=None))
    assert unknown.text == "No provider that declared a level is at OPEL 4; RXM declared none, so not known."
    assert unknown.finding
    [none] = opel_at_4(_day(None, RTG=None, RXM=None))
    assert none.text == "No provider declared an OPEL level, so whether any is at OPEL 4 is not known."
    assert opel_at_4([]) == []  # the system rule says no OPEL was loaded


def test_escalations_and_de_escalations_per_provider_since_yesterday():
    today, yesterday = _day(3, RFS=3, RTG=2, RX9=4, RXM=None), _day(2, RFS=3, RTG=3, RX9=3, RXM=2)
    assert [m.text for m in opel_moves(today, yesterday)] == [
        # RFS 3 -> 3 unchanged, not said; RTG 3 -> 2 down; RX9 3 -> 4 up; RXM nothing today.
        "Trust RTG (RTG) de-escalated from OPEL 3 yesterday to OPEL 2.",
        "Trust RX9 (RX9) escalated from OPEL 3 yesterday to OPEL 4.",
        "RXM not compared (no level declared on one of the two days).",
    ]
    [clear] = opel_moves(_day(3, RTG=3), _day(3, RTG=3))
    assert clear.text == "No provider's OPEL level changed since yesterday." and not clear.finding
    # A provider new today (no row yesterday) is not compared rather than called unchanged.
    [partly] = opel_moves(_day(3, RTG=3, RX9=3), _day(3, RTG=3))
    assert partly.text == (
        "No provider with a level on both days changed it since yesterday; RX9 not compared (no level declared on "
        "one of the two days)."
    )
    [unknown] = opel_moves(_day(3, RTG=3), [])
    assert unknown.text.startswith("No OPEL returns loaded for yesterday:") and unknown.finding
    assert opel_moves([], _day(3, RTG=3)) == []


def test_the_call_list_asks_what_the_rules_find_in_order():
    opel = _day(3, RTG=3, RX9=4) + [_opel("RXM", None, None, missing=True)]
    handover = [
        {"level": "site", "org_name": "Royal Derby", "over_45": 7, "arrivals": 60},
        {"level": "site", "org_name": "Chesterfield", "over_45": 1, "arrivals": 30},
        {"level": "site", "org_name": "Queen's", "over_45": 0, "arrivals": 20},
        {"level": "site", "org_name": "Not counted", "over_45": None, "arrivals": 10},
        {"level": "system", "org_name": "All", "over_45": 8, "arrivals": 120},
    ]
    problems = [
        Problem("ed_attendances", "RFS", "missing", "RFS 2025-03-31: no file, due 01 Apr 06:30"),
        Problem("ed_attendances", "RTG", "rejected", "1 file(s) rejected unread"),
        Problem("ed_attendances", "RTG", "quarantined", "1 of 3 rows quarantined"),  # not an ask
    ]
    names = {"ed_attendances": "ED attendances"}
    # SITE_A's last day (30 h, 3.61 sigma out) is beyond the upper limit; STEADY has no special cause.
    asks = call_asks([SITE_A, STEADY], opel, handover, problems, names)
    assert [(a.rule, a.text) for a in asks] == [
        ("opel_4", "Trust RX9 (RX9) is at OPEL 4: its actions and the support it needs."),
        # Most first, the system row and the sites with none or no count left out.
        ("handover_45", "Royal Derby: 7 handovers over 45 minutes (the standard is none)."),
        ("handover_45", "Chesterfield: 1 handover over 45 minutes (the standard is none)."),
        ("late_or_missing", "ED attendances missing: RFS 2025-03-31: no file, due 01 Apr 06:30."),
        ("late_or_missing", "Trust RXM (RXM) declared no OPEL level by 11:00."),
        ("rejected", "ED attendances, RTG: 1 file(s) rejected unread."),
        (
            "special_cause",
            "Handover hours lost, Site A: special cause in the last 7 days: Mon 31 Mar (30.0 h), concerning, high: "
            "a point beyond a process limit.",
        ),
    ]
    # Nothing loaded is itself an ask: an empty list would read as all clear.
    empty = call_asks([], [], [], [], names)
    assert [a.rule for a in empty] == ["no_opel", "handover_45"]
    assert call_asks([STEADY], _day(3, RTG=3), handover[2:3], [], names) == []
