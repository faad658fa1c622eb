"""Alarm thresholds as neutral specs, rendered to CloudWatch here and to Prometheus locally.

`alarm_specs(settings)` is the whole alarm table of a stack. Each `AlarmSpec` says, without
any Pulumi or CloudWatch object in it:

- WHAT is watched, twice over: `signal` + `labels` (engine-neutral: `queue_age` with
  `{"queue": "scan"}`) for renderers that have their own metric names (Prometheus), and the
  CloudWatch metric (`namespace`, `metric_name`, `dimensions`, `statistic` or
  `extended_statistic`, or metric math: `expression` over `metrics`);
- WHEN it fires: `value <comparison> threshold` over `evaluation_periods` consecutive windows
  of `period_seconds`. `threshold` is in the metric's own unit (`unit`); `comparison` is a
  CloudWatch operator name, `COMPARISON_SYMBOLS` gives the PromQL symbol;
- WHO hears it: `severity` (`critical`, `warning`, `info`) picks the alerts topic / receiver.

Dimension values that only exist once resources do (the ALB's ARN suffix, the backup vault's
name) are `Placeholder` strings such as `"${load_balancer}"`; a renderer substitutes them
(`resolve_dimensions`). Names of queues and buckets are known from the settings and filled
in. `resolution_seconds` is the metric's native CloudWatch granularity: the CloudWatch
renderer uses `max(period_seconds, resolution_seconds)`, a local renderer may use
`period_seconds` as is (the local stack alerts within seconds).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from stacks.settings import AlertSettings, BucketRole, BucketSettings, JobKind, Settings

Severity = Literal["critical", "warning", "info"]
SEVERITIES: tuple[Severity, ...] = ("critical", "warning", "info")

Comparison = Literal[
    "GreaterThanThreshold",
    "GreaterThanOrEqualToThreshold",
    "LessThanThreshold",
    "LessThanOrEqualToThreshold",
]
COMPARISON_SYMBOLS: Mapping[str, str] = {
    "GreaterThanThreshold": ">",
    "GreaterThanOrEqualToThreshold": ">=",
    "LessThanThreshold": "<",
    "LessThanOrEqualToThreshold": "<=",
}

LOAD_BALANCER = "${load_balancer}"
"""Placeholder: the ALB's ARN suffix (CloudWatch dimension `LoadBalancer`)."""
TARGET_GROUP = "${target_group}"
"""Placeholder: the origin target group's ARN suffix (dimension `TargetGroup`)."""
BACKUP_VAULT = "${backup_vault}"
"""Placeholder: the backup vault's name (dimension `BackupVaultName`)."""
PLACEHOLDERS = (LOAD_BALANCER, TARGET_GROUP, BACKUP_VAULT)

DAY_SECONDS = 86400

STORAGE_TYPES: Mapping[str, tuple[str, ...]] = {
    "STANDARD": ("StandardStorage",),
    "STANDARD_IA": ("StandardIAStorage",),
    "ONEZONE_IA": ("OneZoneIAStorage",),
    "INTELLIGENT_TIERING": (
        "IntelligentTieringFAStorage",
        "IntelligentTieringIAStorage",
        "IntelligentTieringAIAStorage",
    ),
    "GLACIER_IR": ("GlacierInstantRetrievalStorage",),
    "GLACIER": ("GlacierStorage",),
    "DEEP_ARCHIVE": ("DeepArchiveStorage",),
}
"""S3 storage class -> the `StorageType` dimensions its bytes are reported under."""
ARCHIVE_TIER_TYPES = ("IntelligentTieringAAStorage", "IntelligentTieringDAAStorage")


@dataclass(frozen=True)
class MetricRef:
    """One metric of a metric-math alarm, referred to by `id` in the expression."""

    id: str
    namespace: str
    metric_name: str
    dimensions: Mapping[str, str]
    stat: str
    """CloudWatch statistic of the metric: `Sum`, `Maximum`, `Average`, `p95`..."""


@dataclass(frozen=True)
class AlarmSpec:
    """One alarm, engine-neutral (see the module docstring for the format)."""

    name: str
    """Stable kebab-case name, unique in the stack (`queue-age-scan`)."""
    description: str
    signal: str
    """What is measured, engine-neutral: `queue_age`, `dlq_depth`, `origin_5xx_rate`,
    `origin_latency`, `bucket_size`, `backup_jobs_failed`."""
    labels: Mapping[str, str]
    """Engine-neutral qualifiers of the signal (`queue`, `bucket`, `percentile`)."""
    severity: Severity
    threshold: float
    comparison: Comparison
    period_seconds: int
    evaluation_periods: int
    unit: str
    """Unit of the metric and the threshold: `Seconds`, `Count`, `Percent`, `Bytes`."""
    namespace: str = ""
    metric_name: str = ""
    dimensions: Mapping[str, str] = field(default_factory=dict)
    statistic: str | None = None
    """CloudWatch statistic (`Maximum`, `Sum`, ...); None with `extended_statistic` or math."""
    extended_statistic: str | None = None
    """A percentile such as `p95`; None otherwise."""
    expression: str | None = None
    """Metric math over `metrics`; None for a single-metric alarm."""
    metrics: tuple[MetricRef, ...] = ()
    resolution_seconds: int = 60
    treat_missing_data: Literal["missing", "notBreaching", "breaching", "ignore"] = "notBreaching"

    @property
    def is_metric_math(self) -> bool:
        return self.expression is not None

    def fires(self, value: float) -> bool:
        """Whether one evaluation window with `value` breaches the threshold."""
        operator = COMPARISON_SYMBOLS[self.comparison]
        return {
            ">": value > self.threshold,
            ">=": value >= self.threshold,
            "<": value < self.threshold,
            "<=": value <= self.threshold,
        }[operator]


def resolve_dimensions(dimensions: Mapping[str, str], values: Mapping[str, str]) -> dict[str, str]:
    """Dimensions with each placeholder replaced by `values[placeholder]` (KeyError if missing)."""
    return {key: values[v] if v in PLACEHOLDERS else v for key, v in dimensions.items()}


# --------------------------------------------------------------------------- queues


def queue_age_alarm(settings: Settings, kind: JobKind) -> AlarmSpec:
    """Oldest message older than the queue-wait threshold: the queue-wait SLA at risk."""
    alerts = settings.alerts
    queue = settings.resource_name(kind.value)
    return AlarmSpec(
        name=f"queue-age-{kind.value}",
        description=f"Oldest message in {queue} older than {alerts.queue_age_seconds}s",
        signal="queue_age",
        labels={"queue": kind.value},
        severity="critical",
        threshold=float(alerts.queue_age_seconds),
        comparison="GreaterThanThreshold",
        period_seconds=alerts.period_seconds,
        evaluation_periods=alerts.evaluation_periods,
        unit="Seconds",
        namespace="AWS/SQS",
        metric_name="ApproximateAgeOfOldestMessage",
        dimensions={"QueueName": queue},
        statistic="Maximum",
    )


def dlq_depth_alarm(settings: Settings, kind: JobKind) -> AlarmSpec:
    """Messages in a dead-letter queue: jobs that failed every attempt."""
    alerts = settings.alerts
    queue = settings.resource_name(f"{kind.value}-dlq")
    return AlarmSpec(
        name=f"dlq-depth-{kind.value}",
        description=f"{queue} holds more than {alerts.dlq_depth} messages",
        signal="dlq_depth",
        labels={"queue": kind.value},
        severity="warning",
        threshold=float(alerts.dlq_depth),
        comparison="GreaterThanThreshold",
        period_seconds=alerts.period_seconds,
        evaluation_periods=1,
        unit="Count",
        namespace="AWS/SQS",
        metric_name="ApproximateNumberOfMessagesVisible",
        dimensions={"QueueName": queue},
        statistic="Maximum",
    )


# --------------------------------------------------------------------------- origin


def origin_5xx_alarm(alerts: AlertSettings) -> AlarmSpec:
    """Share of origin requests answered 5xx (by the targets or the ALB itself), in percent."""

    def count(metric_id: str, metric_name: str) -> MetricRef:
        return MetricRef(
            id=metric_id,
            namespace="AWS/ApplicationELB",
            metric_name=metric_name,
            dimensions={"LoadBalancer": LOAD_BALANCER},
            stat="Sum",
        )

    return AlarmSpec(
        name="origin-5xx-rate",
        description=f"Origin 5xx rate above {alerts.origin_5xx_rate_percent}%",
        signal="origin_5xx_rate",
        labels={},
        severity="critical",
        threshold=float(alerts.origin_5xx_rate_percent),
        comparison="GreaterThanThreshold",
        period_seconds=alerts.period_seconds,
        evaluation_periods=alerts.evaluation_periods,
        unit="Percent",
        expression="100 * (FILL(target5xx, 0) + FILL(elb5xx, 0)) / requests",
        metrics=(
            count("target5xx", "HTTPCode_Target_5XX_Count"),
            count("elb5xx", "HTTPCode_ELB_5XX_Count"),
            count("requests", "RequestCount"),
        ),
    )


def origin_latency_alarm(alerts: AlertSettings, percentile: Literal["p95", "p99"]) -> AlarmSpec:
    """Target response time percentile above the threshold (CloudWatch reports seconds)."""
    threshold_ms = (
        alerts.origin_latency_p95_ms if percentile == "p95" else alerts.origin_latency_p99_ms
    )
    return AlarmSpec(
        name=f"origin-latency-{percentile}",
        description=f"Origin {percentile} response time above {threshold_ms} ms",
        signal="origin_latency",
        labels={"percentile": percentile},
        severity="warning" if percentile == "p95" else "critical",
        threshold=threshold_ms / 1000.0,
        comparison="GreaterThanThreshold",
        period_seconds=alerts.period_seconds,
        evaluation_periods=alerts.evaluation_periods,
        unit="Seconds",
        namespace="AWS/ApplicationELB",
        metric_name="TargetResponseTime",
        dimensions={"LoadBalancer": LOAD_BALANCER, "TargetGroup": TARGET_GROUP},
        extended_statistic=percentile,
    )


# --------------------------------------------------------------------------- storage


def storage_types(bucket: BucketSettings) -> tuple[str, ...]:
    """The `StorageType` dimensions a bucket's bytes can be reported under."""
    types = list(STORAGE_TYPES["STANDARD"])
    for transition in bucket.transitions:
        types.extend(STORAGE_TYPES[transition.storage_class])
    if bucket.intelligent_tiering is not None:
        types.extend(ARCHIVE_TIER_TYPES)
    return tuple(dict.fromkeys(types))


def quota_severity(percent: float, percents: tuple[float, ...]) -> Severity:
    """The highest quota percent is critical, the next warning, lower ones info."""
    ranked = sorted(set(percents), reverse=True)
    position = ranked.index(percent)
    return SEVERITIES[min(position, len(SEVERITIES) - 1)]


def bucket_quota_alarms(settings: Settings, role: BucketRole) -> list[AlarmSpec]:
    """Bucket size (all storage types summed) at each quota percent; none without a quota."""
    bucket = settings.storage.buckets[role]
    if bucket.quota_bytes is None:
        return []
    name = settings.bucket_name(role)
    metrics = tuple(
        MetricRef(
            id=f"size{index}",
            namespace="AWS/S3",
            metric_name="BucketSizeBytes",
            dimensions={"BucketName": name, "StorageType": storage_type},
            stat="Average",
        )
        for index, storage_type in enumerate(storage_types(bucket))
    )
    expression = "SUM([" + ", ".join(m.id for m in metrics) + "])"
    percents = settings.quotas.notify_percents
    return [
        AlarmSpec(
            name=f"bucket-quota-{role.value}-{percent:g}",
            description=f"{name} above {percent:g}% of its {bucket.quota_bytes} byte quota",
            signal="bucket_size",
            labels={"bucket": role.value, "percent": f"{percent:g}"},
            severity=quota_severity(percent, percents),
            threshold=float(bucket.quota_bytes * percent / 100.0),
            comparison="GreaterThanOrEqualToThreshold",
            period_seconds=DAY_SECONDS,
            evaluation_periods=1,
            unit="Bytes",
            expression=expression,
            metrics=metrics,
            resolution_seconds=DAY_SECONDS,
        )
        for percent in percents
    ]


# --------------------------------------------------------------------------- backup


def backup_failed_alarm(alerts: AlertSettings) -> AlarmSpec:
    """Any failed backup job in the vault."""
    return AlarmSpec(
        name="backup-jobs-failed",
        description="An AWS Backup job failed",
        signal="backup_jobs_failed",
        labels={},
        severity="critical",
        threshold=0.0,
        comparison="GreaterThanThreshold",
        period_seconds=max(alerts.period_seconds, 300),
        evaluation_periods=1,
        unit="Count",
        namespace="AWS/Backup",
        metric_name="NumberOfBackupJobsFailed",
        dimensions={"BackupVaultName": BACKUP_VAULT},
        statistic="Sum",
        resolution_seconds=300,
    )


# --------------------------------------------------------------------------- the table


def queue_alarms(settings: Settings) -> list[AlarmSpec]:
    """Queue age for every job kind, DLQ depth for every kind whose queue has a DLQ."""
    specs: list[AlarmSpec] = []
    for kind in JobKind:
        specs.append(queue_age_alarm(settings, kind))
        if settings.processing.queues[kind].dead_letter:
            specs.append(dlq_depth_alarm(settings, kind))
    return specs


def origin_alarms(alerts: AlertSettings) -> list[AlarmSpec]:
    """5xx rate and latency p95/p99 of the origin load balancer."""
    return [
        origin_5xx_alarm(alerts),
        origin_latency_alarm(alerts, "p95"),
        origin_latency_alarm(alerts, "p99"),
    ]


def storage_alarms(settings: Settings) -> list[AlarmSpec]:
    """Quota alarms of every bucket that has a quota."""
    return [spec for role in BucketRole for spec in bucket_quota_alarms(settings, role)]


def alarm_specs(settings: Settings) -> list[AlarmSpec]:
    """Every alarm of a stack, in a stable order."""
    return [
        *queue_alarms(settings),
        *origin_alarms(settings.alerts),
        *storage_alarms(settings),
        backup_failed_alarm(settings.alerts),
    ]
