"""XmR charts in the NHS "Making Data Count" style: limits, special-cause rules and the icons' meaning.

Limits are the mean plus or minus 2.66 times the mean moving range (three sigma); "near a limit" is beyond
two sigma, two thirds of the way out. Rules, as Making Data Count states them: a point beyond a limit; a run
of 7 points on one side of the mean; a trend of 7 points each rising (or each falling); 2 of 3 consecutive
points beyond two sigma on the same side. A point on the mean breaks a run; an equal value breaks a trend.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

LIMIT = 2.66
NEAR = LIMIT * 2 / 3
RUN = 7
TREND = 7

Direction = Literal["higher", "lower"]
Side = Literal["high", "low"]
RULE_WORDS = {
    "beyond_limit": "a point beyond a process limit",
    "run": f"a run of {RUN} or more points on one side of the mean",
    "trend": f"{TREND} or more points rising or falling in a row",
    "two_of_three": "2 of 3 points close to a process limit",
}


@dataclass(frozen=True)
class Point:
    value: float
    # Each rule this point is part of, with the side it signals (high = above the mean or rising).
    rules: dict[str, Side]

    @property
    def side(self) -> Side | None:
        # Beyond a limit outranks the pattern rules when a point shows more than one.
        for rule in RULE_WORDS:
            if rule in self.rules:
                return self.rules[rule]
        return None


@dataclass(frozen=True)
class XmR:
    points: list[Point]
    mean: float
    mean_moving_range: float
    improvement: Direction | None
    target: float | None

    @property
    def upper(self) -> float:
        return self.mean + LIMIT * self.mean_moving_range

    @property
    def lower(self) -> float:
        return self.mean - LIMIT * self.mean_moving_range

    def signal(self, point: Point) -> Literal["improvement", "concern", "neither", "common"]:
        side = point.side
        if side is None:
            return "common"
        if self.improvement is None:
            return "neither"
        return "improvement" if (side == "high") == (self.improvement == "higher") else "concern"

    @property
    def variation(self) -> str:
        """The variation icon's meaning in words, read from the latest point."""
        last = self.points[-1]
        kind = self.signal(last)
        if kind == "common":
            return "Common cause variation: the latest day is within what this process normally does."
        side = "high" if last.side == "high" else "low"
        rules = ", ".join(RULE_WORDS[r] for r in last.rules)
        if kind == "neither":
            return f"Special cause variation ({side}): {rules}."
        better = "improving" if kind == "improvement" else "concerning"
        return f"Special cause {better} variation ({side}): {rules}."

    @property
    def assurance(self) -> str | None:
        """The assurance icon's meaning in words: can the process be relied on to meet the target?"""
        if self.target is None or self.improvement is None:
            return None
        passes = self.lower >= self.target if self.improvement == "higher" else self.upper <= self.target
        fails = self.upper < self.target if self.improvement == "higher" else self.lower > self.target
        if passes:
            return "Consistently passes the target: every day within the process limits meets it."
        if fails:
            return "Consistently fails the target: it will not be met without a change to the process."
        return "Hit and miss: the target lies within the process limits, so some days will meet it and some will not."


def xmr(values: list[float], improvement: Direction | None = None, target: float | None = None) -> XmR:
    """The XmR chart of a series (oldest first), every point marked with the rules it is part of."""
    if len(values) < 2:
        raise ValueError(f"an XmR chart needs at least 2 points, got {len(values)}")
    mean = sum(values) / len(values)
    ranges = [abs(b - a) for a, b in zip(values, values[1:])]
    mmr = sum(ranges) / len(ranges)
    rules: list[dict[str, Side]] = [{} for _ in values]
    upper, lower = mean + LIMIT * mmr, mean - LIMIT * mmr
    near_high, near_low = mean + NEAR * mmr, mean - NEAR * mmr

    for i, v in enumerate(values):
        if v > upper or v < lower:
            rules[i]["beyond_limit"] = "high" if v > mean else "low"

    sides = [("high" if v > mean else "low" if v < mean else None) for v in values]
    for start, end, side in _runs(sides):
        if side is not None and end - start >= RUN:
            for i in range(start, end):
                rules[i]["run"] = side

    steps = [None] + [("high" if b > a else "low" if b < a else None) for a, b in zip(values, values[1:])]
    for start, end, side in _runs(steps):
        # A run of n rising steps spans n + 1 points, counting the one it rose from.
        if side is not None and end - start + 1 >= TREND:
            for i in range(start - 1, end):
                rules[i]["trend"] = side

    near = [("high" if v > near_high else "low" if v < near_low else None) for v in values]
    for i in range(len(values) - 2):
        for side in ("high", "low"):
            hits = [j for j in range(i, i + 3) if near[j] == side]
            if len(hits) >= 2:
                for j in hits:
                    rules[j]["two_of_three"] = side

    return XmR([Point(v, r) for v, r in zip(values, rules)], mean, mmr, improvement, target)


def _runs(labels: list[str | None]) -> list[tuple[int, int, str | None]]:
    """Maximal stretches of equal labels as (start, end exclusive, label)."""
    out, start = [], 0
    for i in range(1, len(labels) + 1):
        if i == len(labels) or labels[i] != labels[start]:
            out.append((start, i, labels[start]))
            start = i
    return out
