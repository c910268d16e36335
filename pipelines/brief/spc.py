"""XmR charts in the NHS "Making Data Count" style: limits, special-cause rules, phases and the icons' meaning.

Limits are the mean plus or minus 2.66 times the mean moving range (three sigma); "near a limit" is beyond
two sigma, two thirds of the way out. Rules, as Making Data Count states them: a point beyond a limit; a run
of 7 points on one side of the mean; a trend of 7 points each rising (or each falling); 2 of 3 consecutive
points beyond two sigma on the same side. A point on the mean breaks a run; an equal value breaks a trend.

The mean and moving range come from a fixed baseline, not from whatever days a window shows: the first 20
points of a phase (or the days a step names), so the limits stay put as days are added and move only at a
configured step. Below 12 baseline points they are trial limits, revised with each new day. As NHSRplotthedots
does by default, moving ranges above 3.267 times their mean are screened out before the mean moving range is
taken (Nelson 1982); `screen_moving_ranges: false` gives the Making Data Count Excel tool's wider limits.

A series is cut into phases at configured step changes (schemas/reference/spc_steps.yaml): each phase has its
own baseline, limits and rules, as Making Data Count re-baselines after a known, sustained change to the process.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Literal, cast

import yaml
from pydantic import BaseModel, ConfigDict, Field

LIMIT = 2.66
NEAR = LIMIT * 2 / 3
RUN = 7
TREND = 7
# An XmR needs a moving range: a step leaving fewer days than this on either side waits (or is ignored).
MIN_PHASE = 2
# Making Data Count fixes limits on a baseline of 20 points; below 12 they are trial limits (NHSRplotthedots).
BASELINE_POINTS = 20
TRIAL_BELOW = 12
# A moving range this many times the mean moving range is a freak, not the process's spread (Nelson 1982).
SCREEN = 3.267
# How far back "recent" special causes are read for the matrix and the key messages.
RECENT_DAYS = 7
# d2 for ranges of two: sigma = mean moving range / 1.128, for saying how far out a point lies.
D2 = 1.128
STEPS_FILE = "spc_steps.yaml"
# The step's YAML key is `date`, which as a field name would hide the type from pydantic.
Day = date

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
    # How many points, from the first, the mean and moving range were computed from.
    baseline: int = 0
    # Moving ranges screened out as freaks: each as the index of the later of its two points.
    screened: tuple[int, ...] = ()
    # What the measure cannot go beyond (a count is never negative, a percentage never over 100).
    floor: float | None = None
    ceiling: float | None = None

    @property
    def trial(self) -> bool:
        """Limits from fewer than 12 points: Making Data Count's trial limits, revised with each new point."""
        return self.baseline < TRIAL_BELOW

    @property
    def upper(self) -> float:
        upper = self.mean + LIMIT * self.mean_moving_range
        return upper if self.ceiling is None else min(upper, self.ceiling)

    @property
    def lower(self) -> float:
        lower = self.mean - LIMIT * self.mean_moving_range
        return lower if self.floor is None else max(lower, self.floor)

    def signal(self, point: Point) -> Literal["improvement", "concern", "neither", "common"]:
        side = point.side
        if side is None:
            return "common"
        if self.improvement is None:
            return "neither"
        return "improvement" if (side == "high") == (self.improvement == "higher") else "concern"

    def _latest_signal(self) -> tuple[Point, str]:
        last = self.points[-1]
        return last, self.signal(last)

    @property
    def variation(self) -> str:
        """The variation icon's meaning in words, read from the latest point."""
        last, kind = self._latest_signal()
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

    @property
    def variation_icon(self) -> str:
        """The Making Data Count variation icon of the latest point: common, or improving/concerning/neither + side."""
        last, kind = self._latest_signal()
        if kind == "common":
            return "common"
        return {"improvement": "improving", "concern": "concerning", "neither": "neither"}[kind] + f"_{last.side}"

    @property
    def assurance_icon(self) -> str | None:
        """The Making Data Count assurance icon: pass, fail or hit_and_miss; None without a target."""
        words = self.assurance
        if words is None:
            return None
        return "pass" if "passes" in words else "fail" if "fails" in words else "hit_and_miss"


def xmr(
    values: list[float],
    improvement: Direction | None = None,
    target: float | None = None,
    *,
    baseline: int | None = BASELINE_POINTS,
    screen: bool = True,
    floor: float | None = None,
    ceiling: float | None = None,
) -> XmR:
    """The XmR chart of a series (oldest first), every point marked with the rules it is part of.

    The mean and mean moving range come from the first `baseline` points (all of them when fewer, or None);
    with `screen`, moving ranges of SCREEN times their mean or more are left out of the mean moving range.
    """
    if len(values) < 2:
        raise ValueError(f"an XmR chart needs at least 2 points, got {len(values)}")
    n = len(values) if baseline is None else max(min(baseline, len(values)), 2)
    base = values[:n]
    mean = sum(base) / n
    ranges = [abs(b - a) for a, b in zip(base, base[1:])]
    mmr = sum(ranges) / len(ranges)
    screened: tuple[int, ...] = ()
    if screen and mmr > 0:
        # NHSRplotthedots keeps a range strictly below 3.267 x the mean: one equal to it is screened too.
        screened = tuple(i + 1 for i, r in enumerate(ranges) if not r < SCREEN * mmr)
        kept = [r for r in ranges if r < SCREEN * mmr]
        mmr = sum(kept) / len(kept)
    rules: list[dict[str, Side]] = [{} for _ in values]
    upper, lower = mean + LIMIT * mmr, mean - LIMIT * mmr
    near_high, near_low = mean + NEAR * mmr, mean - NEAR * mmr

    for i, v in enumerate(values):
        if v > upper or v < lower:
            rules[i]["beyond_limit"] = "high" if v > mean else "low"

    sides: list[Side | None] = [("high" if v > mean else "low" if v < mean else None) for v in values]
    for start, end, side in _runs(sides):
        if side is not None and end - start >= RUN:
            for i in range(start, end):
                rules[i]["run"] = side

    steps: list[Side | None] = [None] + [
        ("high" if b > a else "low" if b < a else None) for a, b in zip(values, values[1:])
    ]
    for start, end, side in _runs(steps):
        # A run of n rising steps spans n + 1 points, counting the one it rose from.
        if side is not None and end - start + 1 >= TREND:
            for i in range(start - 1, end):
                rules[i]["trend"] = side

    near: list[Side | None] = [("high" if v > near_high else "low" if v < near_low else None) for v in values]
    for i in range(len(values) - 2):
        for side in ("high", "low"):
            hits = [j for j in range(i, i + 3) if near[j] == side]
            if len(hits) >= 2:
                for j in hits:
                    rules[j]["two_of_three"] = cast(Side, side)  # "high" or "low" here, never None

    return XmR(
        [Point(v, r) for v, r in zip(values, rules)], mean, mmr, improvement, target, n, screened, floor, ceiling
    )


def _runs(labels: list[Side | None]) -> list[tuple[int, int, Side | None]]:
    """Maximal stretches of equal labels as (start, end exclusive, label)."""
    out, start = [], 0
    for i in range(1, len(labels) + 1):
        if i == len(labels) or labels[i] != labels[start]:
            out.append((start, i, labels[start]))
            start = i
    return out


VARIATION_WORDS = {
    "common": "Common cause",
    "improving_high": "Special cause improving (high)",
    "improving_low": "Special cause improving (low)",
    "concerning_high": "Special cause concerning (high)",
    "concerning_low": "Special cause concerning (low)",
    "neither_high": "Special cause (high), neither better nor worse",
    "neither_low": "Special cause (low), neither better nor worse",
}
ASSURANCE_WORDS = {
    "pass": "Consistently passes the target",
    "fail": "Consistently fails the target",
    "hit_and_miss": "Hit and miss against the target",
    None: "No target",
}


class Step(BaseModel):
    """A known, sustained change to a process, from which its charts' limits are recalculated."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    date: Day
    series: tuple[str, ...] = Field(min_length=1)
    # Organisation codes (site, system, ...) the step applies to; none listed means every one charted.
    orgs: tuple[str, ...] = ()
    reason: str = Field(min_length=1)
    # The last day of the new phase's baseline, where the first BASELINE_POINTS days are not the ones to use.
    baseline_to: Day | None = None

    def applies_to(self, series: str, org: str) -> bool:
        return series in self.series and (not self.orgs or org in self.orgs)

    def overlaps(self, other: Step) -> bool:
        """Whether some chart (series and organisation) is cut by both steps."""
        return bool(set(self.series) & set(other.series)) and (
            not self.orgs or not other.orgs or bool(set(self.orgs) & set(other.orgs))
        )


class StepsFile(BaseModel):
    """schemas/reference/spc_steps.yaml: how limits are computed, and the steps at which they are recalculated."""

    model_config = ConfigDict(extra="forbid")

    # Points from the start of a phase its limits are fixed on (Making Data Count: 20).
    baseline_points: int = Field(default=BASELINE_POINTS, ge=TRIAL_BELOW)
    # True as NHSRplotthedots by default; false for the Making Data Count Excel tool's (unscreened) limits.
    screen_moving_ranges: bool = True
    steps: list[Step] = []


def load_spc_config(reference_dir: str | Path, known_series: Iterable[str]) -> StepsFile:
    """The SPC settings and step changes in reference_dir/spc_steps.yaml (the defaults when the file is absent)."""
    path = Path(reference_dir) / STEPS_FILE
    if not path.is_file():
        return StepsFile()
    config = StepsFile.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")) or {})
    known = set(known_series)
    for step in config.steps:
        if unknown := set(step.series) - known:
            raise ValueError(
                f"{path}: step of {step.date} names unknown series {sorted(unknown)}; known: {sorted(known)}"
            )
    ordered = sorted(config.steps, key=lambda s: s.date)
    for i, step in enumerate(ordered):
        for later in ordered[i + 1 :]:
            # Limits from fewer than 12 days are trial limits for good: a phase that short is never fixed.
            if later.date - step.date < timedelta(days=TRIAL_BELOW) and step.overlaps(later):
                raise ValueError(
                    f"{path}: the steps of {step.date} and {later.date} cut the same chart {TRIAL_BELOW} days or "
                    f"fewer apart, leaving a phase too short for anything but trial limits; keep one, or name "
                    "different orgs"
                )
    return config


def load_steps(reference_dir: str | Path, known_series: Iterable[str]) -> list[Step]:
    """The configured step changes in reference_dir/spc_steps.yaml (none when the file is absent)."""
    return load_spc_config(reference_dir, known_series).steps


@dataclass(frozen=True)
class Phase:
    """The days from `start` (an index into the series) to the next phase, with limits of their own."""

    start: int
    chart: XmR
    # The step this phase begins with; None for a phase that starts with the series.
    step: Step | None
    # The days the phase's limits were computed from, first and last.
    baseline_from: date | None = None
    baseline_to: date | None = None

    @property
    def fixed(self) -> bool:
        """Whether the baseline is complete, so the limits no longer move as days are added."""
        return not self.chart.trial


def _from_latest(name: str) -> property:
    """A property of the whole chart that is its latest phase's: the limits and icons the latest day is read against."""
    return property(lambda self: getattr(self.latest, name), doc=f"The latest phase's {name}.")


@dataclass(frozen=True)
class SPC:
    """A dated series' XmR chart, in phases cut at the configured step changes."""

    dates: list[date]
    phases: list[Phase]
    # Steps inside the window not yet applied: too few days on one side of them to compute limits.
    waiting: list[Step]

    @property
    def points(self) -> list[Point]:
        return [p for phase in self.phases for p in phase.chart.points]

    @property
    def latest(self) -> XmR:
        """The phase the latest day belongs to: its limits are the ones the day, and the icons, are read against."""
        return self.phases[-1].chart

    def phase_of(self, index: int) -> Phase:
        return next(ph for ph in reversed(self.phases) if ph.start <= index)

    def signal(self, point: Point) -> Literal["improvement", "concern", "neither", "common"]:
        # Every phase reads better and worse the same way: the latest phase classifies any point.
        return self.latest.signal(point)

    # Read against the latest phase, as the day and the icons are.
    improvement = _from_latest("improvement")
    target = _from_latest("target")
    mean = _from_latest("mean")
    upper = _from_latest("upper")
    lower = _from_latest("lower")
    variation = _from_latest("variation")
    assurance = _from_latest("assurance")
    variation_icon = _from_latest("variation_icon")
    assurance_icon = _from_latest("assurance_icon")

    def since(self, first: date) -> SPC:
        """The chart from `first` on, as a window shows it: the limits and rules of the whole history kept, so
        a window never moves a baseline, and phases wholly before `first` left out."""
        cut = next((i for i, d in enumerate(self.dates) if d >= first), len(self.dates))
        if cut == 0:
            return self
        if cut >= len(self.dates) - 1:
            raise ValueError(f"fewer than 2 days on or after {first} to show")
        phases = []
        for k, phase in enumerate(self.phases):
            end = self.phases[k + 1].start if k + 1 < len(self.phases) else len(self.dates)
            if end <= cut:
                continue
            skip = max(cut - phase.start, 0)
            chart = replace(phase.chart, points=phase.chart.points[skip:])
            phases.append(replace(phase, start=max(phase.start - cut, 0), chart=chart))
        return SPC(self.dates[cut:], phases, [s for s in self.waiting if s.date >= first])


def spc(
    dates: list[date],
    values: list[float],
    improvement: Direction | None = None,
    target: float | None = None,
    steps: Iterable[Step] = (),
    *,
    baseline_points: int = BASELINE_POINTS,
    screen: bool = True,
    floor: float | None = None,
    ceiling: float | None = None,
) -> SPC:
    """The XmR chart of a dated series (oldest first), cut into phases at the steps falling inside it.

    Each phase's limits come from its first `baseline_points` days, or the days to its step's `baseline_to`. A
    step on or before the first day cuts nothing but still sets the first phase's baseline.
    """
    if len(dates) != len(values):
        raise ValueError(f"{len(dates)} dates for {len(values)} values")
    n = len(values)
    starts: list[tuple[int, Step]] = []
    waiting: list[Step] = []
    first_step: Step | None = None
    previous = 0
    step: Step | None  # None in the phases' loop below: a first phase that no step begins
    for step in sorted(steps, key=lambda s: s.date):
        # The first day on or after the step; a step after the last day cuts nothing (yet).
        cut = next((i for i, d in enumerate(dates) if d >= step.date), n)
        if cut == 0:
            first_step = step
            continue
        if cut == n:
            continue
        if cut - previous >= MIN_PHASE and n - cut >= MIN_PHASE:
            starts.append((cut, step))
            previous = cut
        else:
            waiting.append(step)
    bounds = [(0, first_step), *starts]
    phases = []
    for (start, step), (end, _) in zip(bounds, [*starts, (n, None)]):
        days = dates[start:end]
        size = baseline_points
        if step is not None and step.baseline_to is not None:
            size = max(sum(1 for d in days if d <= step.baseline_to), MIN_PHASE)
        chart = xmr(values[start:end], improvement, target, baseline=size, screen=screen, floor=floor, ceiling=ceiling)
        phases.append(Phase(start, chart, step, days[0], days[chart.baseline - 1]))
    return SPC(list(dates), phases, waiting)


@dataclass(frozen=True)
class ChartDay:
    """One day of one organisation's chart: what a special cause or a deterioration is said about."""

    series: str
    title: str
    org_code: str
    org_name: str
    unit: str
    day: date
    value: float


@dataclass(frozen=True)
class SpecialCause(ChartDay):
    """A recent day that is part of a special-cause rule, in words the matrix and the key messages can use."""

    kind: Literal["improvement", "concern", "neither"]
    side: Side
    rules: tuple[str, ...]

    @property
    def words(self) -> str:
        better = {"improvement": "improving", "concern": "concerning", "neither": "neither better nor worse"}
        return (
            f"{self.day:%a %d %b}: {format_value(self.value, self.unit)}, {better[self.kind]} "
            f"({'; '.join(RULE_WORDS[r] for r in self.rules)})"
        )


def recent_special_causes(charts: Iterable[Chart], days: int = RECENT_DAYS) -> list[SpecialCause]:
    """Every day in each chart's last `days` days (to its latest day) that is part of a special-cause rule,
    oldest first within a chart: what happened this week, not only on the latest day."""
    found = []
    for chart in charts:
        spc_chart = chart.chart
        since = chart.dates[-1] - timedelta(days=days - 1)
        for day, point in zip(chart.dates, spc_chart.points):
            kind = spc_chart.signal(point)
            if day < since or kind == "common":
                continue
            assert point.side is not None  # signal() is "common" for a point no rule marks
            found.append(
                SpecialCause(
                    chart.series,
                    chart.title,
                    chart.org_code,
                    chart.org_name,
                    chart.unit,
                    day,
                    point.value,
                    kind,
                    point.side,
                    tuple(r for r in RULE_WORDS if r in point.rules),
                )
            )
    return found


@dataclass(frozen=True)
class Deterioration(ChartDay):
    """A measure whose latest day is a special cause concerning, with how far from its phase's mean it lies."""

    mean: float
    lower: float
    upper: float
    rules: tuple[str, ...]
    # Distance from the mean in sigmas (mean moving range / 1.128); the ordering of "largest".
    sigmas: float

    @property
    def sentence(self) -> str:
        """One plain sentence for the key messages."""
        limit = self.upper if self.value > self.mean else self.lower
        which = "upper" if self.value > self.mean else "lower"
        return (
            f"{self.title}, {self.org_name}: {format_value(self.value, self.unit)} on {self.day:%a %d %b}, "
            f"a special cause of concern ({'; '.join(RULE_WORDS[r] for r in self.rules)}); mean "
            f"{format_value(self.mean, self.unit)}, {which} limit {format_value(limit, self.unit)}."
        )


def largest_deteriorations(charts: Iterable[Chart], limit: int | None = None) -> list[Deterioration]:
    """The measures whose latest point is special cause concerning, furthest from their mean (in sigmas) first."""
    found = []
    for chart in charts:
        spc_chart = chart.chart
        last = spc_chart.points[-1]
        if spc_chart.signal(last) != "concern":
            continue
        phase = spc_chart.latest
        sigma = phase.mean_moving_range / D2
        distance = abs(last.value - phase.mean)
        found.append(
            Deterioration(
                chart.series,
                chart.title,
                chart.org_code,
                chart.org_name,
                chart.unit,
                chart.dates[-1],
                last.value,
                phase.mean,
                phase.lower,
                phase.upper,
                tuple(last.rules),
                distance / sigma if sigma else (math.inf if distance else 0.0),
            )
        )
    found.sort(key=lambda d: -d.sigmas)
    return found[:limit] if limit is not None else found


UNITS = {"%": ("per cent", "{:,.1f}%"), "hours": ("hours", "{:,.1f} h"), "minutes": ("minutes", "{:,.1f} min")}


def format_value(value: float, unit: str) -> str:
    """A value as the brief writes it in its unit: 75.3%, 12.4 h, 31.0 min, or a count."""
    if unit in UNITS:
        return UNITS[unit][1].format(value)
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


@dataclass(frozen=True)
class Chart:
    """One charted measure: a series for one organisation, in its unit, with its SPC reading."""

    series: str
    title: str
    org_code: str
    org_name: str
    dates: list[date]
    chart: SPC
    unit: str = "count"
