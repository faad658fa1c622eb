"""MediaMonitoring under the offline engine: topics, alarms from the alarm table, dashboard."""

from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws
import pytest
from pulumi_records import json_input, named, of_type, run, stand_in_buckets

from components.alarm_rules import alarm_specs
from components.monitoring import MediaMonitoring, MediaMonitoringArgs
from stacks.engine import ResourceRecord
from stacks.settings import BucketRole, JobKind, Settings

KMS_ARN = "arn:aws:kms:eu-west-1:123456789012:key/stand-in"
LB_SUFFIX = "app/origin/50dc6c495c0c9188"
TG_SUFFIX = "targetgroup/origin/73e2d6bc24d8a067"
VAULT = "musicco-media-vault-prod"


def build(
    settings: Settings, *, origin: bool = True, kms: str | None = KMS_ARN
) -> list[ResourceRecord]:
    def program() -> None:
        def queue(role: str) -> aws.sqs.Queue:
            return aws.sqs.Queue(f"stand-in-{role}", name=settings.resource_name(role))

        MediaMonitoring(
            "monitoring",
            MediaMonitoringArgs(
                settings=settings,
                queues={k: queue(k.value) for k in JobKind},
                dlqs={
                    k: queue(f"{k.value}-dlq")
                    for k in JobKind
                    if settings.processing.queues[k].dead_letter
                },
                buckets=stand_in_buckets(settings),
                load_balancer_arn_suffix=pulumi.Output.from_input(LB_SUFFIX) if origin else "",
                target_group_arn_suffix=TG_SUFFIX if origin else "",
                backup_vault_name=VAULT,
                kms_key_arn=kms,
            ),
        )

    return run(settings, program)


@pytest.fixture(scope="module")
def prod(prod_settings: Settings) -> list[ResourceRecord]:
    return build(prod_settings)


def alarms(records: list[ResourceRecord]) -> dict[str, ResourceRecord]:
    return {r.inputs["name"]: r for r in of_type(records, "aws:cloudwatch/metricAlarm:MetricAlarm")}


def topic_arn(records: list[ResourceRecord], severity: str) -> str:
    return named(records, f"monitoring-{severity}").state["arn"]


def test_topics_per_severity_encrypted_with_subscriptions(
    prod: list[ResourceRecord], prod_settings: Settings
) -> None:
    for severity in ("critical", "warning", "info"):
        topic = named(prod, f"monitoring-{severity}")
        assert topic.inputs["name"] == prod_settings.resource_name(f"alerts-{severity}")
        assert topic.inputs["kmsMasterKeyId"] == KMS_ARN
    subscriptions = of_type(prod, "aws:sns/topicSubscription:TopicSubscription")
    assert {
        (s.inputs["topic"], s.inputs["endpoint"], s.inputs["protocol"]) for s in subscriptions
    } == {
        (topic_arn(prod, "critical"), "media-oncall@example.com", "email"),
        (topic_arn(prod, "warning"), "media-platform@example.com", "email"),
    }


def test_every_spec_becomes_an_alarm(prod: list[ResourceRecord], prod_settings: Settings) -> None:
    expected = {prod_settings.resource_name(s.name) for s in alarm_specs(prod_settings)}
    assert set(alarms(prod)) == expected


def test_queue_age_and_dlq_alarms(prod: list[ResourceRecord], prod_settings: Settings) -> None:
    found = alarms(prod)
    for kind in JobKind:
        age = found[prod_settings.resource_name(f"queue-age-{kind.value}")]
        assert age.inputs["metricName"] == "ApproximateAgeOfOldestMessage"
        assert age.inputs["namespace"] == "AWS/SQS"
        assert age.inputs["dimensions"] == {"QueueName": prod_settings.resource_name(kind.value)}
        assert age.inputs["threshold"] == prod_settings.alerts.queue_age_seconds
        assert age.inputs["comparisonOperator"] == "GreaterThanThreshold"
        assert age.inputs["statistic"] == "Maximum"
        assert age.inputs["period"] == 60
        assert age.inputs["evaluationPeriods"] == prod_settings.alerts.evaluation_periods
        assert age.inputs["alarmActions"] == [topic_arn(prod, "critical")]
        assert named(prod, f"stand-in-{kind.value}").urn in age.dependencies
        dlq = found[prod_settings.resource_name(f"dlq-depth-{kind.value}")]
        assert dlq.inputs["dimensions"] == {
            "QueueName": prod_settings.resource_name(f"{kind.value}-dlq")
        }
        assert dlq.inputs["threshold"] == 0
        assert dlq.inputs["alarmActions"] == [topic_arn(prod, "warning")]


def test_origin_alarms(prod: list[ResourceRecord], prod_settings: Settings) -> None:
    found = alarms(prod)
    rate = found[prod_settings.resource_name("origin-5xx-rate")]
    assert rate.inputs["threshold"] == prod_settings.alerts.origin_5xx_rate_percent
    queries = {q["id"]: q for q in rate.inputs["metricQueries"]}
    assert queries["result"]["returnData"] is True
    assert "target5xx" in queries["result"]["expression"]
    assert queries["requests"]["metric"]["metricName"] == "RequestCount"
    assert queries["requests"]["metric"]["dimensions"] == {"LoadBalancer": LB_SUFFIX}
    assert queries["requests"]["returnData"] is False
    assert "metricName" not in rate.inputs
    for percentile, ms in (("p95", 200), ("p99", 500)):
        latency = found[prod_settings.resource_name(f"origin-latency-{percentile}")]
        assert latency.inputs["extendedStatistic"] == percentile
        assert "statistic" not in latency.inputs
        assert latency.inputs["threshold"] == pytest.approx(ms / 1000)
        assert latency.inputs["dimensions"] == {"LoadBalancer": LB_SUFFIX, "TargetGroup": TG_SUFFIX}


def test_quota_and_backup_alarms(prod: list[ResourceRecord], prod_settings: Settings) -> None:
    found = alarms(prod)
    quota = prod_settings.storage.buckets[BucketRole.STEMS].quota_bytes
    assert quota is not None
    for percent, severity in ((80, "info"), (90, "warning"), (95, "critical")):
        alarm = found[prod_settings.resource_name(f"bucket-quota-stems-{percent}")]
        assert alarm.inputs["threshold"] == pytest.approx(quota * percent / 100)
        assert alarm.inputs["alarmActions"] == [topic_arn(prod, severity)]
        sizes = [q for q in alarm.inputs["metricQueries"] if "metric" in q]
        assert all(q["metric"]["period"] == 86400 for q in sizes)
        assert {q["metric"]["dimensions"]["BucketName"] for q in sizes} == {
            prod_settings.bucket_name(BucketRole.STEMS)
        }
    backup = found[prod_settings.resource_name("backup-jobs-failed")]
    assert backup.inputs["namespace"] == "AWS/Backup"
    assert backup.inputs["metricName"] == "NumberOfBackupJobsFailed"
    assert backup.inputs["dimensions"] == {"BackupVaultName": VAULT}
    assert backup.inputs["threshold"] == 0


def test_dashboard_shows_every_alarm(prod: list[ResourceRecord], prod_settings: Settings) -> None:
    (dashboard,) = of_type(prod, "aws:cloudwatch/dashboard:Dashboard")
    body = json_input(dashboard, "dashboardBody")
    titles = [w["properties"]["title"] for w in body["widgets"]]
    assert titles == [s.name for s in alarm_specs(prod_settings)]
    latency = next(w for w in body["widgets"] if w["properties"]["title"] == "origin-latency-p99")
    assert latency["properties"]["metrics"] == [
        [
            "AWS/ApplicationELB",
            "TargetResponseTime",
            "LoadBalancer",
            LB_SUFFIX,
            "TargetGroup",
            TG_SUFFIX,
            {"stat": "p99"},
        ]
    ]
    assert latency["properties"]["annotations"]["horizontal"][0]["value"] == pytest.approx(0.5)
    assert "${" not in json.dumps(body)


def test_without_origin_no_origin_alarms(local_settings: Settings) -> None:
    records = build(local_settings, origin=False, kms=None)
    names = set(alarms(records))
    assert not any("origin-" in name for name in names)
    assert local_settings.resource_name("queue-age-scan") in names
    age = alarms(records)[local_settings.resource_name("queue-age-scan")]
    assert age.inputs["period"] == 60, "CloudWatch cannot evaluate SQS metrics faster"
    topic = named(records, "monitoring-critical")
    assert topic.inputs["kmsMasterKeyId"] == f"alias/{local_settings.resource_name('media')}"


def test_queue_without_dlq_has_an_age_alarm_and_no_depth_alarm(prod_settings: Settings) -> None:
    queues = dict(prod_settings.processing.queues)
    queues[JobKind.IMAGE] = queues[JobKind.IMAGE].model_copy(update={"dead_letter": False})
    processing = prod_settings.processing.model_copy(update={"queues": queues})
    settings = prod_settings.model_copy(update={"processing": processing})
    found = alarms(build(settings))
    assert settings.resource_name("queue-age-image") in found
    assert settings.resource_name("dlq-depth-image") not in found
    assert {settings.resource_name(f"dlq-depth-{k}") for k in ("scan", "audio")} <= set(found)
    dimensions = [a.inputs.get("dimensions") or {} for a in found.values()]
    assert {"QueueName": settings.resource_name("image-dlq")} not in dimensions
