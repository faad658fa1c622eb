"""Line charts as inline SVG (matplotlib is not installed on these machines)."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e")


def _ticks(low: float, high: float, count: int = 5) -> list[float]:
    if high <= low:
        return [low]
    step = (high - low) / (count - 1)
    return [low + i * step for i in range(count)]


def line_chart(
    title: str,
    xs: Sequence[float],
    series: dict[str, Sequence[float | None]],
    y_label: str,
    width: int = 640,
    height: int = 260,
    y_max: float | None = None,
) -> str:
    """An SVG line chart of named series over `xs` (None values leave gaps)."""
    left, right, top, bottom = 72, 20, 30, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [v for ys in series.values() for v in ys if v is not None]
    x_low, x_high = (min(xs), max(xs)) if xs else (0.0, 1.0)
    y_high = max(values) * 1.1 if values and max(values) > 0 else 1.0
    if y_max is not None:
        y_high = y_max
    x_span = (x_high - x_low) or 1.0

    def sx(x: float) -> float:
        return left + (x - x_low) / x_span * plot_w

    def sy(y: float) -> float:
        return top + plot_h - y / y_high * plot_h

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'role="img" aria-label="{escape(title)}">',
        f'<text x="{left}" y="18" font-size="14" font-weight="bold">{escape(title)}</text>',
        f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="none" '
        'stroke="#999"/>',
    ]
    for tick in _ticks(0.0, y_high):
        y = sy(tick)
        parts.append(
            f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}" stroke="#eee"/>'
        )
        parts.append(
            f'<text x="{left - 6}" y="{y + 4:.1f}" font-size="10" '
            f'text-anchor="end">{tick:.4g}</text>'
        )
    for tick in _ticks(x_low, x_high):
        parts.append(
            f'<text x="{sx(tick):.1f}" y="{top + plot_h + 14}" font-size="10" '
            f'text-anchor="middle">{tick:.0f}s</text>'
        )
    parts.append(
        f'<text x="12" y="{top + plot_h / 2:.0f}" font-size="11" '
        f'transform="rotate(-90 12 {top + plot_h / 2:.0f})" '
        f'text-anchor="middle">{escape(y_label)}</text>'
    )
    for index, (name, ys) in enumerate(series.items()):
        colour = PALETTE[index % len(PALETTE)]
        segments: list[list[str]] = [[]]
        for x, y in zip(xs, ys, strict=False):
            if y is None:
                segments.append([])
            else:
                segments[-1].append(f"{sx(x):.1f},{sy(y):.1f}")
        for points in segments:
            if len(points) == 1:
                x_, y_ = points[0].split(",")
                parts.append(f'<circle cx="{x_}" cy="{y_}" r="2" fill="{colour}"/>')
            elif points:
                parts.append(
                    f'<polyline fill="none" stroke="{colour}" stroke-width="2" '
                    f'points="{" ".join(points)}"/>'
                )
        legend_x = left + 10 + index * 120
        parts.append(
            f'<rect x="{legend_x}" y="{height - 14}" width="10" height="10" fill="{colour}"/>'
        )
        parts.append(
            f'<text x="{legend_x + 14}" y="{height - 5}" font-size="11">{escape(name)}</text>'
        )
    parts.append("</svg>")
    return "\n".join(parts)
