"""XmR charts and Making Data Count icons as inline SVG, so the brief is one file that draws offline with no script."""

from __future__ import annotations

from datetime import date, timedelta
from html import escape

from markupsafe import Markup

from pipelines.brief.spc import ASSURANCE_WORDS, UNITS, VARIATION_WORDS, Chart, format_value

WIDTH, HEIGHT = 720, 260
LEFT, RIGHT, TOP, BOTTOM = 70, 112, 24, 44
# Making Data Count colours: grey common cause, blue improvement, orange concern, purple where neither is better.
POINT_COLOURS = {"common": "#768692", "improvement": "#41B6E6", "concern": "#ED8B00", "neither": "#330072"}
ICON_COLOURS = {"common": "#768692", "improving": "#41B6E6", "concerning": "#ED8B00", "neither": "#330072"}
ASSURANCE_COLOURS = {"pass": "#41B6E6", "fail": "#ED8B00", "hit_and_miss": "#768692", None: "#C8D1D6"}
NHS_DARK_GREY = "#425563"
NHS_RED = "#DA291C"


def chart_svg(chart: Chart) -> str:
    """One XmR chart: the series with gaps where days are missing, each phase's mean and limits (broken at a step),
    the target where there is one, points coloured by signal, and the unit on the value axis."""
    spc = chart.chart
    values = [p.value for p in spc.points]
    phase_lines = [(ph.chart.upper, ph.chart.mean, ph.chart.lower) for ph in spc.phases]
    extra = [v for lines in phase_lines for v in lines] + ([spc.target] if spc.target is not None else [])
    low, high = min(values + extra), max(values + extra)
    pad = (high - low) * 0.05 or 1.0
    low, high = low - pad, high + pad
    n = len(values)
    first, last = chart.dates[0], chart.dates[-1]
    # Placed by date, not by index: a day with no figure leaves a visible gap in the spacing.
    span = max((last - first).days, 1)

    def xd(day: date) -> float:
        return LEFT + (WIDTH - LEFT - RIGHT) * ((day - first).days / span)

    def x(i: int) -> float:
        return xd(chart.dates[i])

    def y(v: float) -> float:
        return TOP + (HEIGHT - TOP - BOTTOM) * (1 - (v - low) / (high - low))

    label = f"{chart.title} ({unit_words(chart.unit)}), {chart.org_name}"
    out = [
        f'<svg class="spc-chart" data-series="{escape(chart.series)}" data-org="{escape(chart.org_code)}" '
        f'data-points="{n}" data-unit="{escape(chart.unit)}" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-labelledby="t-{id(chart)}" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="t-{id(chart)}">{escape(label)}: {escape(spc.variation)}</title>',
        f'<rect x="{LEFT}" y="{TOP}" width="{WIDTH - LEFT - RIGHT}" height="{HEIGHT - TOP - BOTTOM}" fill="#F0F4F5"/>',
    ]
    gaps = _gaps(chart.dates)
    for before, after in gaps:
        missing = (after - before).days - 1
        words = f"No data {before + timedelta(days=1):%d %b}" + (
            f" to {after - timedelta(days=1):%d %b}" if missing > 1 else ""
        )
        out.append(
            f'<rect class="gap" data-from="{before + timedelta(days=1)}" data-to="{after - timedelta(days=1)}" '
            f'x="{xd(before):.1f}" y="{TOP}" width="{xd(after) - xd(before):.1f}" height="{HEIGHT - TOP - BOTTOM}" '
            f'fill="#FFFFFF"><title>{words}</title></rect>'
        )
    styles = {
        "upper": f'stroke="{NHS_DARK_GREY}" stroke-dasharray="6 4"',
        "lower": f'stroke="{NHS_DARK_GREY}" stroke-dasharray="6 4"',
        "mean": f'stroke="{NHS_DARK_GREY}"',
    }
    # One segment per phase and line: nothing joins one phase's limits to the next (Making Data Count's break).
    step_label_x = -1e9
    for k, phase in enumerate(spc.phases):
        end = spc.phases[k + 1].start - 1 if k + 1 < len(spc.phases) else n - 1
        x1, x2 = x(phase.start), x(end)
        for name, value in zip(("upper", "mean", "lower"), phase_lines[k]):
            out.append(
                f'<line class="ref-{name}" data-phase="{k}" data-from="{chart.dates[phase.start]}" '
                f'data-to="{chart.dates[end]}" data-value="{value!r}" x1="{x1:.1f}" x2="{x2:.1f}" '
                f'y1="{y(value):.1f}" y2="{y(value):.1f}" {styles[name]}/>'
            )
        if phase.step is not None:
            # The step sits between the last day of the old process and the first of the new.
            xs = (x(phase.start - 1) + x1) / 2
            out.append(
                f'<line class="step" data-date="{phase.step.date}" x1="{xs:.1f}" x2="{xs:.1f}" y1="{TOP}" '
                f'y2="{HEIGHT - BOTTOM}" stroke="{NHS_DARK_GREY}" stroke-dasharray="1 3"/>'
            )
            # Steps a few days apart would print their labels over each other: the later one drops a line.
            row = TOP - 6 if xs - step_label_x > 80 else TOP + 10
            step_label_x = xs if row == TOP - 6 else step_label_x
            out.append(
                f'<text x="{xs + 3:.1f}" y="{row}" font-size="11" fill="{NHS_DARK_GREY}">'
                f"Step {phase.step.date:%d %b}<title>{escape(phase.step.reason)}</title></text>"
            )
    lines = {"Upper limit": spc.upper, "Mean": spc.mean, "Lower limit": spc.lower}
    if spc.target is not None:
        lines["Target"] = spc.target
        out.append(
            f'<line class="ref-target" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(spc.target):.1f}" '
            f'y2="{y(spc.target):.1f}" stroke="{NHS_RED}" stroke-dasharray="2 3" stroke-width="2"/>'
        )
    # Labels (the latest phase's lines) sit at their heights, pushed apart where lines are close.
    label_y, previous = {}, -1e9
    for name, value in sorted(lines.items(), key=lambda kv: -kv[1]):
        label_y[name] = previous = max(y(value) + 4, previous + 12)
    for name, value in lines.items():
        out.append(
            f'<text x="{WIDTH - RIGHT + 4}" y="{label_y[name]:.1f}" font-size="11" fill="{NHS_DARK_GREY}">'
            f"{escape(name)} {escape(format_value(value, chart.unit))}</text>"
        )
    out.append(
        f'<path class="series" d="{_series_path(chart, x, y)}" fill="none" stroke="{NHS_DARK_GREY}" '
        f'stroke-width="1.5"/>'
    )
    for i, point in enumerate(spc.points):
        signal = spc.signal(point)
        out.append(
            f'<circle class="point {signal}" data-date="{chart.dates[i]}" cx="{x(i):.1f}" cy="{y(point.value):.1f}" '
            f'r="3.2" fill="{POINT_COLOURS[signal]}"><title>{chart.dates[i]:%a %d %b %Y}: '
            f"{escape(format_value(point.value, chart.unit))}</title></circle>"
        )
    for v in (high - pad, (high + low) / 2, low + pad):
        out.append(
            f'<text class="tick" x="{LEFT - 6}" y="{y(v) + 4:.1f}" font-size="11" text-anchor="end" '
            f'fill="{NHS_DARK_GREY}">{escape(_tick(v, chart.unit))}</text>'
        )
    mid = (TOP + HEIGHT - BOTTOM) / 2
    out.append(
        f'<text class="axis-unit" x="14" y="{mid:.1f}" font-size="11" text-anchor="middle" fill="{NHS_DARK_GREY}" '
        f'transform="rotate(-90 14 {mid:.1f})">{escape(unit_words(chart.unit).capitalize())}</text>'
    )
    for i in sorted({0, n // 2, n - 1}):
        out.append(
            f'<text x="{x(i):.1f}" y="{HEIGHT - 24}" font-size="11" text-anchor="middle" fill="{NHS_DARK_GREY}">'
            f"{chart.dates[i]:%d %b}</text>"
        )
    out.append(
        f'<text class="axis-unit" x="{(LEFT + WIDTH - RIGHT) / 2:.1f}" y="{HEIGHT - 6}" font-size="11" '
        f'text-anchor="middle" fill="{NHS_DARK_GREY}">Day</text>'
    )
    out.append("</svg>")
    return "\n".join(out)


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


def _tick(value: float, unit: str) -> str:
    suffix = {"%": "%", "hours": " h", "minutes": " min"}.get(unit, "")
    return f"{value:,.0f}{suffix}"


def _icon(colour: str, letter: str, words: str, kind: str) -> Markup:
    # Shape and letter carry the meaning as well as colour; the words sit beside the icon in the page.
    mark = (
        f'<line x1="9" x2="27" y1="18" y2="18" stroke="{colour}" stroke-width="2.5" stroke-dasharray="2 3"/>'
        if letter == "~"
        else f'<text x="18" y="23.5" font-size="15" font-weight="bold" text-anchor="middle" fill="{colour}">'
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


def chart_view(chart: Chart) -> dict:
    """What the template shows for one chart: titles, the icons with their words, the steps, and the SVG."""
    spc = chart.chart
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
        "steps": [
            f"Limits recalculated from {ph.step.date:%d %b %Y} ({len(ph.chart.points)} days): {ph.step.reason}"
            for ph in spc.phases
            if ph.step is not None
        ],
        "waiting": [f"Step on {s.date:%d %b %Y} not yet applied: too few days on one side." for s in spc.waiting],
        "gaps": [
            f"{a + timedelta(days=1):%d %b}" + (f" to {b - timedelta(days=1):%d %b}" if (b - a).days > 2 else "")
            for a, b in _gaps(chart.dates)
        ],
        "svg": Markup(chart_svg(chart)),
    }
