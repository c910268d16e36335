"""XmR limits, Making Data Count rules, phases at step changes and the icons against hand-worked series."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from pipelines.brief.charts import nice_ticks, tick_label
from pipelines.brief.data import REFERENCE_DIR, SERIES
from pipelines.brief.spc import (
    Chart,
    Step,
    largest_deteriorations,
    load_spc_config,
    load_steps,
    recent_special_causes,
    spc,
    xmr,
)
from schemas.clock import LONDON
from tests.support.reference import AE_MONTHLY
from tests.support.warehouse import Env

JAN = [date(2025, 1, 1) + timedelta(days=i) for i in range(31)]


def flagged(chart) -> dict[int, dict[str, str]]:
    return {i: p.rules for i, p in enumerate(chart.points) if p.rules}


# The rule tests below were worked with every moving range counted (screen=False, as the Making Data Count Excel
# tool does) and with fewer than 20 points, so the baseline is every point; screening has tests of its own.


def test_limits_and_a_point_beyond_the_upper_limit():
    chart = xmr([10, 12, 11, 13, 12, 30], improvement="higher", screen=False)
    # mean = 88 / 6 = 14.6667; moving ranges 2, 1, 2, 1, 18 -> mean 24 / 5 = 4.8
    assert chart.mean == pytest.approx(14.6667, abs=1e-4)
    assert chart.mean_moving_range == pytest.approx(4.8)
    # limits = 14.6667 +/- 2.66 x 4.8 = 14.6667 +/- 12.768 -> 27.4347 and 1.8987; only 30 lies outside.
    assert chart.upper == pytest.approx(27.4347, abs=1e-4)
    assert chart.lower == pytest.approx(1.8987, abs=1e-4)
    # Five points below the mean then one above: no run; steps go up, down, up, down, up: no trend;
    # two sigma is 14.6667 + 1.7733 x 4.8 = 23.18, which only 30 exceeds: no 2 of 3.
    assert flagged(chart) == {5: {"beyond_limit": "high"}}
    assert chart.signal(chart.points[5]) == "improvement"
    assert chart.variation.startswith("Special cause improving variation (high)")
    assert xmr([10, 12, 11, 13, 12, 30], improvement="lower", screen=False).variation.startswith(
        "Special cause concerning"
    )


def test_a_run_of_seven_above_the_mean():
    values = [10, 11, 10, 11, 10, 11, 10, 11, 12, 11, 12, 11, 12, 11]
    chart = xmr(values, improvement="higher", screen=False)
    # mean = (84 + 69) / 14 = 10.9286; every moving range is 1, so limits 10.93 +/- 2.66 (none outside)
    # and two sigma 10.93 + 1.77 = 12.70 (none beyond). Points 7-13 (11, 12, ..., 11) all exceed 10.93;
    # point 6 (10) does not: a run of exactly 7.
    assert chart.mean == pytest.approx(153 / 14)
    assert flagged(chart) == {i: {"run": "high"} for i in range(7, 14)}
    # Six points on one side is not a run.
    assert flagged(xmr(values[:-1], screen=False)) == {}


def test_a_trend_of_seven_rising_points():
    chart = xmr([5, 1, 2, 3, 4, 5, 6, 7, 3], improvement="lower", screen=False)
    # mean = 36 / 9 = 4; moving ranges 4,1,1,1,1,1,1,4 -> 14 / 8 = 1.75; limits 4 +/- 4.655 (none outside);
    # two sigma 4 +/- 3.10: 7 and 1 stay inside. Points 1-7 rise 1 -> 7: seven points, six rises.
    assert chart.mean_moving_range == pytest.approx(1.75)
    assert flagged(chart) == {i: {"trend": "high"} for i in range(1, 8)}
    # Rising is a concern when lower is better; the last point (3) is in no rule: common cause.
    assert chart.signal(chart.points[4]) == "concern"
    assert chart.variation.startswith("Common cause")
    # Six rising points (1 -> 6) are not a trend.
    assert flagged(xmr([5, 1, 2, 3, 4, 5, 6, 3], screen=False)) == {}


def test_two_of_three_near_the_upper_limit():
    chart = xmr([10, 11] * 5 + [14, 11, 14], improvement="higher", screen=False)
    # mean = (105 + 39) / 13 = 11.0769; moving ranges: nine of 1, then 3, 3, 3 -> 18 / 12 = 1.5.
    # Upper limit 11.08 + 2.66 x 1.5 = 15.07 (14 stays inside); two sigma 11.08 + 1.7733 x 1.5 = 13.74,
    # which both 14s exceed within three points (10, 11, 12): 2 of 3 on points 10 and 12.
    # The first ten points (10s and 11s) all sit below 11.08: a run of 10 below the mean.
    assert chart.upper == pytest.approx(15.0669, abs=1e-4)
    assert flagged(chart) == {
        **{i: {"run": "low"} for i in range(10)},
        10: {"two_of_three": "high"},
        12: {"two_of_three": "high"},
    }


@pytest.mark.parametrize(
    ("target", "words"),
    [
        (1, "Consistently passes"),  # below the lower limit 1.90: every day within the limits meets it
        (28, "Consistently fails"),  # above the upper limit 27.43: no day within the limits meets it
        (20, "Hit and miss"),  # between the limits
    ],
)
def test_assurance_compares_the_target_with_the_limits(target, words):
    assert xmr([10, 12, 11, 13, 12, 30], improvement="higher", target=target, screen=False).assurance.startswith(words)


def test_too_short_a_series_is_refused():
    with pytest.raises(ValueError, match="at least 2 points"):
        xmr([3.0], screen=False)


def _step(day: date, series: str = "hours_lost", orgs: tuple[str, ...] = ()) -> Step:
    return Step(date=day, series=(series,), orgs=orgs, reason="a named change")


def test_limits_are_recalculated_at_a_step_change():
    values = [10, 12, 11, 13, 30, 31, 29, 32]
    # One baseline over all eight days: mean 168 / 8 = 21; moving ranges 2, 1, 2, 17, 1, 2, 3 -> 28 / 7 = 4;
    # limits 21 +/- 10.64 -> 10.36 and 31.64: 10 and 32 fall outside; two sigma is 21 +/- 7.09 (13.91 and 28.09),
    # which every day lies beyond: all eight days are read as special causes of one process.
    whole = spc(JAN[:8], values, improvement="lower", screen=False)
    assert (whole.mean, whole.upper, whole.lower) == pytest.approx((21, 31.64, 10.36))
    assert {i for i, p in enumerate(whole.points) if "beyond_limit" in p.rules} == {0, 7}
    assert all(p.rules for p in whole.points)
    assert whole.variation_icon == "concerning_high"

    stepped = spc(JAN[:8], values, improvement="lower", steps=[_step(JAN[4])], screen=False)
    before, after = (ph.chart for ph in stepped.phases)
    # Before (1-4 Jan): mean 46 / 4 = 11.5; moving ranges 2, 1, 2 -> 5 / 3; limits 11.5 +/- 2.66 x 5 / 3 = 4.4333.
    assert (before.mean, before.mean_moving_range) == pytest.approx((11.5, 5 / 3))
    assert (before.lower, before.upper) == pytest.approx((7.0667, 15.9333), abs=1e-4)
    # After (5-8 Jan): mean 122 / 4 = 30.5; the range 13 -> 30 across the step is in neither phase; moving ranges
    # 1, 2, 3 -> 2; limits 30.5 +/- 5.32.
    assert (after.mean, after.mean_moving_range, after.lower, after.upper) == pytest.approx((30.5, 2, 25.18, 35.82))
    assert [ph.start for ph in stepped.phases] == [0, 4]
    assert stepped.phases[1].step.date == JAN[4] and stepped.phases[0].step is None
    # Each process read against its own limits: no special cause anywhere, and the latest day's limits are the new ones.
    assert [p.rules for p in stepped.points] == [{}] * 8
    assert (stepped.variation_icon, stepped.upper) == ("common", pytest.approx(35.82))


@pytest.mark.parametrize(
    ("day", "applied"),
    [
        (JAN[1], False),  # one day before it: no moving range to compute limits from, so the step waits
        (JAN[7], False),  # the last day alone after it: waits until a second day arrives
        (JAN[6], True),  # two days each side at least: applied
    ],
)
def test_a_step_leaving_one_day_on_a_side_waits(day, applied):
    chart = spc(JAN[:8], [10, 12, 11, 13, 30, 31, 29, 32], steps=[_step(day)])
    assert (len(chart.phases) == 2, chart.waiting == [] if applied else chart.waiting[0].date == day) == (applied, True)


def test_steps_outside_the_window_cut_nothing_and_missing_days_fall_to_the_next_day():
    days = [JAN[0], JAN[1], JAN[2], JAN[6], JAN[7], JAN[8]]  # 4-6 Jan missing
    chart = spc(days, [1, 2, 3, 7, 8, 9], steps=[_step(date(2024, 12, 1)), _step(JAN[4]), _step(JAN[20])])
    # The 5 Jan step has no day of its own: the new phase starts on the next recorded day (7 Jan, index 3).
    assert [ph.start for ph in chart.phases] == [0, 3] and chart.waiting == []


def test_a_step_applies_to_its_series_and_organisations():
    derby = _step(JAN[19], orgs=("RTG01",))
    assert derby.applies_to("hours_lost", "RTG01")
    assert not derby.applies_to("hours_lost", "RFSDA") and not derby.applies_to("ed_four_hour", "RTG01")
    assert _step(JAN[28]).applies_to("hours_lost", "RFSDA")


@pytest.mark.parametrize(
    ("improvement", "target", "variation", "assurance"),
    [
        ("higher", 1, "improving_high", "pass"),  # 30 beyond the upper limit; target below the lower limit 1.90
        ("lower", 1, "concerning_high", "fail"),  # lower is better: the same point concerns; 1 lies below the limits
        ("higher", 20, "improving_high", "hit_and_miss"),  # 20 between the limits 1.90 and 27.43
        (None, None, "neither_high", None),  # no better direction: special cause, neither; no target, no assurance
    ],
)
def test_icons_follow_the_latest_point_and_the_target(improvement, target, variation, assurance):
    chart = spc(JAN[:6], [10, 12, 11, 13, 12, 30], improvement=improvement, target=target, screen=False)
    assert (chart.variation_icon, chart.assurance_icon) == (variation, assurance)


def test_largest_deteriorations_are_concerning_latest_points_furthest_out_first():
    def chart(name: str, values: list[float], improvement: str) -> Chart:
        return Chart(
            name,
            name.title(),
            name,
            name.title(),
            JAN[: len(values)],
            spc(JAN[: len(values)], values, improvement, screen=False),
            "hours",
        )

    beyond = chart("beyond", [10, 12, 11, 13, 12, 30], "lower")
    near = chart("near", [10, 11] * 5 + [14, 11, 14], "lower")
    better = chart("better", [10, 12, 11, 13, 12, 30], "higher")
    found = largest_deteriorations([near, better, beyond])
    # beyond: (30 - 14.6667) / (4.8 / 1.128) = 15.3333 / 4.2553 = 3.603 sigma; near: 14 is two of three beyond
    # two sigma, (14 - 11.0769) / (1.5 / 1.128) = 2.9231 / 1.3298 = 2.198 sigma; better improves: not listed.
    assert [(d.org_code, round(d.sigmas, 3)) for d in found] == [("beyond", 3.603), ("near", 2.198)]
    assert (found[0].value, found[0].day, found[0].rules) == (30, JAN[5], ("beyond_limit",))
    assert found[0].sentence == (
        "Beyond, Beyond: 30.0 h on Mon 06 Jan, a special cause of concern (a point beyond a process limit); "
        "mean 14.7 h, upper limit 27.4 h."
    )
    assert largest_deteriorations([near, beyond], limit=1) == found[:1]


def test_the_shipped_steps_load_leave_no_phase_under_12_days_and_bad_steps_are_refused(tmp_path: Path):
    shipped = load_spc_config(REFERENCE_DIR, SERIES)
    assert (shipped.baseline_points, shipped.screen_moving_ranges) == (20, True)
    assert {(s.date, s.orgs) for s in shipped.steps} == {
        (date(2025, 1, 21), ("RTG01",)),
        (date(2025, 1, 29), ("RFSDA", "RTGFG")),
    }
    # No chart is cut twice within 12 days: Royal Derby's 21 January step and the 29 January one (8 days apart)
    # name different sites, so no phase could only ever show trial limits.
    for a in shipped.steps:
        for b in shipped.steps:
            if a is not b and a.overlaps(b):
                assert abs((a.date - b.date).days) >= 12, (a, b)
    (tmp_path / "spc_steps.yaml").write_text("steps:\n  - {date: 2025-01-29, series: [hours_lots], reason: typo}\n")
    with pytest.raises(ValueError, match=r"unknown series \['hours_lots'\]"):
        load_steps(tmp_path, SERIES)
    # The shipped steps as they were, both on every site: Royal Derby would have an 8-day phase.
    (tmp_path / "spc_steps.yaml").write_text(
        "steps:\n  - {date: 2025-01-21, series: [hours_lost], orgs: [RTG01], reason: a}\n"
        "  - {date: 2025-01-29, series: [hours_lost], reason: b}\n"
    )
    with pytest.raises(ValueError, match="12 days or fewer apart"):
        load_steps(tmp_path, SERIES)
    assert load_steps(tmp_path / "none", SERIES) == []
    (tmp_path / "spc_steps.yaml").write_text("baseline_points: 8\n")
    with pytest.raises(ValueError, match="greater than or equal to 12"):
        load_spc_config(tmp_path, SERIES)


# --- Making Data Count's fixed baseline, trial limits, screening and floors (issue 28) -----------------------


def test_limits_are_fixed_on_the_first_20_points_and_later_days_do_not_move_them():
    # Twenty days alternating 10 and 12: mean 220 / 20 = 11; 19 moving ranges of 2: mean moving range 2;
    # limits 11 +/- 2.66 x 2 = 11 +/- 5.32 -> 5.68 and 16.32.
    first_20 = [10, 12] * 10
    alone = xmr(first_20)
    assert (alone.mean, alone.mean_moving_range, alone.lower, alone.upper) == pytest.approx((11, 2, 5.68, 16.32))
    # Five more days far above: a rolling mean would move to (220 + 5 x 30) / 25 = 14.8 and widen the limits;
    # the fixed baseline keeps 11 and 5.68 to 16.32, so all five are beyond the upper limit, and so beyond two
    # sigma (11 + 1.7733 x 2 = 14.55) 2 of 3 times; a run of 5 is not a run.
    longer = xmr([*first_20, 30, 30, 30, 30, 30])
    assert (longer.baseline, longer.mean, longer.lower, longer.upper) == pytest.approx((20, 11, 5.68, 16.32))
    assert flagged(longer) == {i: {"beyond_limit": "high", "two_of_three": "high"} for i in range(20, 25)}
    assert not longer.trial


def test_below_12_points_the_limits_are_trial_and_revised_with_each_point():
    # 11 points: 10, 12, ..., 10: mean (6 x 10 + 5 x 12) / 11 = 120 / 11 = 10.909; 10 ranges of 2: mean 2.
    eleven = xmr([10, 12] * 5 + [10])
    assert eleven.trial and eleven.baseline == 11
    assert eleven.mean == pytest.approx(120 / 11)
    # The 12th point (12) joins the baseline: mean 132 / 12 = 11, no longer trial.
    twelve = xmr([10, 12] * 6)
    assert not twelve.trial and (twelve.baseline, twelve.mean) == (12, 11)


def test_moving_ranges_of_3_267_times_their_mean_are_screened_as_nhsrplotthedots_does():
    # NHSRplotthedots' own example (vignette "Deviations from Excel defaults"): 1, 2, 1, 2, 10, then 1, 2, ... to 18.
    values = [1, 2, 1, 2, 10] + [1, 2] * 6 + [1]
    # mean = (1 + 2 + 1 + 2 + 10 + 6 x 3 + 1) / 18 = 35 / 18 = 1.9444
    # moving ranges: 1, 1, 1, 8, 9, then twelve of 1: 32 / 17 = 1.8824; 3.267 x 1.8824 = 6.1496, so 8 and 9 (the
    # ranges into and out of the 10, at points 4 and 5) are screened; the fifteen left average 1.
    screened = xmr(values)
    assert screened.mean == pytest.approx(35 / 18)
    assert screened.screened == (4, 5)
    assert screened.mean_moving_range == 1
    # Limits 1.9444 +/- 2.66 x 1 -> -0.7156 and 4.6044; the lower one of a count is floored at 0.
    assert screened.upper == pytest.approx(4.6044, abs=1e-4)
    assert xmr(values, floor=0).lower == 0 and screened.lower == pytest.approx(-0.7156, abs=1e-4)
    # The Excel tool's reading keeps every range: 1.9444 +/- 2.66 x 1.8824 = 1.9444 +/- 5.0071 -> 6.9515.
    excel = xmr(values, screen=False)
    assert excel.screened == () and excel.mean_moving_range == pytest.approx(32 / 17)
    assert excel.upper == pytest.approx(6.9515, abs=1e-4)
    # The 10 is beyond either upper limit.
    assert "beyond_limit" in screened.points[4].rules and "beyond_limit" in excel.points[4].rules


def test_percentages_are_kept_between_0_and_100():
    # 99, 95, 99, 95: mean 97, ranges 4, 4, 4 -> 4; limits 97 +/- 10.64 -> 86.36 and 107.64, capped at 100.
    chart = xmr([99, 95, 99, 95], floor=0, ceiling=100)
    assert (chart.lower, chart.upper) == pytest.approx((86.36, 100))


CHESTERFIELD = [
    # Chesterfield Royal Hospital (RFS), type 1 A&E attendances, April 2016 to March 2019 (NHS England: in
    # shared/reference/ beside the repository, ae_attendances_monthly_2016_2019.csv; the test reads that file below).
    *(6540, 7158, 6717, 7301, 6673, 6537, 6690, 6674, 6708, 6644, 5840, 6889),  # 2016-17
    *(7495, 6972, 6968, 7281, 7034, 6760, 6969, 6838, 7117, 6927, 6358, 7087),  # 2017-18
    *(5433, 5871, 5847, 6184, 5961, 5867, 6081, 5784, 5777, 6118, 5489, 6229),  # 2018-19
]


def test_real_monthly_attendances_for_chesterfield_against_a_fixed_baseline():
    import csv

    with open(AE_MONTHLY, encoding="utf-8") as f:
        rows = sorted(
            (r["period"], int(r["attendances"]))
            for r in csv.DictReader(f)
            if (r["org_code"], r["type"]) == ("RFS", "1")
        )
    assert [v for _, v in rows] == CHESTERFIELD
    months = [date.fromisoformat(p) for p, _ in rows]
    chart = spc(months, CHESTERFIELD, improvement=None)
    (phase,) = chart.phases
    # Baseline April 2016 to November 2017 (20 months): sum 136,688, mean 6,834.4.
    # Moving ranges 618, 441, 584, 628, 136, 153, 16, 34, 64, 804, 1049, 606, 523, 4, 313, 247, 274, 209, 131:
    # sum 6,834 over 19 = 359.684; none reaches 3.267 x 359.684 = 1,175.09, so none is screened.
    assert (phase.baseline_from, phase.baseline_to) == (date(2016, 4, 1), date(2017, 11, 1))
    assert (chart.mean, chart.latest.mean_moving_range) == pytest.approx((6834.4, 6834 / 19))
    assert chart.latest.screened == ()
    # Limits 6,834.4 +/- 2.66 x 359.684 = 6,834.4 +/- 956.76 -> 5,877.64 and 7,791.16.
    assert (chart.lower, chart.upper) == pytest.approx((5877.64, 7791.16), abs=0.01)
    beyond = [months[i] for i, p in enumerate(chart.points) if "beyond_limit" in p.rules]
    # Below 5,877.64: Feb 2017 (5,840), and from April 2018 5,433, 5,871, 5,847, 5,867, 5,784, 5,777, 5,489.
    assert beyond == [date(2017, 2, 1)] + [date(2018, m, 1) for m in (4, 5, 6, 9, 11, 12)] + [date(2019, 2, 1)]
    # Every month from April 2018 is below the mean: a run of 12 (7 or more) low, as is Aug 2016 - Feb 2017
    # (6,673, 6,537, 6,690, 6,674, 6,708, 6,644, 5,840: seven below 6,834.4).
    run = [months[i] for i, p in enumerate(chart.points) if "run" in p.rules]
    assert run == months[4:11] + months[24:]
    # No better direction for attendances: special cause, neither; the latest month (6,229) is in the run.
    assert chart.variation_icon == "neither_low"
    # Limits from all 36 months, as a rolling window computes them, hide most of it: mean 234,818 / 36 = 6,522.72
    # and mean moving range 13,599 / 35 = 388.54 put the lower limit at 6,522.72 - 1,033.52 = 5,489.20, which
    # only April 2018 (5,433) and February 2019 (5,489) are below: 2 months where the fixed baseline shows 8.
    rolling = spc(months, CHESTERFIELD, baseline_points=36, screen=False)
    assert rolling.lower == pytest.approx(234818 / 36 - 2.66 * 13599 / 35)
    beyond_rolling = [months[i] for i, p in enumerate(rolling.points) if "beyond_limit" in p.rules]
    assert beyond_rolling == [date(2018, 4, 1), date(2019, 2, 1)]

    # Re-based at April 2018 (a step): the new phase's 12 months are its baseline, not trial, and common cause.
    step = Step(date=date(2018, 4, 1), series=("attendances",), reason="type 1 streaming changed")
    stepped = spc(months, CHESTERFIELD, steps=[step])
    after = stepped.phases[1]
    assert (after.start, after.chart.baseline, after.fixed) == (24, 12, True)
    # Mean 70,641 / 12 = 5,886.75.
    assert after.chart.mean == pytest.approx(70641 / 12)
    assert stepped.variation_icon == "common"


def test_a_window_shows_the_days_but_keeps_the_baselines_limits_and_rules():
    days = [date(2025, 1, 1) + timedelta(days=i) for i in range(30)]
    values = [10, 12] * 10 + [30] * 10
    whole = spc(days, values, screen=False)
    shown = whole.since(days[25])
    # Shown: 26-30 Jan; limits still the first 20 days' (11 +/- 5.32), the points still beyond them.
    assert shown.dates == days[25:] and len(shown.points) == 5
    assert (shown.mean, shown.upper) == pytest.approx((11, 16.32))
    assert all("beyond_limit" in p.rules for p in shown.points)


def test_special_causes_in_the_last_7_days_are_named_not_only_the_latest():
    # 3-22 Mar: 10, 12, ... (limits 5.68 to 16.32, as above), then 23-29 Mar: 10, 12, 10, 30 (26 Mar: beyond
    # the upper limit), 11, 12, 10.
    days = [date(2025, 3, 3) + timedelta(days=i) for i in range(27)]
    values = [10, 12] * 10 + [10, 12, 10, 30, 11, 12, 10]
    assert (days[23], days[-1]) == (date(2025, 3, 26), date(2025, 3, 29))
    chart = Chart(
        "hours_lost", "Handover hours lost", "RTG01", "Royal Derby", days, spc(days, values, "lower"), "hours"
    )
    assert chart.chart.variation_icon == "common"  # the latest day says nothing
    (found,) = recent_special_causes([chart])
    assert (found.day, found.value, found.kind, found.side, found.rules) == (
        date(2025, 3, 26),
        30,
        "concern",
        "high",
        ("beyond_limit",),
    )
    assert found.words == "Wed 26 Mar: 30.0 h, concerning (a point beyond a process limit)"
    # The last 3 days (27-29 March) do not reach back to it.
    assert recent_special_causes([chart], days=3) == []


def test_royal_derby_is_read_against_its_own_process_on_each_side_of_the_shipped_step(whole_samples: Env):
    with duckdb.connect(str(whole_samples.warehouse), read_only=True) as conn:
        data = whole_samples.brief(conn, date(2025, 3, 31), now=datetime(2025, 4, 1, 9, tzinfo=LONDON))
    (derby,) = [c for c in data.charts if (c.series, c.org_code) == ("hours_lost", "RTG01")]
    # The window shows 90 days (from 1 January); the first phase began with the samples on 1 December.
    assert derby.dates[0] == date(2025, 1, 1)
    starts = [derby.dates[ph.start] for ph in derby.chart.phases]
    assert starts == [date(2025, 1, 1), date(2025, 1, 21)]
    # Each phase's baseline is its first 20 recorded days, from the start of its process, not of the window:
    # 1-20 December, and 21 January to 9 February. Mean, and mean moving range with the ranges of 3.267 times
    # their mean or more left out, worked in SQL.
    for phase, first in zip(derby.chart.phases, ("2024-12-01", "2025-01-21")):
        mean, mmr, last = whole_samples.query(
            "with days as (select date, hours_lost as v from marts.handover_rollup where period = 'day' and "
            "level = 'site' and org_code = 'RTG01' and date >= $first and hours_lost is not null "
            "order by date limit 20), "
            "ranges as (select abs(v - lag(v) over (order by date)) as r from days) "
            "select (select avg(v) from days), "
            "(select avg(r) filter (where r < 3.267 * (select avg(r) from ranges)) from ranges), "
            "(select max(date) from days)",
            first=first,
        ).row(0)
        assert (phase.chart.mean, phase.chart.mean_moving_range) == pytest.approx((mean, mmr)), first
        assert (phase.baseline_from.isoformat(), phase.baseline_to) == (first, last)
        assert phase.fixed
    # December's process (near 50 minutes a handover in the samples) fixes the first phase's limits, so the early
    # January surge (near 61) shows as a special cause of concern, high; a rolling window starting 1 January
    # would have taken the surge for the process. From 21 January the days are read against their own baseline.
    early = {derby.dates[i]: derby.chart.signal(p) for i, p in enumerate(derby.chart.points) if p.rules}
    assert {s for d, s in early.items() if d < date(2025, 1, 21)} == {"concern"}
    assert all(derby.chart.points[i].side == "high" for i, d in enumerate(derby.dates) if d in early and d.month == 1)
    assert [d for d in early if date(2025, 1, 21) <= d <= date(2025, 2, 9)] == []
    # Without the step, every day after it is read against December's limits: each is part of a rule (low).
    values = [p.value for p in derby.chart.points]
    one = spc(derby.dates, values, improvement="lower")
    after = [i for i, d in enumerate(derby.dates) if date(2025, 1, 21) <= d <= date(2025, 1, 31)]
    assert all(one.points[i].side == "low" for i in after)


@pytest.mark.parametrize(
    ("low", "high", "whole", "step", "ticks"),
    [
        # A share near 0.4%: 0.88 / 4 = 0.22 a tick, rounded up to 0.25 (1, 2, 2.5, 5 x a power of ten).
        (-0.04, 0.84, False, 0.25, [0.0, 0.25, 0.5, 0.75]),
        # Hours lost 2 to 6.4: 4.4 / 4 = 1.1, rounded up to 2: 2, 4, 6.
        (1.8, 6.6, False, 2.0, [2.0, 4.0, 6.0]),
        # A count from 0 to 3.3: 0.825 a tick, but a count steps by at least 1: 0, 1, 2, 3.
        (0.0, 3.3, True, 1, [0, 1, 2, 3]),
        # A count 0 to 13: 3.25, rounded up to 5 (2.5 is no step for a count).
        (0.0, 13.0, True, 5, [0, 5, 10]),
    ],
)
def test_ticks_are_round_values_inside_the_axis(low, high, whole, step, ticks):
    got_step, got = nice_ticks(low, high, 5, whole=whole)
    assert got_step == pytest.approx(step) and got == pytest.approx(ticks)


def test_tick_labels_carry_the_decimals_their_step_needs_and_never_read_minus_0():
    # A 0.4 mean used to be labelled "0": with a 0.25 step the ticks read 0.00, 0.25, 0.50.
    assert [tick_label(v, 0.25, "%") for v in (0.0, 0.25, 0.5)] == ["0.00%", "0.25%", "0.50%"]
    assert tick_label(-1e-12, 0.5, "hours") == "0.0 h"
    assert tick_label(1500, 500, "count") == "1,500"
