"""Prometheus alert rules and Alertmanager routing for the local stack.

The rules come from the same neutral alarm table as the CloudWatch alarms
(`components.alarm_rules.alarm_specs`, pure, no Pulumi): each spec's `signal` maps to a
PromQL expression over the metrics the local stack exposes (origin, exporter), with the
spec's threshold, comparison and severity. Signals without a local source (AWS Backup) are
returned as skipped. Two extra rules watch the edge: hit ratio below its SLA, and origin
pulls spiking.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import yaml

from components.alarm_rules import COMPARISON_SYMBOLS, AlarmSpec, alarm_specs
from stacks.settings import Settings

LOCAL_SKIPPED_SIGNALS = {"backup_jobs_failed": "AWS Backup is not emulated locally"}


@dataclass(frozen=True)
class PrometheusRules:
    """The rule file document and the alarms it could not express locally."""

    document: dict[str, object]
    skipped: dict[str, str]


def _selector(labels: Mapping[str, str]) -> str:
    return "{" + ",".join(f'{k}="{v}"' for k, v in labels.items()) + "}"


def promql(spec: AlarmSpec) -> str | None:
    """The PromQL of one alarm's value (before the comparison), or None without a source."""
    labels = spec.labels
    if spec.signal == "queue_age":
        selector = _selector({"queue": labels["queue"], "dlq": "false"})
        return f"max(mediainfra_queue_backlog_age_seconds{selector})"
    if spec.signal == "dlq_depth":
        selector = _selector({"queue": labels["queue"], "dlq": "true", "state": "visible"})
        return f"max(mediainfra_queue_messages{selector})"
    if spec.signal == "origin_5xx_rate":
        window = f"{max(spec.period_seconds, 30)}s"
        errors = f'sum(rate(origin_requests_total{{status=~"5.."}}[{window}]))'
        total = f"sum(rate(origin_requests_total[{window}]))"
        return f"100 * {errors} / clamp_min({total}, 1e-9)"
    if spec.signal == "origin_latency":
        quantile = int(labels["percentile"].lstrip("p")) / 100
        window = f"{max(spec.period_seconds, 30)}s"
        buckets = f"sum by (le) (rate(origin_request_duration_seconds_bucket[{window}]))"
        return f"histogram_quantile({quantile}, {buckets})"
    if spec.signal == "bucket_size":
        return f"max(mediainfra_bucket_size_bytes{_selector({'bucket': labels['bucket']})})"
    return None


def _for(spec: AlarmSpec) -> str:
    seconds = spec.period_seconds * spec.evaluation_periods
    return f"{seconds}s" if seconds < 3600 else "0s"


def alert_rule(spec: AlarmSpec, stack: str) -> dict[str, object] | None:
    expression = promql(spec)
    if expression is None:
        return None
    symbol = COMPARISON_SYMBOLS[spec.comparison]
    return {
        "alert": spec.name,
        "expr": f"{expression} {symbol} {spec.threshold:g}",
        "for": _for(spec),
        "labels": {"severity": spec.severity, "stack": stack, "signal": spec.signal},
        "annotations": {"summary": spec.description},
    }


def edge_hit_ratio_rule(settings: Settings) -> dict[str, object]:
    """Edge hit ratio below the SLA over 5 minutes (only with real traffic: > 20 requests)."""
    hits = "increase(edge_cache_hits_total[5m])"
    lookups = f"({hits} + increase(edge_cache_misses_total[5m]))"
    threshold = settings.alerts.edge_hit_ratio_percent
    return {
        "alert": "edge-hit-ratio",
        "expr": f"(100 * {hits} / clamp_min({lookups}, 1) < {threshold:g}) and {lookups} > 20",
        "for": "1m",
        "labels": {"severity": "warning", "stack": settings.stack, "signal": "edge_hit_ratio"},
        "annotations": {"summary": f"Edge hit ratio below {threshold:g}%"},
    }


MISS_SPIKE_FACTOR = 3.0
"""Edge misses (origin pulls) per second over 1 m this many times the 15 m rate: a spike."""
MISS_SPIKE_MIN_PER_SECOND = 5.0
"""...and at least this many per second, so an idle edge does not page anyone."""


def edge_miss_spike_rule(settings: Settings) -> dict[str, object]:
    """Origin pulls spiking: a purge storm, a cold edge, or a cache key that stopped matching."""
    recent = "rate(edge_cache_backend_requests_total[1m])"
    baseline = "rate(edge_cache_backend_requests_total[15m])"
    return {
        "alert": "edge-miss-spike",
        "expr": f"{recent} > {MISS_SPIKE_FACTOR:g} * {baseline} "
        f"and {recent} > {MISS_SPIKE_MIN_PER_SECOND:g}",
        "for": "1m",
        "labels": {"severity": "warning", "stack": settings.stack, "signal": "edge_miss_spike"},
        "annotations": {"summary": "Origin pulls from the edge spiking"},
    }


def prometheus_rules(settings: Settings) -> PrometheusRules:
    """All local alert rules of a stack, one group."""
    rules: list[dict[str, object]] = []
    skipped: dict[str, str] = {}
    for spec in alarm_specs(settings):
        rule = alert_rule(spec, settings.stack)
        if rule is None:
            skipped[spec.name] = LOCAL_SKIPPED_SIGNALS.get(spec.signal, "no local metric")
        else:
            rules.append(rule)
    rules.append(edge_hit_ratio_rule(settings))
    rules.append(edge_miss_spike_rule(settings))
    document: dict[str, object] = {
        "groups": [{"name": f"media-infra-{settings.stack}", "rules": rules}]
    }
    return PrometheusRules(document, skipped)


def prometheus_config(
    *, rules_file: str, alertmanager: str, targets: Mapping[str, str], interval_seconds: int = 2
) -> dict[str, object]:
    """prometheus.yml: scrape each `job -> host:port`, evaluate the rules, alert Alertmanager."""
    return {
        "global": {
            "scrape_interval": f"{interval_seconds}s",
            "evaluation_interval": f"{interval_seconds}s",
        },
        "rule_files": [rules_file],
        "alerting": {"alertmanagers": [{"static_configs": [{"targets": [alertmanager]}]}]},
        "scrape_configs": [
            {"job_name": job, "static_configs": [{"targets": [target]}]}
            for job, target in targets.items()
        ],
    }


def alertmanager_config(webhook_url: str) -> dict[str, object]:
    """alertmanager.yml: everything to the local webhook receiver, quickly."""
    return {
        "route": {
            "receiver": "local-webhook",
            "group_by": ["alertname"],
            "group_wait": "1s",
            "group_interval": "5s",
            "repeat_interval": "1h",
        },
        "receivers": [
            {
                "name": "local-webhook",
                "webhook_configs": [{"url": webhook_url, "send_resolved": True}],
            }
        ],
    }


def dump(document: Mapping[str, object]) -> str:
    return yaml.safe_dump(dict(document), sort_keys=False)
