"""The alarm table: thresholds, metrics and severities straight from the settings."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from components.alarm_rules import (
    BACKUP_VAULT,
    LOAD_BALANCER,
    TARGET_GROUP,
    AlarmSpec,
    alarm_specs,
    bucket_quota_alarms,
    origin_latency_alarm,
    quota_severity,
    resolve_dimensions,
    storage_types,
)
from stacks.settings import AlertSettings, BucketRole, BucketSettings, JobKind, Settings


def by_name(settings: Settings) -> dict[str, AlarmSpec]:
    specs = alarm_specs(settings)
    names = [spec.name for spec in specs]
    assert len(names) == len(set(names)), "alarm names must be unique"
    return {spec.name: spec for spec in specs}


def test_queue_age_alarm_per_queue(prod_settings: Settings) -> None:
    specs = by_name(prod_settings)
    for kind in JobKind:
        spec = specs[f"queue-age-{kind.value}"]
        assert spec.namespace == "AWS/SQS"
        assert spec.metric_name == "ApproximateAgeOfOldestMessage"
        assert spec.dimensions == {"QueueName": prod_settings.resource_name(kind.value)}
        assert spec.statistic == "Maximum"
        assert spec.threshold == prod_settings.alerts.queue_age_seconds
        assert spec.comparison == "GreaterThanThreshold"
        assert spec.evaluation_periods == prod_settings.alerts.evaluation_periods
        assert spec.severity == "critical"
        assert spec.labels == {"queue": kind.value}


def test_dlq_depth_alarm_per_dlq(prod_settings: Settings) -> None:
    specs = by_name(prod_settings)
    for kind in JobKind:
        spec = specs[f"dlq-depth-{kind.value}"]
        assert spec.metric_name == "ApproximateNumberOfMessagesVisible"
        assert spec.dimensions == {"QueueName": prod_settings.resource_name(f"{kind.value}-dlq")}
        assert spec.threshold == prod_settings.alerts.dlq_depth == 0
        assert spec.fires(1) and not spec.fires(0)


def test_origin_alarms(prod_settings: Settings) -> None:
    specs = by_name(prod_settings)
    rate = specs["origin-5xx-rate"]
    assert rate.is_metric_math and rate.unit == "Percent"
    assert rate.threshold == prod_settings.alerts.origin_5xx_rate_percent
    assert {m.metric_name for m in rate.metrics} == {
        "HTTPCode_Target_5XX_Count",
        "HTTPCode_ELB_5XX_Count",
        "RequestCount",
    }
    assert all(m.dimensions == {"LoadBalancer": LOAD_BALANCER} for m in rate.metrics)
    assert all(m.id in rate.expression for m in rate.metrics if rate.expression)
    p95, p99 = specs["origin-latency-p95"], specs["origin-latency-p99"]
    assert (p95.extended_statistic, p99.extended_statistic) == ("p95", "p99")
    assert p95.statistic is None and p99.statistic is None
    assert p95.threshold == pytest.approx(prod_settings.alerts.origin_latency_p95_ms / 1000)
    assert p99.threshold == pytest.approx(prod_settings.alerts.origin_latency_p99_ms / 1000)
    assert p95.dimensions == {"LoadBalancer": LOAD_BALANCER, "TargetGroup": TARGET_GROUP}


@given(p95=st.integers(1, 10_000), p99=st.integers(1, 10_000))
def test_latency_thresholds_are_the_settings_in_seconds(p95: int, p99: int) -> None:
    alerts = AlertSettings(origin_latency_p95_ms=p95, origin_latency_p99_ms=p99)
    assert origin_latency_alarm(alerts, "p95").threshold * 1000 == pytest.approx(p95)
    assert origin_latency_alarm(alerts, "p99").threshold * 1000 == pytest.approx(p99)
    assert origin_latency_alarm(alerts, "p95").fires(p95 / 1000 + 0.001)
    assert not origin_latency_alarm(alerts, "p95").fires(p95 / 1000)


def test_quota_alarms_at_each_percent(prod_settings: Settings) -> None:
    quota = prod_settings.storage.buckets[BucketRole.MASTERS].quota_bytes
    assert quota is not None
    specs = bucket_quota_alarms(prod_settings, BucketRole.MASTERS)
    assert [s.threshold for s in specs] == [quota * 0.80, quota * 0.90, quota * 0.95]
    assert [s.severity for s in specs] == ["info", "warning", "critical"]
    spec = specs[0]
    assert spec.comparison == "GreaterThanOrEqualToThreshold"
    assert spec.period_seconds == 86400 and spec.resolution_seconds == 86400
    types = {m.dimensions["StorageType"] for m in spec.metrics}
    assert "StandardStorage" in types and "IntelligentTieringFAStorage" in types
    assert "IntelligentTieringDAAStorage" in types
    assert {m.dimensions["BucketName"] for m in spec.metrics} == {
        prod_settings.bucket_name(BucketRole.MASTERS)
    }
    assert spec.expression == "SUM([" + ", ".join(m.id for m in spec.metrics) + "])"
    assert len(spec.metrics) <= 10, "CloudWatch metric-math alarms take at most 10 metrics"


def test_buckets_without_quota_have_no_quota_alarm(prod_settings: Settings) -> None:
    assert bucket_quota_alarms(prod_settings, BucketRole.INCOMING) == []
    names = by_name(prod_settings)
    assert not any(name.startswith("bucket-quota-incoming") for name in names)
    assert "bucket-quota-derivatives-95" in names


def test_storage_types_follow_the_transitions() -> None:
    bucket = BucketSettings.model_validate(
        {
            "transitions": [
                {"days": 30, "storage_class": "STANDARD_IA"},
                {"days": 90, "storage_class": "GLACIER_IR"},
            ]
        }
    )
    assert storage_types(bucket) == (
        "StandardStorage",
        "StandardIAStorage",
        "GlacierInstantRetrievalStorage",
    )


@given(percents=st.lists(st.floats(1, 100), min_size=1, max_size=6, unique=True))
def test_quota_severity_ranks_the_highest_critical(percents: list[float]) -> None:
    ordered = tuple(sorted(percents))
    severities = [quota_severity(p, ordered) for p in ordered]
    assert severities[-1] == "critical"
    if len(ordered) > 1:
        assert severities[-2] == "warning"
    assert all(s == "info" for s in severities[:-2])


def test_backup_failure_alarm(prod_settings: Settings) -> None:
    spec = by_name(prod_settings)["backup-jobs-failed"]
    assert (spec.namespace, spec.metric_name) == ("AWS/Backup", "NumberOfBackupJobsFailed")
    assert spec.threshold == 0 and spec.comparison == "GreaterThanThreshold"
    assert spec.dimensions == {"BackupVaultName": BACKUP_VAULT}
    assert spec.fires(1) and not spec.fires(0)


def test_local_thresholds_come_from_the_local_settings(local_settings: Settings) -> None:
    spec = by_name(local_settings)["queue-age-scan"]
    assert spec.period_seconds == local_settings.alerts.period_seconds == 10
    assert spec.evaluation_periods == 1
    assert spec.resolution_seconds == 60


def test_resolve_dimensions() -> None:
    dims = {"LoadBalancer": LOAD_BALANCER, "TargetGroup": TARGET_GROUP, "Fixed": "x"}
    resolved = resolve_dimensions(dims, {LOAD_BALANCER: "app/a/1", TARGET_GROUP: "targetgroup/t/2"})
    assert resolved == {"LoadBalancer": "app/a/1", "TargetGroup": "targetgroup/t/2", "Fixed": "x"}
    with pytest.raises(KeyError):
        resolve_dimensions({"BackupVaultName": BACKUP_VAULT}, {})


@given(threshold=st.integers(0, 1000), value=st.integers(0, 1000))
def test_fires_is_a_strict_comparison(threshold: int, value: int) -> None:
    spec = AlarmSpec(
        name="x",
        description="x",
        signal="queue_age",
        labels={},
        severity="critical",
        threshold=float(threshold),
        comparison="GreaterThanThreshold",
        period_seconds=60,
        evaluation_periods=1,
        unit="Seconds",
    )
    assert spec.fires(value) == (value > threshold)


def test_no_dlq_depth_alarm_for_a_queue_without_dlq(prod_settings: Settings) -> None:
    queues = dict(prod_settings.processing.queues)
    queues[JobKind.SCAN] = queues[JobKind.SCAN].model_copy(update={"dead_letter": False})
    processing = prod_settings.processing.model_copy(update={"queues": queues})
    specs = by_name(prod_settings.model_copy(update={"processing": processing}))
    assert "queue-age-scan" in specs
    assert "dlq-depth-scan" not in specs
    assert {"dlq-depth-audio", "dlq-depth-image"} <= set(specs)


def test_quota_alarm_percents_are_the_user_quota_notify_percents(prod_settings: Settings) -> None:
    quotas = prod_settings.quotas.model_copy(update={"notify_percents": (50.0, 75.0)})
    settings = prod_settings.model_copy(update={"quotas": quotas})
    quota = settings.storage.buckets[BucketRole.STEMS].quota_bytes
    assert quota is not None
    specs = bucket_quota_alarms(settings, BucketRole.STEMS)
    assert [s.name for s in specs] == ["bucket-quota-stems-50", "bucket-quota-stems-75"]
    assert [s.threshold for s in specs] == [quota * 0.50, quota * 0.75]
    assert [s.severity for s in specs] == ["warning", "critical"]
