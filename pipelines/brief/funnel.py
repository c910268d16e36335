"""An SPC funnel plot as inline SVG: each provider's proportion against its denominator, with England's proportion as
the centre line and the 95% and 99.8% limits as curves, so a small provider's wider scatter is not read as special."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

from pipelines.brief.charts import NHS_DARK_GREY, POINT_COLOURS, nice_ticks, tick_label

# Normal quantiles for the limits (binomial approximation): two-sided 95% and 99.8%, about 2 and 3 sigma.
Z = {"95": 1.959964, "99.8": 3.090232}
WIDTH, HEIGHT, LEFT, RIGHT, TOP, BOTTOM = 720, 420, 64, 24, 24, 56
HOME = "#003087"


@dataclass(frozen=True)
class FunnelPoint:
    org_code: str
    org_name: str
    n: int  # the denominator (attendances)
    pct: float  # the provider's proportion, in %
    flag: str | None  # 'above', 'below' or 'within' the 99.8% limits
    home: bool  # one of the home system's trusts: drawn larger and labelled


def limit(centre_pct: float, n: float, z: float) -> tuple[float, float]:
    """(lower, upper) in %: p +/- z x sqrt(p(1 - p) / n), p the centre as a fraction, held within 0-100."""
    p = centre_pct / 100
    sigma = 100 * math.sqrt(p * (1 - p) / n)
    return max(centre_pct - z * sigma, 0.0), min(centre_pct + z * sigma, 100.0)


@dataclass(frozen=True)
class _Frame:
    n_max: float
    low: float
    high: float

    def x(self, n: float) -> float:
        return LEFT + (WIDTH - LEFT - RIGHT) * n / self.n_max

    def y(self, pct: float) -> float:
        return TOP + (HEIGHT - TOP - BOTTOM) * (self.high - pct) / (self.high - self.low)


def _frame(points: Sequence[FunnelPoint], centre_pct: float) -> _Frame:
    values = [p.pct for p in points] + [centre_pct]
    spread = max(values) - min(values)
    return _Frame(
        n_max=max(p.n for p in points) * 1.05,
        low=max(math.floor(min(values) - spread * 0.05 - 1), 0),
        high=min(math.ceil(max(values) + spread * 0.05 + 1), 100),
    )


def _curve(f: _Frame, centre_pct: float, z: float, side: int) -> str:
    """A limit as a path from a small denominator to the largest, sampled densely where it bends most."""
    steps = 120
    ns = [f.n_max * (i / steps) ** 2 for i in range(1, steps + 1)]
    return " ".join(
        f"{'M' if i == 0 else 'L'}{f.x(n):.1f},{f.y(limit(centre_pct, n, z)[side]):.1f}" for i, n in enumerate(ns)
    )


def _colour(point: FunnelPoint) -> str:
    # Higher is better for the 4-hour share: above the limits an improvement, below a concern.
    if point.home:
        return HOME
    return {"above": POINT_COLOURS["improvement"], "below": POINT_COLOURS["concern"]}.get(
        point.flag or "", POINT_COLOURS["common"]
    )


def _axes(f: _Frame, x_label: str, y_label: str) -> list[str]:
    y_step, y_ticks = nice_ticks(f.low, f.high, 6, whole=False)
    _, x_ticks = nice_ticks(0, f.n_max, 6, whole=True)
    out = [
        f'<text class="tick" x="{LEFT - 6}" y="{f.y(v) + 4:.1f}" text-anchor="end" fill="{NHS_DARK_GREY}">'
        f"{tick_label(v, y_step, '%')}</text>"
        for v in y_ticks
        if f.low <= v <= f.high
    ]
    out += [
        f'<text class="tick" x="{f.x(v):.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle" '
        f'fill="{NHS_DARK_GREY}">{v:,.0f}</text>'
        for v in x_ticks
        if 0 <= v <= f.n_max
    ]
    mid = (TOP + HEIGHT - BOTTOM) / 2
    out.append(
        f'<text class="axis-unit" x="14" y="{mid:.1f}" text-anchor="middle" fill="{NHS_DARK_GREY}" '
        f'transform="rotate(-90 14 {mid:.1f})">{escape(y_label)}</text>'
    )
    out.append(
        f'<text class="axis-unit" x="{(LEFT + WIDTH - RIGHT) / 2:.1f}" y="{HEIGHT - 12}" text-anchor="middle" '
        f'fill="{NHS_DARK_GREY}">{escape(x_label)}</text>'
    )
    return out


def _points(f: _Frame, points: Sequence[FunnelPoint]) -> list[str]:
    out = []
    # The home trusts last, so no other provider's point covers them.
    for p in sorted(points, key=lambda p: p.home):
        words = f"{p.org_name} ({p.org_code}): {p.pct:.1f}% of {p.n:,}, {p.flag or 'not judged'}"
        out.append(
            f'<circle class="point{" home" if p.home else ""}" data-org="{escape(p.org_code)}" data-n="{p.n}" '
            f'data-value="{p.pct!r}" data-flag="{escape(p.flag or "")}" cx="{f.x(p.n):.1f}" cy="{f.y(p.pct):.1f}" '
            f'r="{6 if p.home else 3.5}" fill="{_colour(p)}" stroke="#FFFFFF" stroke-width="1">'
            f"<title>{escape(words)}</title></circle>"
        )
    for p in points:
        if p.home:
            out.append(
                f'<text class="label" data-org="{escape(p.org_code)}" x="{f.x(p.n) + 9:.1f}" y="{f.y(p.pct) + 4:.1f}" '
                f'fill="{HOME}" font-weight="bold">{escape(p.org_code)}</text>'
            )
    return out


def funnel_svg(
    points: Sequence[FunnelPoint], centre_pct: float, *, title: str, x_label: str, y_label: str, key: str = "funnel"
) -> Markup:
    """The funnel plot: centre line, the 95% (dashed) and 99.8% (solid) limits, a point per provider."""
    f = _frame(points, centre_pct)
    plot = f'x="{LEFT}" y="{TOP}" width="{WIDTH - LEFT - RIGHT}" height="{HEIGHT - TOP - BOTTOM}"'
    home = ", ".join(f"{p.org_code} {p.pct:.1f}% ({p.flag})" for p in points if p.home)
    desc = (
        f"{len(points)} providers; centre line England {centre_pct:.1f}%; limits narrow as the denominator grows. "
        f"Highlighted: {home or 'none'}. The table below gives every point."
    )
    out = [
        f'<svg class="funnel" data-key="{escape(key)}" data-centre="{centre_pct!r}" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'font-size="12" role="img" aria-labelledby="{key}-title {key}-desc" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{key}-title">{escape(title)}</title>',
        f'<desc id="{key}-desc">{escape(desc)}</desc>',
        f'<clipPath id="{key}-plot"><rect {plot}/></clipPath>',
        f'<rect {plot} fill="#F0F4F5"/>',
        f'<g clip-path="url(#{key}-plot)">',
        f'<line class="centre" data-value="{centre_pct!r}" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{f.y(centre_pct):.1f}" '
        f'y2="{f.y(centre_pct):.1f}" stroke="{NHS_DARK_GREY}" stroke-width="1.5"/>',
    ]
    for level, dash in (("95", ' stroke-dasharray="5 4"'), ("99.8", "")):
        for side, name in ((0, "lower"), (1, "upper")):
            path = _curve(f, centre_pct, Z[level], side)
            out.append(
                f'<path class="limit" data-limit="{level}" data-side="{name}" d="{path}" fill="none" '
                f'stroke="#DA291C" stroke-width="1.2"{dash}/>'
            )
    out += [*_points(f, points), "</g>", *_axes(f, x_label, y_label), "</svg>"]
    return Markup("\n".join(out))
