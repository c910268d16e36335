"""XmR charts and Making Data Count icons as inline SVG, so the brief is one file that draws offline with no script."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from html import escape

from markupsafe import Markup

from pipelines.brief.spc import (
    ASSURANCE_WORDS,
    RECENT_DAYS,
    RULE_WORDS,
    UNITS,
    VARIATION_WORDS,
    Chart,
    SpecialCause,
    format_value,
    recent_special_causes,
)


@dataclass(frozen=True)
class Layout:
    """One drawing of a chart: its size in SVG units, margins, text size, and whether lines carry labels."""

    name: str
    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    font: int
    line_labels: bool
    # About how many value-axis ticks to aim for.
    ticks: int


# The page shows the wide drawing on a screen and the narrow one on a phone. A 720-unit drawing shrunk to a
# 390-pixel phone (338 pixels inside the margins) printed its 11-unit labels at about 5 pixels; the narrow one
# is drawn near the size it is shown, so 12 units stay 12 pixels (11.9 at 338), and its lines' values are in
# the words under the chart instead of at the right-hand edge.
WIDE = Layout("wide", 720, 260, 70, 112, 24, 44, 11, True, 5)
NARROW = Layout("narrow", 340, 250, 56, 10, 24, 40, 12, False, 4)
WIDTH, HEIGHT = WIDE.width, WIDE.height
LEFT, RIGHT, TOP, BOTTOM = WIDE.left, WIDE.right, WIDE.top, WIDE.bottom
# Making Data Count colours: grey common cause, blue improvement, orange concern, purple where neither is better.
POINT_COLOURS = {"common": "#768692", "improvement": "#41B6E6", "concern": "#ED8B00", "neither": "#330072"}
ICON_COLOURS = {"common": "#768692", "improving": "#41B6E6", "concerning": "#ED8B00", "neither": "#330072"}
ASSURANCE_COLOURS = {"pass": "#41B6E6", "fail": "#ED8B00", "hit_and_miss": "#768692", None: "#C8D1D6"}
NHS_DARK_GREY = "#425563"
NHS_RED = "#DA291C"


def chart_svg(chart: Chart, layout: Layout = WIDE) -> str:
    """One XmR chart as SVG: the series, each phase's mean and process limits with a marker at each step change,
    the target where there is one, points coloured by signal, and the unit on the value axis."""
    canvas = _Canvas(chart, layout, *_value_range(chart))
    return "\n".join(
        [
            *_opening(canvas),
            *_gap_rects(canvas),
            *_phase_lines(canvas),
            *_latest_lines(canvas),
            *_points(canvas),
            *_axes(canvas),
            "</svg>",
        ]
    )


def _value_range(chart: Chart) -> tuple[float, float]:
    """The value axis: every point, limit and target inside it, with a little room either side."""
    spc = chart.chart
    values = [p.value for p in spc.points]
    extra = [v for ph in spc.phases for v in (ph.chart.upper, ph.chart.mean, ph.chart.lower)]
    extra += [spc.target] if spc.target is not None else []
    low, high = min(values + extra), max(values + extra)
    pad = (high - low) * 0.05 or 1.0
    # A measure that cannot go below 0 gets no axis below 0 (and so no "-0" or negative tick).
    return (low - pad if low - pad >= 0 or low < 0 else 0.0), high + pad


@dataclass(frozen=True)
class _Canvas:
    """Where a chart's days and values fall in one layout's drawing."""

    chart: Chart
    layout: Layout
    low: float
    high: float

    @property
    def n(self) -> int:
        return len(self.chart.chart.points)

    def xd(self, day: date) -> float:
        # Placed by date, not by index: a day with no figure leaves a visible gap in the spacing.
        lay, dates = self.layout, self.chart.dates
        span = max((dates[-1] - dates[0]).days, 1)
        return lay.left + (lay.width - lay.left - lay.right) * ((day - dates[0]).days / span)

    def x(self, i: int) -> float:
        return self.xd(self.chart.dates[i])

    def y(self, v: float) -> float:
        lay = self.layout
        return lay.top + (lay.height - lay.top - lay.bottom) * (1 - (v - self.low) / (self.high - self.low))


def _opening(c: _Canvas) -> list[str]:
    """The svg element, its accessible title, and the plot area's background."""
    chart, lay = c.chart, c.layout
    label = f"{chart.title} ({unit_words(chart.unit)}), {chart.org_name}"
    css = "spc-chart" if lay is WIDE else f"spc-chart-{lay.name}"
    title_id = f"t-{lay.name}-{escape(chart.series)}-{escape(chart.org_code)}"
    return [
        f'<svg class="{css}" data-series="{escape(chart.series)}" data-org="{escape(chart.org_code)}" '
        f'data-points="{c.n}" data-unit="{escape(chart.unit)}" viewBox="0 0 {lay.width} {lay.height}" '
        f'font-size="{lay.font}" role="img" aria-labelledby="{title_id}" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{title_id}">{escape(label)}: {escape(chart.chart.variation)}</title>',
        f'<rect x="{lay.left}" y="{lay.top}" width="{lay.width - lay.left - lay.right}" '
        f'height="{lay.height - lay.top - lay.bottom}" fill="#F0F4F5"/>',
    ]


def _gap_rects(c: _Canvas) -> list[str]:
    """A white band, titled, over each run of days with no figure."""
    lay, out = c.layout, []
    for before, after in _gaps(c.chart.dates):
        missing = (after - before).days - 1
        words = f"No data {before + timedelta(days=1):%d %b}" + (
            f" to {after - timedelta(days=1):%d %b}" if missing > 1 else ""
        )
        out.append(
            f'<rect class="gap" data-from="{before + timedelta(days=1)}" data-to="{after - timedelta(days=1)}" '
            f'x="{c.xd(before):.1f}" y="{lay.top}" width="{c.xd(after) - c.xd(before):.1f}" '
            f'height="{lay.height - lay.top - lay.bottom}" fill="#FFFFFF"><title>{words}</title></rect>'
        )
    return out


LIMIT_STYLES = {
    "upper": f'stroke="{NHS_DARK_GREY}" stroke-dasharray="6 4"',
    "lower": f'stroke="{NHS_DARK_GREY}" stroke-dasharray="6 4"',
    "mean": f'stroke="{NHS_DARK_GREY}"',
}


def _phase_lines(c: _Canvas) -> list[str]:
    """Each phase's limits and mean, and a labelled marker at each step change inside the window."""
    chart, spc, lay, out = c.chart, c.chart.chart, c.layout, []
    # One segment per phase and line: nothing joins one phase's limits to the next (Making Data Count's break).
    step_label_x = -1e9
    for k, phase in enumerate(spc.phases):
        end = spc.phases[k + 1].start - 1 if k + 1 < len(spc.phases) else c.n - 1
        x1, x2 = c.x(phase.start), c.x(end)
        for name, value in zip(("upper", "mean", "lower"), (phase.chart.upper, phase.chart.mean, phase.chart.lower)):
            out.append(
                f'<line class="ref-{name}" data-phase="{k}" data-from="{chart.dates[phase.start]}" '
                f'data-to="{chart.dates[end]}" data-value="{value!r}" data-trial="{str(phase.chart.trial).lower()}" '
                f'x1="{x1:.1f}" x2="{x2:.1f}" y1="{c.y(value):.1f}" y2="{c.y(value):.1f}" {LIMIT_STYLES[name]}/>'
            )
        # A phase that began before the window shows no marker: its step is not on this chart.
        if phase.step is None or phase.start == 0:
            continue
        # The step sits between the last day of the old process and the first of the new.
        xs = (c.x(phase.start - 1) + x1) / 2
        out.append(
            f'<line class="step" data-date="{phase.step.date}" x1="{xs:.1f}" x2="{xs:.1f}" y1="{lay.top}" '
            f'y2="{lay.height - lay.bottom}" stroke="{NHS_DARK_GREY}" stroke-dasharray="1 3"/>'
        )
        # Steps a few days apart would print their labels over each other: the later one drops a line.
        row = lay.top - 6 if xs - step_label_x > 7 * lay.font else lay.top + lay.font
        step_label_x = xs if row == lay.top - 6 else step_label_x
        # Near the right-hand edge the label runs leftwards, so a late step's date stays inside the drawing.
        anchor = "end" if xs > lay.width - 8 * lay.font else "start"
        out.append(
            f'<text class="step-label" x="{xs + (3 if anchor == "start" else -3):.1f}" y="{row}" '
            f'text-anchor="{anchor}" fill="{NHS_DARK_GREY}">'
            f"Step {phase.step.date:%d %b}<title>{escape(phase.step.reason)}</title></text>"
        )
    return out


def _latest_lines(c: _Canvas) -> list[str]:
    """The target line, and (in a layout with line labels) the latest phase's lines and the target named."""
    spc, lay, out = c.chart.chart, c.layout, []
    trial = " (trial)" if spc.latest.trial else ""
    lines = {f"Upper limit{trial}": spc.upper, "Mean": spc.mean, f"Lower limit{trial}": spc.lower}
    if spc.target is not None:
        lines["Target"] = spc.target
        out.append(
            f'<line class="ref-target" x1="{lay.left}" x2="{lay.width - lay.right}" y1="{c.y(spc.target):.1f}" '
            f'y2="{c.y(spc.target):.1f}" stroke="{NHS_RED}" stroke-dasharray="2 3" stroke-width="2"/>'
        )
    # Labels sit at their lines' heights, pushed apart where lines are close.
    label_y, previous = {}, -1e9
    for name, value in sorted(lines.items(), key=lambda kv: -kv[1]):
        label_y[name] = previous = max(c.y(value) + 4, previous + lay.font + 1)
    for name, value in lines.items() if lay.line_labels else ():
        out.append(
            f'<text class="line-label" x="{lay.width - lay.right + 4}" y="{label_y[name]:.1f}" '
            f'fill="{NHS_DARK_GREY}">{escape(name)} {escape(format_value(value, c.chart.unit))}</text>'
        )
    return out


def _points(c: _Canvas) -> list[str]:
    """The series' line and a point per day, coloured by its signal and titled with its day and value."""
    chart, spc = c.chart, c.chart.chart
    out = [
        f'<path class="series" d="{_series_path(chart, c.x, c.y)}" fill="none" stroke="{NHS_DARK_GREY}" '
        f'stroke-width="1.5"/>'
    ]
    for i, point in enumerate(spc.points):
        signal = spc.signal(point)
        out.append(
            f'<circle class="point {signal}" data-date="{chart.dates[i]}" cx="{c.x(i):.1f}" '
            f'cy="{c.y(point.value):.1f}" r="3.2" fill="{POINT_COLOURS[signal]}"><title>{chart.dates[i]:%a %d %b %Y}: '
            f"{escape(format_value(point.value, chart.unit))}</title></circle>"
        )
    return out


def _axes(c: _Canvas) -> list[str]:
    """The value axis's ticks and unit, and the first, middle and last days under the chart."""
    chart, lay, n = c.chart, c.layout, c.n
    values_step, ticks = nice_ticks(c.low, c.high, lay.ticks, whole=chart.unit == "count")
    out = [
        f'<text class="tick" data-value="{v!r}" x="{lay.left - 6}" y="{c.y(v) + lay.font / 3:.1f}" text-anchor="end" '
        f'fill="{NHS_DARK_GREY}">{escape(tick_label(v, values_step, chart.unit))}</text>'
        for v in ticks
    ]
    mid = (lay.top + lay.height - lay.bottom) / 2
    axis_x = lay.font + 3
    out.append(
        f'<text class="axis-unit" x="{axis_x}" y="{mid:.1f}" text-anchor="middle" fill="{NHS_DARK_GREY}" '
        f'transform="rotate(-90 {axis_x} {mid:.1f})">{escape(unit_words(chart.unit).capitalize())}</text>'
    )
    for i in sorted({0, n // 2, n - 1}):
        # The first and last dates sit inside the drawing: centred on the edge points they would be cut in half.
        anchor = "start" if i == 0 else "end" if i == n - 1 and n > 1 else "middle"
        out.append(
            f'<text class="day" x="{c.x(i):.1f}" y="{lay.height - lay.bottom + lay.font + 6}" text-anchor="{anchor}" '
            f'fill="{NHS_DARK_GREY}">{chart.dates[i]:%d %b}</text>'
        )
    out.append(
        f'<text class="axis-unit" x="{(lay.left + lay.width - lay.right) / 2:.1f}" y="{lay.height - 6}" '
        f'text-anchor="middle" fill="{NHS_DARK_GREY}">Day</text>'
    )
    return out


def _gaps(dates: list[date]) -> list[tuple[date, date]]:
    """(last day before, first day after) each run of days with no figure."""
    return [(a, b) for a, b in zip(dates, dates[1:]) if (b - a).days > 1]


def _series_path(chart: Chart, x, y) -> str:
    """The line through the days, lifted at each missing day: no line is drawn across a day with no figure."""
    parts = []
    for i, point in enumerate(chart.chart.points):
        move = i == 0 or (chart.dates[i] - chart.dates[i - 1]).days > 1
        parts.append(f"{'M' if move else 'L'}{x(i):.1f},{y(point.value):.1f}")
    return " ".join(parts)


def unit_words(unit: str) -> str:
    return UNITS[unit][0] if unit in UNITS else unit


# Steps between ticks, as multiples of a power of ten: ticks at 0.5, 1.0, 1.5 or 20, 40, 60, never 0.4 read as "0".
# matplotlib's MaxNLocator chooses ticks the same way, but importing it costs 0.7 s and 140 MB for these lines.
NICE_STEPS = (1.0, 2.0, 2.5, 5.0, 10.0)


def nice_ticks(low: float, high: float, aim: int = 5, *, whole: bool = False) -> tuple[float, list[float]]:
    """Round tick values inside [low, high], about `aim` of them, and the step between them; `whole` for counts,
    whose ticks are whole numbers."""
    if not high > low:
        return 1.0, [low]
    raw = (high - low) / max(aim - 1, 1)
    # A count's ticks step by whole numbers: never 2.5, never less than 1.
    raw = max(raw, 1.0) if whole else raw
    power = 10 ** math.floor(math.log10(raw))
    multiples = [m for m in NICE_STEPS if not (whole and m == 2.5)]
    step = next(m * power for m in multiples if m * power >= raw * (1 - 1e-9))
    first = math.ceil(low / step - 1e-9)
    ticks = [k * step for k in range(first, math.floor(high / step + 1e-9) + 1)]
    return step, ticks


def tick_label(value: float, step: float, unit: str) -> str:
    """A tick as the axis writes it: as many decimals as its step needs, no "-0", and the unit's suffix."""
    suffix = {"%": "%", "hours": " h", "minutes": " min"}.get(unit, "")
    decimals = 0
    while abs(step * 10**decimals - round(step * 10**decimals)) > 1e-9 and decimals < 6:
        decimals += 1
    # Adding 0.0 turns a rounded -0.0 into 0.0, which the format would print as "-0".
    return f"{round(value, decimals) + 0.0:,.{decimals}f}{suffix}"


def _icon(colour: str, letter: str, words: str, kind: str) -> Markup:
    # Shape and letter carry the meaning as well as colour; the words sit beside the icon in the page.
    mark = (
        f'<line x1="9" x2="27" y1="18" y2="18" stroke="{colour}" stroke-width="2.5" stroke-dasharray="2 3"/>'
        if letter == "~"
        else f'<text x="18" y="24.5" font-size="18" font-weight="bold" text-anchor="middle" fill="{colour}">'
        f"{escape(letter)}</text>"
    )
    return Markup(
        f'<svg class="mdc-icon" data-icon="{escape(kind)}" width="28" height="28" viewBox="0 0 36 36" role="img" '
        f'aria-label="{escape(words)}" xmlns="http://www.w3.org/2000/svg"><title>{escape(words)}</title>'
        f'<circle cx="18" cy="18" r="15" fill="#FFFFFF" stroke="{colour}" stroke-width="3"/>{mark}</svg>'
    )


def variation_icon(key: str) -> Markup:
    """The Making Data Count variation icon: H or L for a special cause high or low, a flat line for common cause."""
    kind = key.split("_")[0]
    letter = "~" if key == "common" else key.split("_")[-1][0].upper()
    return _icon(ICON_COLOURS[kind], letter, VARIATION_WORDS[key], key)


def assurance_icon(key: str | None) -> Markup:
    """The Making Data Count assurance icon: P passes, F fails, ? hit and miss, a dash without a target."""
    letter = {"pass": "P", "fail": "F", "hit_and_miss": "?", None: "-"}[key]
    return _icon(ASSURANCE_COLOURS[key], letter, ASSURANCE_WORDS[key], key or "none")


def _days(first: date, last: date) -> str:
    if first == last:
        return f"{first:%a %d %b}"
    return f"{first:%a %d}" + (f" {first:%b}" if first.month != last.month else "") + f" to {last:%a %d %b}"


def recent_words(causes: list[SpecialCause]) -> list[str]:
    """One chart's special causes of the last days, consecutive days of the same reading as one line."""
    kinds = {"improvement": "improving", "concern": "concerning", "neither": "neither better nor worse"}
    out = []
    # A new line where the reading changes or a day between is not a special cause.
    runs: list[list[SpecialCause]] = []
    for cause in causes:
        last = runs[-1][-1] if runs else None
        if last and (last.kind, last.side) == (cause.kind, cause.side) and (cause.day - last.day).days == 1:
            runs[-1].append(cause)
        else:
            runs.append([cause])
    for group in runs:
        kind, side = group[0].kind, group[0].side
        rules = [r for r in RULE_WORDS if any(r in c.rules for c in group)]
        what = f"{kinds[kind]}, {side}: {'; '.join(RULE_WORDS[r] for r in rules)}"
        if len(group) == 1:
            out.append(f"{group[0].day:%a %d %b} ({format_value(group[0].value, group[0].unit)}), {what}")
        else:
            out.append(f"{_days(group[0].day, group[-1].day)} ({len(group)} days), {what}")
    return out


def _baseline_words(chart: Chart) -> list[str]:
    """How each phase shown got its limits: the baseline's days, trial or fixed, and moving ranges screened out."""
    out = []
    for phase in chart.chart.phases:
        xmr = phase.chart
        days = f"{phase.baseline_from:%d %b %Y} to {phase.baseline_to:%d %b %Y}"
        screened = (
            f"; {len(xmr.screened)} moving range{'s' if len(xmr.screened) > 1 else ''} of 3.267 times the mean or "
            "more screened out"
            if xmr.screened
            else ""
        )
        limits = (
            f"mean {format_value(xmr.mean, chart.unit)}, limits {format_value(xmr.lower, chart.unit)} to "
            f"{format_value(xmr.upper, chart.unit)}"
        )
        if xmr.trial:
            out.append(
                f"Trial limits ({limits}) from the {xmr.baseline} days so far, {days}: fewer than 12, so they move "
                f"with each new day until the baseline is complete{screened}."
            )
        else:
            out.append(f"Limits ({limits}) fixed on the {xmr.baseline} days {days}{screened}.")
    return out


def chart_view(chart: Chart) -> dict:
    """What the template shows for one chart: titles, the icons with their words, the steps, and the SVG."""
    spc = chart.chart
    recent = recent_special_causes([chart])
    return {
        "id": f"spc-{chart.series}-{chart.org_code}",
        "series": chart.series,
        "org_code": chart.org_code,
        "title": chart.title,
        "unit": unit_words(chart.unit),
        "org_name": chart.org_name,
        "latest": format_value(spc.points[-1].value, chart.unit),
        "latest_day": f"{chart.dates[-1]:%a %d %b}",
        "variation": spc.variation,
        "assurance": spc.assurance,
        "variation_key": spc.variation_icon,
        "assurance_key": spc.assurance_icon or "none",
        "variation_words": VARIATION_WORDS[spc.variation_icon],
        "assurance_words": ASSURANCE_WORDS[spc.assurance_icon],
        "variation_icon": variation_icon(spc.variation_icon),
        "assurance_icon": assurance_icon(spc.assurance_icon),
        "trial": spc.latest.trial,
        "recent": recent_words(recent),
        "recent_days": RECENT_DAYS,
        "baselines": _baseline_words(chart),
        "steps": [
            f"Limits recalculated from {ph.step.date:%d %b %Y}: {ph.step.reason}"
            for ph in spc.phases
            if ph.step is not None
        ],
        "waiting": [f"Step on {s.date:%d %b %Y} not yet applied: too few days on one side." for s in spc.waiting],
        "gaps": [
            f"{a + timedelta(days=1):%d %b}" + (f" to {b - timedelta(days=1):%d %b}" if (b - a).days > 2 else "")
            for a, b in _gaps(chart.dates)
        ],
        "svg": Markup(chart_svg(chart)),
        "svg_narrow": Markup(chart_svg(chart, NARROW)),
    }
