"""`mediainfra analytics report`: the HTML dashboard, its numbers as JSON, a Grafana dashboard.

The HTML has inline SVG plots (no plotting library needed to open it). The Grafana dashboard
shows the same metrics from CloudWatch's daily S3 storage metrics (`AWS/S3`
`BucketSizeBytes` per bucket and storage type, `NumberOfObjects`), for the stack's buckets.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import jinja2

from analytics import svg
from analytics.inventory import StoredObject
from analytics.usage import (
    GIB,
    CostCell,
    Forecast,
    Usage,
    cost_breakdown,
    daily_totals,
    forecast,
    usage_by,
)
from stacks.settings import BucketRole, Settings

TOP = 10
MIN_FORECAST_DAYS = 3
CLOUDWATCH_STORAGE_TYPES = {
    "STANDARD": "StandardStorage",
    "INTELLIGENT_TIERING": "IntelligentTieringFAStorage",
    "STANDARD_IA": "StandardIAStorage",
    "GLACIER_IR": "GlacierInstantRetrievalStorage",
    "GLACIER": "GlacierStorage",
    "DEEP_ARCHIVE": "DeepArchiveStorage",
}


@dataclass(frozen=True)
class AnalyticsSummary:
    """Every number the report shows."""

    source: str
    stack: str
    objects: int
    total_gib: float
    storage_usd_month: float
    by_bucket: list[Usage]
    by_prefix: list[Usage]
    top_users: list[Usage]
    cost: list[CostCell]
    days: list[str]
    daily_bytes: list[int]
    horizon_days: int
    forecast: Forecast | None
    """None when the inventory spans fewer than 3 days (no trend to fit)."""


def summarise(
    objects: list[StoredObject], settings: Settings, source: str, horizon_days: int = 30
) -> AnalyticsSummary:
    """Usage, cost and forecast of an inventory (ValueError if it spans < 3 days)."""
    days, totals = daily_totals(objects)
    cost = cost_breakdown(objects, settings.prices)
    return AnalyticsSummary(
        source=source,
        stack=settings.stack,
        objects=len(objects),
        total_gib=sum(o.size for o in objects) / GIB,
        storage_usd_month=sum(c.usd_month for c in cost),
        by_bucket=usage_by(objects, lambda o: o.bucket),
        by_prefix=usage_by(objects, lambda o: o.prefix)[:TOP],
        top_users=usage_by(objects, lambda o: o.user)[:TOP],
        cost=cost,
        days=[d.isoformat() for d in days],
        daily_bytes=totals,
        horizon_days=horizon_days,
        forecast=forecast(totals, horizon_days) if len(totals) >= MIN_FORECAST_DAYS else None,
    )


def charts(summary: AnalyticsSummary) -> dict[str, str]:
    """The SVG plots of the report."""
    mib = 1024**2
    last = len(summary.daily_bytes) - 1
    fc = summary.forecast
    band = None
    if fc is not None:
        band = (
            [last + d for d in fc.days_ahead],
            [v / mib for v in fc.predicted],
            [v / mib for v in fc.lower],
            [v / mib for v in fc.upper],
        )
    return {
        "growth": svg.line_chart(
            list(range(len(summary.daily_bytes))),
            [v / mib for v in summary.daily_bytes],
            "stored MiB per day with forecast",
            "MiB",
            band=band,
        ),
        "buckets": svg.bar_chart(
            [u.name for u in summary.by_bucket],
            [u.bytes / mib for u in summary.by_bucket],
            "usage by bucket",
            "MiB",
        ),
        "users": svg.bar_chart(
            [u.name for u in summary.top_users],
            [u.bytes / mib for u in summary.top_users],
            "top users by storage",
            "MiB",
        ),
        "cost": svg.bar_chart(
            [f"{c.bucket} {c.storage_class}" for c in summary.cost],
            [c.usd_month for c in summary.cost],
            "monthly storage cost",
            "USD",
        ),
    }


def render_html(summary: AnalyticsSummary) -> str:
    env = jinja2.Environment(loader=jinja2.PackageLoader("analytics", "templates"), autoescape=True)
    plots = {name: jinja2.utils.markupsafe.Markup(text) for name, text in charts(summary).items()}
    return env.get_template("report.html.j2").render(s=summary, charts=plots)


def grafana_dashboard(settings: Settings) -> dict[str, Any]:
    """A Grafana dashboard (CloudWatch data source) of the stack's bucket sizes and objects."""
    buckets = [settings.bucket_name(role) for role in BucketRole]
    size_targets = [
        {
            "refId": f"S{i}",
            "namespace": "AWS/S3",
            "metricName": "BucketSizeBytes",
            "dimensions": {"BucketName": bucket, "StorageType": storage_type},
            "statistic": "Average",
            "period": "86400",
            "region": settings.region,
            "label": f"{bucket} {storage_class}",
        }
        for i, (bucket, (storage_class, storage_type)) in enumerate(
            (b, item) for b in buckets for item in CLOUDWATCH_STORAGE_TYPES.items()
        )
    ]
    objects_targets = [
        {
            "refId": f"N{i}",
            "namespace": "AWS/S3",
            "metricName": "NumberOfObjects",
            "dimensions": {"BucketName": bucket, "StorageType": "AllStorageTypes"},
            "statistic": "Average",
            "period": "86400",
            "region": settings.region,
        }
        for i, bucket in enumerate(buckets)
    ]
    prices = settings.prices.storage_gb_month
    cost_targets = [
        {
            "refId": f"C{i}",
            "datasource": {"type": "__expr__", "uid": "__expr__"},
            "type": "math",
            "expression": f"$S{i} / 1073741824 * {prices[str(target['label']).split()[-1]]}",
        }
        for i, target in enumerate(size_targets)
    ]
    datasource = {"type": "cloudwatch", "uid": "${datasource}"}

    def panel(pid: int, title: str, targets: list[dict[str, Any]], unit: str) -> dict[str, Any]:
        return {
            "id": pid,
            "type": "timeseries",
            "title": title,
            "datasource": datasource,
            "gridPos": {"h": 9, "w": 12, "x": 12 * ((pid - 1) % 2), "y": 9 * ((pid - 1) // 2)},
            "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
            "targets": targets,
        }

    return {
        "title": f"media-infra storage ({settings.stack})",
        "uid": f"media-storage-{settings.stack}",
        "tags": ["media-infra", "storage", settings.stack],
        "timezone": "utc",
        "schemaVersion": 39,
        "time": {"from": "now-90d", "to": "now"},
        "templating": {
            "list": [
                {"name": "datasource", "type": "datasource", "query": "cloudwatch", "current": {}}
            ]
        },
        "panels": [
            panel(1, "Bucket size by storage class", size_targets, "bytes"),
            panel(2, "Objects per bucket", objects_targets, "short"),
            panel(
                3,
                "Storage cost at list prices (USD/month)",
                size_targets + cost_targets,
                "currencyUSD",
            ),
        ],
    }


def write_report(summary: AnalyticsSummary, settings: Settings, out: Path) -> list[Path]:
    """Write index.html, summary.json and grafana-dashboard.json into `out`."""
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / "index.html", out / "summary.json", out / "grafana-dashboard.json"]
    paths[0].write_text(render_html(summary))
    paths[1].write_text(json.dumps(asdict(summary), indent=1))
    paths[2].write_text(json.dumps(grafana_dashboard(settings), indent=1))
    return paths
