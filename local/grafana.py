"""The Grafana dashboard of the platform's Prometheus metrics, generated from the settings.

Thresholds drawn on the panels are the alert thresholds (`settings.alerts`) and SLAs
(`settings.slas`), so the dashboard and the alert rules cannot disagree.
`python -m local.grafana > monitoring/grafana/media-infra.json` regenerates the committed file.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from stacks.settings import Settings, load_stack

DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}


def _panel(
    panel_id: int,
    title: str,
    targets: list[tuple[str, str]],
    *,
    unit: str,
    threshold: float | None = None,
    position: tuple[int, int] = (0, 0),
    threshold_below: bool = False,
) -> dict[str, Any]:
    steps: list[dict[str, Any]] = [{"color": "green", "value": None}]
    if threshold is not None:
        if threshold_below:
            steps = [{"color": "red", "value": None}, {"color": "green", "value": threshold}]
        else:
            steps.append({"color": "red", "value": threshold})
    x, y = position
    return {
        "id": panel_id,
        "type": "timeseries",
        "title": title,
        "datasource": DATASOURCE,
        "gridPos": {"h": 8, "w": 12, "x": x, "y": y},
        "fieldConfig": {
            "defaults": {
                "unit": unit,
                "thresholds": {"mode": "absolute", "steps": steps},
                "custom": {"thresholdsStyle": {"mode": "line"}},
            },
            "overrides": [],
        },
        "targets": [
            {
                "refId": chr(ord("A") + i),
                "expr": expr,
                "legendFormat": legend,
                "datasource": DATASOURCE,
            }
            for i, (expr, legend) in enumerate(targets)
        ],
    }


def dashboard(settings: Settings) -> dict[str, Any]:
    """The dashboard document (Grafana schema 39)."""
    alerts, slas = settings.alerts, settings.slas
    hits, misses = "rate(edge_cache_hits_total[5m])", "rate(edge_cache_misses_total[5m])"
    latency = "sum by (le) (rate(origin_request_duration_seconds_bucket[5m]))"
    panels = [
        _panel(1, "Edge hit ratio", [(f"100 * {hits} / ({hits} + {misses})", "hit %")],
               unit="percent", threshold=slas.cache_hit_percent, threshold_below=True),
        _panel(2, "Origin pulls (edge misses -> origin)",
               [("rate(edge_cache_backend_requests_total[5m])", "origin pulls/s")],
               unit="reqps", position=(12, 0)),
        _panel(3, "Origin latency", [
            (f"histogram_quantile(0.95, {latency})", "p95"),
            (f"histogram_quantile(0.99, {latency})", "p99"),
        ], unit="s", threshold=alerts.origin_latency_p95_ms / 1000, position=(0, 8)),
        _panel(4, "Origin 5xx rate", [(
            '100 * sum(rate(origin_requests_total{status=~"5.."}[5m]))'
            " / sum(rate(origin_requests_total[5m]))", "5xx %")],
            unit="percent", threshold=alerts.origin_5xx_rate_percent, position=(12, 8)),
        _panel(5, "Queue depth", [
            ('mediainfra_queue_messages{dlq="false"}', "{{queue}} {{state}}")],
            unit="short", position=(0, 16)),
        _panel(6, "Queue backlog age", [
            ('mediainfra_queue_backlog_age_seconds{dlq="false"}', "{{queue}}")],
            unit="s", threshold=alerts.queue_age_seconds, position=(12, 16)),
        _panel(7, "Dead-letter queues", [
            ('mediainfra_queue_messages{dlq="true",state="visible"}', "{{queue}}")],
            unit="short", threshold=alerts.dlq_depth + 0.5, position=(0, 24)),
        _panel(8, "Bucket size", [("mediainfra_bucket_size_bytes", "{{bucket}}")],
               unit="bytes", position=(12, 24)),
        _panel(9, "Uploads", [
            ("rate(mediainfra_uploads_completed_total[5m])", "completed/s"),
            ("sum(rate(mediainfra_uploads_failed_total[5m]))", "failed/s"),
            ("rate(mediainfra_upload_quota_rejections_total[5m])", "quota rejections/s"),
        ], unit="reqps", position=(0, 32)),
        _panel(10, "Bytes delivered and uploaded", [
            ("sum(rate(origin_response_bytes_total[5m]))", "origin out"),
            ("rate(mediainfra_upload_bytes_total[5m])", "uploaded"),
        ], unit="Bps", position=(12, 32)),
        _panel(11, "Per-user watermarked copies", [
            ("sum by (outcome) (rate(origin_watermark_copies_total[5m]))", "{{outcome}}/s"),
        ], unit="reqps", position=(0, 40)),
        _panel(12, "Watermarking time p95", [
            ("histogram_quantile(0.95, sum by (le) (rate(origin_watermark_seconds_bucket[5m])))",
             "p95"),
        ], unit="s", position=(12, 40)),
    ]  # fmt: skip
    return {
        "uid": f"media-infra-{settings.stack}",
        "title": f"media-infra ({settings.stack})",
        "tags": ["media-infra"],
        "schemaVersion": 39,
        "version": 1,
        "editable": True,
        "refresh": "10s",
        "time": {"from": "now-1h", "to": "now"},
        "templating": {
            "list": [
                {
                    "name": "datasource",
                    "type": "datasource",
                    "query": "prometheus",
                    "label": "Prometheus",
                }
            ]
        },
        "panels": panels,
    }


def render(settings: Settings) -> str:
    return json.dumps(dashboard(settings), indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render(load_stack(sys.argv[1] if len(sys.argv) > 1 else "local")))
