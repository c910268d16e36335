"""XmR charts as inline SVG, so the brief is one file that draws offline with no script or CDN."""

from __future__ import annotations

from html import escape

from pipelines.brief.data import Chart

WIDTH, HEIGHT = 720, 250
LEFT, RIGHT, TOP, BOTTOM = 56, 112, 14, 34
# Making Data Count colours: grey common cause, blue improvement, orange concern, purple where neither is better.
POINT_COLOURS = {"common": "#768692", "improvement": "#41B6E6", "concern": "#ED8B00", "neither": "#330072"}
NHS_DARK_GREY = "#425563"
NHS_RED = "#DA291C"


def chart_svg(chart: Chart) -> str:
    """One XmR chart: the series, mean, process limits, the target where there is one, points coloured by signal."""
    spc = chart.chart
    values = [p.value for p in spc.points]
    lines = {"Upper limit": spc.upper, "Mean": spc.mean, "Lower limit": spc.lower}
    if spc.target is not None:
        lines["Target"] = spc.target
    low, high = min(values + list(lines.values())), max(values + list(lines.values()))
    pad = (high - low) * 0.05 or 1.0
    low, high = low - pad, high + pad
    n = len(values)
    # Placed by date, not by index: a day with no figure leaves a visible gap in the spacing.
    span = max((chart.dates[-1] - chart.dates[0]).days, 1)

    def x(i: int) -> float:
        return LEFT + (WIDTH - LEFT - RIGHT) * ((chart.dates[i] - chart.dates[0]).days / span)

    def y(v: float) -> float:
        return TOP + (HEIGHT - TOP - BOTTOM) * (1 - (v - low) / (high - low))

    out = [
        f'<svg class="spc-chart" data-series="{escape(chart.series)}" data-org="{escape(chart.org_code)}" '
        f'data-points="{n}" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-labelledby="t-{id(chart)}" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="t-{id(chart)}">{escape(chart.title)}, {escape(chart.org_name)}: {escape(spc.variation)}</title>',
        f'<rect x="{LEFT}" y="{TOP}" width="{WIDTH - LEFT - RIGHT}" height="{HEIGHT - TOP - BOTTOM}" fill="#F0F4F5"/>',
    ]
    styles = {
        "Upper limit": f'stroke="{NHS_DARK_GREY}" stroke-dasharray="6 4"',
        "Lower limit": f'stroke="{NHS_DARK_GREY}" stroke-dasharray="6 4"',
        "Mean": f'stroke="{NHS_DARK_GREY}"',
        "Target": f'stroke="{NHS_RED}" stroke-dasharray="2 3" stroke-width="2"',
    }
    # Labels sit at their lines' heights, pushed apart where lines are close (a target near the mean).
    label_y, last = {}, -1e9
    for name, value in sorted(lines.items(), key=lambda kv: -kv[1]):
        label_y[name] = last = max(y(value) + 4, last + 12)
    for name, value in lines.items():
        out.append(
            f'<line class="ref-{name.split()[0].lower()}" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(value):.1f}" '
            f'y2="{y(value):.1f}" {styles[name]}/>'
        )
        out.append(
            f'<text x="{WIDTH - RIGHT + 4}" y="{label_y[name]:.1f}" font-size="11" fill="{NHS_DARK_GREY}">'
            f"{escape(name)} {value:,.1f}</text>"
        )
    path = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(values))
    out.append(f'<polyline class="series" points="{path}" fill="none" stroke="{NHS_DARK_GREY}" stroke-width="1.5"/>')
    for i, point in enumerate(spc.points):
        signal = spc.signal(point)
        out.append(
            f'<circle class="point {signal}" cx="{x(i):.1f}" cy="{y(point.value):.1f}" r="3.2" '
            f'fill="{POINT_COLOURS[signal]}"><title>{chart.dates[i]:%a %d %b %Y}: {point.value:,.1f}</title></circle>'
        )
    for v in (high - pad, (high + low) / 2, low + pad):
        out.append(
            f'<text x="{LEFT - 6}" y="{y(v) + 4:.1f}" font-size="11" text-anchor="end" '
            f'fill="{NHS_DARK_GREY}">{v:,.0f}</text>'
        )
    for i in sorted({0, n // 2, n - 1}):
        out.append(
            f'<text x="{x(i):.1f}" y="{HEIGHT - 12}" font-size="11" text-anchor="middle" fill="{NHS_DARK_GREY}">'
            f"{chart.dates[i]:%d %b}</text>"
        )
    out.append("</svg>")
    return "\n".join(out)
