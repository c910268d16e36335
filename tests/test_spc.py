"""XmR limits and Making Data Count rules against hand-worked series."""

from __future__ import annotations

import pytest

from pipelines.brief.spc import xmr


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
