"""A line chart drawn on the server as inline SVG: no script, no CDN, readable in greyscale.

Each line has its own colour, dash pattern and marker shape, so lines can be told apart
printed in black and white. Each point is a link (with a tooltip) to what it counts.
Sizes are in viewBox units; the stylesheet scales the chart to the page's width.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from markupsafe import Markup, escape

#: (colour, dash pattern, marker shape, filled marker) per line, in order: colours of differing
#: lightness (Okabe–Ito), and dashes and markers that differ even where two greys are alike.
STYLES = [
    ("#1b1b1b", "", "circle", True),
    ("#d55e00", "9 4", "square", False),
    ("#0072b2", "2 3", "triangle", True),
    ("#009e73", "10 3 2 3", "diamond", False),
    ("#cc79a7", "5 2", "down", True),
    ("#e69f00", "12 3 2 3 2 3", "cross", False),
    ("#56b4e9", "14 4", "square", True),
    ("#6b6b6b", "6 2 1 2", "triangle", False),
]
WIDTH = 800
LEFT, RIGHT, TOP, PLOT_HEIGHT = 78, 24, 20, 260
LEGEND_ROW, LEGEND_CHARS = 24, 22


@dataclass
class Line:
    """One line: its label and, per x value, a value (None leaves a gap), a link and a tooltip."""

    label: str
    values: list[float | None]
    links: list[str | None]
    tooltips: list[str]


def nice_ticks(top: float, count: int = 5, integer: bool = False) -> list[float]:
    """Round tick values from 0 to at least top: steps of 1, 2, 2.5 or 5 times a power of ten."""
    if not top or top <= 0 or not math.isfinite(top):
        top = 1.0
    raw = top / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = magnitude * 10
    for m in (1, 2, 2.5, 5, 10):
        candidate = m * magnitude
        if candidate >= raw and (not integer or candidate == int(candidate)):
            step = candidate
            break
    if integer:
        step = max(1, step)
    n = math.ceil(top / step - 1e-9)
    return [round(i * step, 10) for i in range(n + 1)]


def tick_label(value: float, step: float) -> str:
    """A tick value with as many decimals as its step needs."""
    decimals = next((d for d in range(7) if abs(round(step, d) - step) < 1e-9), 6)
    return f"{value:.{decimals}f}"


def line_chart(
    xs: list[int],
    lines: list[Line],
    y_label: str,
    x_label: str,
    title: str,
    integer: bool = False,
    x_notes: list[str] | None = None,
) -> Markup:
    """The chart as an <svg> element (xs sorted, each line's values aligned with xs; x_notes, if given,
    under each x label). It has a viewBox and no size, so it takes the width the page gives it."""
    values = [v for line in lines for v in line.values if v is not None]
    ticks = nice_ticks(max(values, default=0), integer=integer)
    top_value = ticks[-1]
    bottom = TOP + PLOT_HEIGHT
    right = WIDTH - RIGHT
    notes = 17 if x_notes else 0  # room for a line of notes under the x labels
    legend_top = bottom + 62 + notes
    height = legend_top + LEGEND_ROW * math.ceil(len(lines) / 2) + 6

    def x_of(x: int) -> float:
        if len(xs) == 1:
            return (LEFT + right) / 2
        pad = 28
        return LEFT + pad + (x - xs[0]) / (xs[-1] - xs[0]) * (right - LEFT - 2 * pad)

    def y_of(v: float) -> float:
        return bottom - v / top_value * PLOT_HEIGHT

    out = [
        f'<svg class="trendchart" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    # the grid and the y axis, with round ticks
    step = ticks[1] - ticks[0] if len(ticks) > 1 else 1
    for t in ticks:
        y = y_of(t)
        out.append(
            f'<line class="grid" x1="{LEFT}" x2="{right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#d9dee5" stroke-width="1"/>'
        )
        out.append(
            f'<text class="ytick" x="{LEFT - 8}" y="{y + 4:.1f}" text-anchor="end" font-size="13" '
            f'fill="#333">{tick_label(t, step)}</text>'
        )
    for x1, y1, x2, y2 in ((LEFT, TOP, LEFT, bottom), (LEFT, bottom, right, bottom)):
        out.append(f'<line class="axis" x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="#333" stroke-width="1.5"/>')
    out.append(
        f'<text class="ylabel" transform="translate(18 {TOP + PLOT_HEIGHT / 2:.0f}) rotate(-90)" '
        f'text-anchor="middle" font-size="14" fill="#1d232b">{escape(y_label)}</text>'
    )
    # the x axis: a label per year (every k-th when crowded)
    every = max(1, math.ceil(len(xs) / 12))
    for i, x in enumerate(xs):
        px = x_of(x)
        out.append(f'<line x1="{px:.1f}" x2="{px:.1f}" y1="{bottom}" y2="{bottom + 5}" stroke="#333"/>')
        if i % every == 0 or i == len(xs) - 1:
            out.append(
                f'<text class="xtick" x="{px:.1f}" y="{bottom + 21}" text-anchor="middle" font-size="13" '
                f'fill="#333">{x}</text>'
            )
            if x_notes:
                out.append(
                    f'<text class="xnote" x="{px:.1f}" y="{bottom + 38}" text-anchor="middle" font-size="11" '
                    f'fill="#5b6470">{escape(x_notes[i])}</text>'
                )
    out.append(
        f'<text class="xlabel" x="{(LEFT + right) / 2:.0f}" y="{bottom + 44 + notes}" '
        f'text-anchor="middle" font-size="14" fill="#1d232b">{escape(x_label)}</text>'
    )
    # the lines, then their points as links
    for n, line in enumerate(lines):
        colour, dash, shape, filled = STYLES[n % len(STYLES)]
        d, pen = [], "M"
        for x, v in zip(xs, line.values):
            if v is None:
                pen = "M"
                continue
            d.append(f"{pen}{x_of(x):.1f} {y_of(v):.1f}")
            pen = "L"
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(f'<g class="series" data-label="{escape(line.label)}">')
        out.append(
            f'<path class="line" d="{" ".join(d)}" fill="none" stroke="{colour}" stroke-width="2.5"'
            f'{dash_attr} stroke-linejoin="round"/>'
        )
        for x, v, link, tip in zip(xs, line.values, line.links, line.tooltips):
            if v is None:
                continue
            mark = _marker(shape, x_of(x), y_of(v), colour, filled)
            hit = f'<circle cx="{x_of(x):.1f}" cy="{y_of(v):.1f}" r="11" fill="transparent"/>'
            body = f"<title>{escape(tip)}</title>{hit}{mark}"
            out.append(
                f'<a class="point" href="{escape(link)}" tabindex="-1">{body}</a>'
                if link
                else f'<g class="point">{body}</g>'
            )
        out.append("</g>")
    # the legend: two columns under the x axis
    column = (right - LEFT) / 2
    for n, line in enumerate(lines):
        colour, dash, shape, filled = STYLES[n % len(STYLES)]
        lx = LEFT + (n % 2) * column
        ly = legend_top + (n // 2) * LEGEND_ROW
        label = line.label if len(line.label) <= LEGEND_CHARS else line.label[: LEGEND_CHARS - 1] + "…"
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(
            f'<g class="legend-item"><title>{escape(line.label)}</title>'
            f'<line x1="{lx:.1f}" x2="{lx + 44:.1f}" y1="{ly:.1f}" y2="{ly:.1f}" stroke="{colour}" '
            f'stroke-width="2.5"{dash_attr}/>{_marker(shape, lx + 22, ly, colour, filled)}'
            f'<text x="{lx + 54:.1f}" y="{ly + 5:.1f}" font-size="14" fill="#1d232b">{escape(label)}</text></g>'
        )
    out.append("</svg>")
    return Markup("\n".join(out))


def _marker(shape: str, x: float, y: float, colour: str, filled: bool, r: float = 5.5) -> str:
    """A marker path centred on (x, y); a hollow one is white inside."""
    if shape == "circle":
        d = f"M{x - r:.1f} {y:.1f}a{r} {r} 0 1 0 {2 * r} 0a{r} {r} 0 1 0 {-2 * r} 0Z"
    elif shape == "square":
        s = r * 0.9
        d = f"M{x - s:.1f} {y - s:.1f}h{2 * s:.1f}v{2 * s:.1f}h{-2 * s:.1f}Z"
    elif shape == "triangle":
        d = f"M{x:.1f} {y - r * 1.2:.1f}L{x + r * 1.1:.1f} {y + r * 0.8:.1f}L{x - r * 1.1:.1f} {y + r * 0.8:.1f}Z"
    elif shape == "down":
        d = f"M{x:.1f} {y + r * 1.2:.1f}L{x + r * 1.1:.1f} {y - r * 0.8:.1f}L{x - r * 1.1:.1f} {y - r * 0.8:.1f}Z"
    elif shape == "diamond":
        d = f"M{x:.1f} {y - r * 1.3:.1f}L{x + r:.1f} {y:.1f}L{x:.1f} {y + r * 1.3:.1f}L{x - r:.1f} {y:.1f}Z"
    else:  # cross
        a, b = r * 0.4, r * 1.1
        d = (
            f"M{x - a:.1f} {y - b:.1f}h{2 * a:.1f}v{b - a:.1f}h{b - a:.1f}v{2 * a:.1f}h{a - b:.1f}"
            f"v{b - a:.1f}h{-2 * a:.1f}v{a - b:.1f}h{a - b:.1f}v{-2 * a:.1f}h{b - a:.1f}Z"
        )
    fill = colour if filled else "#fff"
    return f'<path class="marker" d="{d}" fill="{fill}" stroke="{colour}" stroke-width="1.8"/>'


def swatch(n: int) -> Markup:
    """A small picture of line n's colour, dash and marker, to key a table row to the chart."""
    colour, dash, shape, filled = STYLES[n % len(STYLES)]
    dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
    return Markup(
        f'<svg class="swatch" viewBox="0 0 44 14" aria-hidden="true" focusable="false">'
        f'<line x1="1" x2="43" y1="7" y2="7" stroke="{colour}" stroke-width="2.5"{dash_attr}/>'
        f"{_marker(shape, 22, 7, colour, filled, r=4.5)}</svg>"
    )
