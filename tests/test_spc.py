"""XmR limits, Making Data Count rules, phases at step changes and the icons against hand-worked series."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from pipelines.brief.data import REFERENCE_DIR, SERIES, read_brief
from pipelines.brief.spc import Chart, Step, largest_deteriorations, load_steps, spc, xmr
from schemas.clock import LONDON
from tests.conftest import Env

JAN = [date(2025, 1, 1) + timedelta(days=i) for i in range(31)]


def flagged(chart) -> dict[int, dict[str, str]]:
    return {i: p.rules for i, p in enumerate(chart.points) if p.rules}


def test_limits_and_a_point_beyond_the_upper_limit():
    chart = xmr([10, 12, 11, 13, 12, 30], improvement="higher")
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
    assert xmr([10, 12, 11, 13, 12, 30], improvement="lower").variation.startswith("Special cause concerning")


def test_a_run_of_seven_above_the_mean():
    values = [10, 11, 10, 11, 10, 11, 10, 11, 12, 11, 12, 11, 12, 11]
    chart = xmr(values, improvement="higher")
    # mean = (84 + 69) / 14 = 10.9286; every moving range is 1, so limits 10.93 +/- 2.66 (none outside)
    # and two sigma 10.93 + 1.77 = 12.70 (none beyond). Points 7-13 (11, 12, ..., 11) all exceed 10.93;
    # point 6 (10) does not: a run of exactly 7.
    assert chart.mean == pytest.approx(153 / 14)
    assert flagged(chart) == {i: {"run": "high"} for i in range(7, 14)}
    # Six points on one side is not a run.
    assert flagged(xmr(values[:-1])) == {}


def test_a_trend_of_seven_rising_points():
    chart = xmr([5, 1, 2, 3, 4, 5, 6, 7, 3], improvement="lower")
    # mean = 36 / 9 = 4; moving ranges 4,1,1,1,1,1,1,4 -> 14 / 8 = 1.75; limits 4 +/- 4.655 (none outside);
    # two sigma 4 +/- 3.10: 7 and 1 stay inside. Points 1-7 rise 1 -> 7: seven points, six rises.
    assert chart.mean_moving_range == pytest.approx(1.75)
    assert flagged(chart) == {i: {"trend": "high"} for i in range(1, 8)}
    # Rising is a concern when lower is better; the last point (3) is in no rule: common cause.
    assert chart.signal(chart.points[4]) == "concern"
    assert chart.variation.startswith("Common cause")
    # Six rising points (1 -> 6) are not a trend.
    assert flagged(xmr([5, 1, 2, 3, 4, 5, 6, 3])) == {}


def test_two_of_three_near_the_upper_limit():
    chart = xmr([10, 11] * 5 + [14, 11, 14], improvement="higher")
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
    assert xmr([10, 12, 11, 13, 12, 30], improvement="higher", target=target).assurance.startswith(words)


def test_too_short_a_series_is_refused():
    with pytest.raises(ValueError, match="at least 2 points"):
        xmr([3.0])


def _step(day: date, series: str = "hours_lost", orgs: tuple[str, ...] = ()) -> Step:
    return Step(date=day, series=(series,), orgs=orgs, reason="a named change")


def test_limits_are_recalculated_at_a_step_change():
    values = [10, 12, 11, 13, 30, 31, 29, 32]
    # One baseline over all eight days: mean 168 / 8 = 21; moving ranges 2, 1, 2, 17, 1, 2, 3 -> 28 / 7 = 4;
    # limits 21 +/- 10.64 -> 10.36 and 31.64: 10 and 32 fall outside; two sigma is 21 +/- 7.09 (13.91 and 28.09),
    # which every day lies beyond: all eight days are read as special causes of one process.
    whole = spc(JAN[:8], values, improvement="lower")
    assert (whole.mean, whole.upper, whole.lower) == pytest.approx((21, 31.64, 10.36))
    assert {i for i, p in enumerate(whole.points) if "beyond_limit" in p.rules} == {0, 7}
    assert all(p.rules for p in whole.points)
    assert whole.variation_icon == "concerning_high"

    stepped = spc(JAN[:8], values, improvement="lower", steps=[_step(JAN[4])])
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
    chart = spc(JAN[:6], [10, 12, 11, 13, 12, 30], improvement=improvement, target=target)
    assert (chart.variation_icon, chart.assurance_icon) == (variation, assurance)


def test_largest_deteriorations_are_concerning_latest_points_furthest_out_first():
    def chart(name: str, values: list[float], improvement: str) -> Chart:
        return Chart(
            name,
            name.title(),
            name,
            name.title(),
            JAN[: len(values)],
            spc(JAN[: len(values)], values, improvement),
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


def test_the_shipped_steps_load_and_a_step_on_an_unknown_series_is_refused(tmp_path: Path):
    shipped = load_steps(REFERENCE_DIR, SERIES)
    assert {(s.date, s.orgs) for s in shipped} == {(date(2025, 1, 21), ("RTG01",)), (date(2025, 1, 29), ())}
    (tmp_path / "spc_steps.yaml").write_text("steps:\n  - {date: 2025-01-29, series: [hours_lots], reason: typo}\n")
    with pytest.raises(ValueError, match=r"unknown series \['hours_lots'\]"):
        load_steps(tmp_path, SERIES)
    assert load_steps(tmp_path / "none", SERIES) == []


def test_royal_derby_is_read_against_its_own_process_on_each_side_of_the_shipped_steps(whole_samples: Env):
    with duckdb.connect(str(whole_samples.warehouse), read_only=True) as conn:
        data = read_brief(
            conn,
            date(2025, 3, 31),
            feeds_dir=whole_samples.feeds_dir,
            landing=whole_samples.landing,
            now=datetime(2025, 4, 1, 9, tzinfo=LONDON),
        )
    (derby,) = [c for c in data.charts if (c.series, c.org_code) == ("hours_lost", "RTG01")]
    starts = [derby.dates[ph.start] for ph in derby.chart.phases]
    assert starts == [date(2025, 1, 1), date(2025, 1, 21), date(2025, 1, 29)]
    # Each phase's mean and mean moving range are the warehouse's days on its side of the steps, worked in SQL.
    for phase, (first, last) in zip(
        derby.chart.phases, [("2025-01-01", "2025-01-20"), ("2025-01-21", "2025-01-28"), ("2025-01-29", "2025-03-31")]
    ):
        mean, mmr = whole_samples.query(
            "with days as (select date, hours_lost as v from marts.handover_rollup where period = 'day' and "
            "level = 'site' and org_code = 'RTG01' and date between $first and $last and hours_lost is not null) "
            "select avg(v), (select avg(r) from (select abs(v - lag(v) over (order by date)) as r from days)) "
            "from days",
            first=first,
            last=last,
        ).row(0)
        assert (phase.chart.mean, phase.chart.mean_moving_range) == pytest.approx((mean, mmr)), first
    # The symptom: one baseline over the window (limits near 19-55 h) flags most of January as special
    # causes of one process; read against its own phase, no January day is.
    values = [p.value for p in derby.chart.points]
    january = [i for i, d in enumerate(derby.dates) if d.month == 1]
    one = spc(derby.dates, values, improvement="lower")
    assert sum(bool(one.points[i].rules) for i in january) > len(january) / 2
    assert [derby.dates[i] for i in january if derby.chart.points[i].rules] == []
