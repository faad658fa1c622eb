"""`MediaMonitoring`: alert topics per severity, the CloudWatch alarms, and a dashboard.

The alarms are `components.alarm_rules.alarm_specs(settings)` rendered to
`cloudwatch.MetricAlarm`: single-metric specs with `statistic` or `extended_statistic`,
metric-math specs with one `metric_queries` entry per metric plus the returned expression.
The period is `max(period_seconds, resolution_seconds)` (CloudWatch cannot evaluate a metric
faster than it is published). Each alarm notifies the topic of its severity on ALARM and on
OK. Origin alarms exist only with a load balancer (non-empty ARN suffixes), the backup alarm
only with a vault name. The dashboard shows one widget per alarm: its metric(s) and the
threshold line.

Topics are KMS-encrypted with `kms_key_arn` (the stack key, whose policy lets CloudWatch
use it); without one, with the stack key's alias `alias/<prefix>-media-<stack>`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components.alarm_rules import (
    BACKUP_VAULT,
    LOAD_BALANCER,
    SEVERITIES,
    TARGET_GROUP,
    AlarmSpec,
    MetricRef,
    alarm_specs,
    resolve_dimensions,
)
from stacks.settings import BucketRole, JobKind, Settings

TYPE_TOKEN = "media-infra:monitoring:MediaMonitoring"
RESULT_ID = "result"


@dataclass(frozen=True)
class MediaMonitoringArgs:
    """Inputs of `MediaMonitoring`."""

    settings: Settings
    """The stack settings: thresholds (`alerts`), names, e-mail endpoints."""
    queues: Mapping[JobKind, aws.sqs.Queue]
    """The job queues (from `MediaProcessing`)."""
    dlqs: Mapping[JobKind, aws.sqs.Queue]
    """Their dead-letter queues."""
    buckets: Mapping[BucketRole, aws.s3.Bucket]
    """The media buckets (from `MediaStorage`)."""
    load_balancer_arn_suffix: pulumi.Input[str] | None
    """The origin ALB's ARN suffix; "" or None: no origin alarms."""
    target_group_arn_suffix: pulumi.Input[str] | None
    """The origin target group's ARN suffix."""
    backup_vault_name: pulumi.Input[str] | None
    """The backup vault; "" or None: no backup alarm."""
    kms_key_arn: pulumi.Input[str] | None = None
    """Key encrypting the topics (the stack key); None: the stack key by its alias."""


# --------------------------------------------------------------------------- pure parts


def cloudwatch_period(spec: AlarmSpec) -> int:
    """The evaluation period CloudWatch can honour for the spec's metric."""
    return max(spec.period_seconds, spec.resolution_seconds)


def available_specs(specs: list[AlarmSpec], placeholders: set[str]) -> list[AlarmSpec]:
    """The specs whose placeholder dimensions can all be filled."""

    def needed(spec: AlarmSpec) -> set[str]:
        dims = [spec.dimensions, *(m.dimensions for m in spec.metrics)]
        return {v for d in dims for v in d.values() if v.startswith("${")}

    return [spec for spec in specs if needed(spec) <= placeholders]


def dashboard_metric(metric: MetricRef, values: Mapping[str, str]) -> list[Any]:
    """One hidden metric line of a math widget."""
    dims = [item for pair in resolve_dimensions(metric.dimensions, values).items() for item in pair]
    options = {"id": metric.id, "stat": metric.stat, "visible": False}
    return [metric.namespace, metric.metric_name, *dims, options]


def dashboard_widget(spec: AlarmSpec, region: str, values: Mapping[str, str]) -> dict[str, Any]:
    """A metric widget with the spec's metric (or expression) and its threshold line."""
    metrics: list[list[Any]]
    if spec.expression is not None:
        expression = {"expression": spec.expression, "label": spec.description, "id": RESULT_ID}
        metrics = [[expression], *(dashboard_metric(m, values) for m in spec.metrics)]
    else:
        dims = resolve_dimensions(spec.dimensions, values)
        stat = spec.extended_statistic or spec.statistic or "Average"
        flat = [item for pair in dims.items() for item in pair]
        metrics = [[spec.namespace, spec.metric_name, *flat, {"stat": stat}]]
    return {
        "type": "metric",
        "width": 8,
        "height": 6,
        "properties": {
            "title": spec.name,
            "region": region,
            "view": "timeSeries",
            "period": cloudwatch_period(spec),
            "metrics": metrics,
            "annotations": {
                "horizontal": [{"label": f"{spec.severity} threshold", "value": spec.threshold}]
            },
        },
    }


def dashboard_body(specs: list[AlarmSpec], region: str, values: Mapping[str, str]) -> str:
    """The dashboard JSON: one widget per alarm, in table order."""
    return json.dumps({"widgets": [dashboard_widget(spec, region, values) for spec in specs]})


def subscription_slug(endpoint: str) -> str:
    """A stable resource-name fragment for an e-mail endpoint."""
    return re.sub(r"[^a-z0-9]+", "-", endpoint.lower()).strip("-")


# --------------------------------------------------------------------------- the component


class MediaMonitoring(pulumi.ComponentResource):
    """Alert topics, CloudWatch alarms from the alarm table, and the dashboard."""

    topics: dict[str, aws.sns.Topic]
    alarms: list[aws.cloudwatch.MetricAlarm]
    dashboard: aws.cloudwatch.Dashboard

    def __init__(
        self, name: str, args: MediaMonitoringArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(TYPE_TOKEN, name, None, opts)
        settings = args.settings
        child = pulumi.ResourceOptions(parent=self)
        key = args.kms_key_arn or f"alias/{settings.resource_name('media')}"

        self.topics = {}
        for severity in SEVERITIES:
            topic = aws.sns.Topic(
                f"{name}-{severity}",
                name=settings.resource_name(f"alerts-{severity}"),
                kms_master_key_id=key,
                opts=child,
            )
            self.topics[severity] = topic
            for endpoint in settings.alerts.email_endpoints.get(severity, ()):
                aws.sns.TopicSubscription(
                    f"{name}-{severity}-email-{subscription_slug(endpoint)}",
                    topic=topic.arn,
                    protocol="email",
                    endpoint=endpoint,
                    opts=child,
                )

        # Physical names resolve to the resources' own outputs: the alarms depend on them.
        refs: dict[str, pulumi.Input[str]] = {
            **{settings.resource_name(k.value): q.name for k, q in args.queues.items()},
            **{settings.resource_name(f"{k.value}-dlq"): q.name for k, q in args.dlqs.items()},
            **{settings.bucket_name(role): b.bucket for role, b in args.buckets.items()},
        }
        if args.load_balancer_arn_suffix and args.target_group_arn_suffix:
            refs[LOAD_BALANCER] = args.load_balancer_arn_suffix
            refs[TARGET_GROUP] = args.target_group_arn_suffix
        if args.backup_vault_name:
            refs[BACKUP_VAULT] = args.backup_vault_name
        specs = available_specs(alarm_specs(settings), set(refs))
        self.alarms = [self._alarm(name, settings, spec, refs) for spec in specs]

        resolved = pulumi.Output.all(*refs.values()).apply(
            lambda values: dict(zip(refs.keys(), (str(v) for v in values), strict=True))
        )
        self.dashboard = aws.cloudwatch.Dashboard(
            f"{name}-dashboard",
            dashboard_name=settings.resource_name("dashboard"),
            dashboard_body=resolved.apply(
                lambda values: dashboard_body(specs, settings.region, values)
            ),
            opts=child,
        )
        self.register_outputs(
            {"topics": self.topics, "alarms": self.alarms, "dashboard": self.dashboard}
        )

    def _alarm(
        self,
        name: str,
        settings: Settings,
        spec: AlarmSpec,
        refs: Mapping[str, pulumi.Input[str]],
    ) -> aws.cloudwatch.MetricAlarm:
        topic = self.topics[spec.severity].arn
        period = cloudwatch_period(spec)
        common: dict[str, Any] = {
            "name": settings.resource_name(spec.name),
            "alarm_description": spec.description,
            "comparison_operator": spec.comparison,
            "threshold": spec.threshold,
            "evaluation_periods": spec.evaluation_periods,
            "treat_missing_data": spec.treat_missing_data,
            "alarm_actions": [topic],
            "ok_actions": [topic],
        }
        if spec.expression is not None:
            queries = [
                aws.cloudwatch.MetricAlarmMetricQueryArgs(
                    id=metric.id,
                    return_data=False,
                    metric=aws.cloudwatch.MetricAlarmMetricQueryMetricArgs(
                        namespace=metric.namespace,
                        metric_name=metric.metric_name,
                        dimensions=_dimensions(metric.dimensions, refs),
                        stat=metric.stat,
                        period=period,
                    ),
                )
                for metric in spec.metrics
            ]
            queries.append(
                aws.cloudwatch.MetricAlarmMetricQueryArgs(
                    id=RESULT_ID, expression=spec.expression, label=spec.unit, return_data=True
                )
            )
            common["metric_queries"] = queries
        else:
            common.update(
                namespace=spec.namespace,
                metric_name=spec.metric_name,
                dimensions=_dimensions(spec.dimensions, refs),
                period=period,
                statistic=spec.statistic,
                extended_statistic=spec.extended_statistic,
            )
        return aws.cloudwatch.MetricAlarm(
            f"{name}-{spec.name}", opts=pulumi.ResourceOptions(parent=self), **common
        )


def _dimensions(
    dimensions: Mapping[str, str], refs: Mapping[str, pulumi.Input[str]]
) -> dict[str, pulumi.Input[str]]:
    return {key: refs.get(value, value) for key, value in dimensions.items()}
