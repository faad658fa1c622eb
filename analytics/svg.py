"""Small dependency-free SVG charts for the HTML report: bars and a line with a band."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

WIDTH, HEIGHT = 760, 280
LABELS, LABEL_CHARS = 330, 48
"""x of the bars (labels end left of it) and the longest label shown (its tail)."""
PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 70, 20, 20, 40
COLOURS = ("#3b6ea5", "#e07b39", "#5aa469", "#b84a62", "#8c6bb1", "#c9a227")


def _svg(body: list[str], title: str, height: int = HEIGHT) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {WIDTH} {height}" '
        f'width="{WIDTH}" height="{height}"><title>{escape(title)}</title>'
        + "".join(body)
        + "</svg>"
    )


def bar_chart(labels: Sequence[str], values: Sequence[float], title: str, unit: str) -> str:
    """Horizontal bars, one per label, with the value printed at the bar's end."""
    row = 22
    height = PAD_TOP + row * max(len(labels), 1) + 10
    top = max(max(values, default=0.0), 1e-12)
    span = WIDTH - LABELS - PAD_RIGHT - 90
    body = []
    for index, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = PAD_TOP + index * row
        length = span * value / top
        colour = COLOURS[index % len(COLOURS)]
        body.append(
            f'<text x="{LABELS - 8}" y="{y + 15}" text-anchor="end" font-size="12">'
            f"{escape(label[-LABEL_CHARS:])}</text>"
            f'<rect class="bar" x="{LABELS}" y="{y + 3}" width="{length:.1f}" height="{row - 6}" '
            f'fill="{colour}"/>'
            f'<text x="{LABELS + 5 + length:.1f}" y="{y + 15}" font-size="11">'
            f"{value:,.4g} {unit}</text>"
        )
    return _svg(body, title, height)


def line_chart(
    xs: Sequence[float],
    ys: Sequence[float],
    title: str,
    unit: str,
    band: tuple[Sequence[float], Sequence[float], Sequence[float], Sequence[float]] | None = None,
) -> str:
    """A line of (xs, ys); `band` = (xs, centre, lower, upper) drawn dashed with a shaded area."""
    all_x = list(xs) + (list(band[0]) if band else [])
    all_y = list(ys) + (list(band[3]) + list(band[2]) if band else [])
    x_lo, x_hi = min(all_x), max(all_x)
    y_lo, y_hi = min(0.0, min(all_y)), max(all_y)
    x_span, y_span = (x_hi - x_lo) or 1.0, (y_hi - y_lo) or 1.0
    plot_w = WIDTH - PAD_LEFT - PAD_RIGHT
    plot_h = HEIGHT - PAD_TOP - PAD_BOTTOM

    def point(x: float, y: float) -> str:
        px = PAD_LEFT + plot_w * (x - x_lo) / x_span
        py = PAD_TOP + plot_h * (1 - (y - y_lo) / y_span)
        return f"{px:.1f},{py:.1f}"

    body = [
        f'<line x1="{PAD_LEFT}" y1="{PAD_TOP + plot_h}" x2="{WIDTH - PAD_RIGHT}" '
        f'y2="{PAD_TOP + plot_h}" stroke="#888"/>'
        f'<line x1="{PAD_LEFT}" y1="{PAD_TOP}" x2="{PAD_LEFT}" '
        f'y2="{PAD_TOP + plot_h}" stroke="#888"/>'
    ]
    for fraction in (0.0, 0.5, 1.0):
        value = y_lo + fraction * y_span
        y = PAD_TOP + plot_h * (1 - fraction)
        body.append(
            f'<text x="{PAD_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11">'
            f"{value:,.1f} {unit}</text>"
        )
    if band:
        bx, centre, lower, upper = band
        area = [point(x, y) for x, y in zip(bx, upper, strict=True)]
        area += [point(x, y) for x, y in reversed(list(zip(bx, lower, strict=True)))]
        body.append(
            f'<polygon class="band" points="{" ".join(area)}" fill="#e07b39" opacity="0.2"/>'
        )
        line = " ".join(point(x, y) for x, y in zip(bx, centre, strict=True))
        body.append(
            f'<polyline class="forecast" points="{line}" fill="none" stroke="#e07b39" '
            f'stroke-dasharray="5,4" stroke-width="2"/>'
        )
    line = " ".join(point(x, y) for x, y in zip(xs, ys, strict=True))
    body.append(
        f'<polyline class="series" points="{line}" fill="none" stroke="#3b6ea5" stroke-width="2"/>'
    )
    body.append(
        f'<text x="{PAD_LEFT}" y="{HEIGHT - 10}" font-size="11">day {x_lo:g}</text>'
        f'<text x="{WIDTH - PAD_RIGHT}" y="{HEIGHT - 10}" text-anchor="end" font-size="11">'
        f"day {x_hi:g}</text>"
    )
    return _svg(body, title)
