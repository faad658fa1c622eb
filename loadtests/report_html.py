"""The HTML report: scorecard, per-region breakdown and plots over time (inline SVG)."""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, select_autoescape
from markupsafe import Markup

from loadtests.svg import line_chart

TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Load test {{ r.stack }} {{ r.started_at }}</title>
<style>
body { font-family: sans-serif; margin: 2em; }
table { border-collapse: collapse; margin-bottom: 1.5em; }
td, th { border: 1px solid #ccc; padding: 4px 10px; text-align: left; }
.pass { color: #2a7d2a; } .FAIL { color: #c62828; font-weight: bold; } .nodata { color: #888; }
</style></head><body>
<h1>Load test: stack {{ r.stack }} — {{ "PASSED" if r.passed else "FAILED" }}</h1>
<p>host {{ r.host }}, shape {{ r.shape }}, {{ r.started_at }} to {{ r.finished_at }}</p>
<h2>SLA scorecard</h2>
<table><tr><th>threshold</th><th>measured</th><th>result</th></tr>
{% for row in r.scorecard %}<tr><td>{{ row.threshold }}</td><td>{{ row.measured }}</td>
<td class="{{ row.result | replace(' ', '') }}">{{ row.result }}</td></tr>
{% endfor %}</table>
{% if r.region_scorecards | length > 1 %}<h2>By region</h2>
{% for region, rows in r.region_scorecards.items() %}<h3>{{ region }}</h3>
<table><tr><th>threshold</th><th>measured</th><th>result</th></tr>
{% for row in rows %}<tr><td>{{ row.threshold }}</td><td>{{ row.measured }}</td>
<td class="{{ row.result | replace(' ', '') }}">{{ row.result }}</td></tr>{% endfor %}
</table>{% endfor %}{% endif %}
<h2>Over time</h2>
{% for chart in charts %}<div>{{ chart }}</div>{% endfor %}
<h2>Measurements</h2>
<table>{% for name, value in r.measurements | dictsort %}
<tr><td>{{ name }}</td><td>{{ "%.3f" | format(value) }}</td></tr>{% endfor %}</table>
</body></html>
"""


def charts(timeline: list[dict[str, Any]]) -> list[Markup]:
    """Latency percentiles, throughput and hit ratio over time."""
    xs = [float(p["t"]) for p in timeline]

    def column(name: str) -> list[float | None]:
        return [p.get(name) for p in timeline]

    return [
        Markup(
            line_chart(
                "First-byte latency percentiles",
                xs,
                {
                    "p50": column("p50_first_byte"),
                    "p95": column("p95_first_byte"),
                    "p99": column("p99_first_byte"),
                },
                "ms",
            )
        ),
        Markup(
            line_chart(
                "Throughput", xs, {"req/s": column("rps"), "MB/s": column("mb_per_s")}, "per s"
            )
        ),
        Markup(
            line_chart("Edge cache hit ratio", xs, {"hit %": column("hit_ratio")}, "%", y_max=100.0)
        ),
    ]


def render_html(result: dict[str, Any]) -> str:
    env = Environment(autoescape=select_autoescape(default=True))
    return env.from_string(TEMPLATE).render(r=result, charts=charts(result.get("timeline", [])))
