"""SQS policies: every work queue has a dead-letter queue and an age-of-oldest-message alarm,
every DLQ has a depth alarm, every queue is encrypted."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyResource,
    ReportViolation,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError

from policies import tokens
from policies.resources import (
    as_list,
    document,
    is_set,
    label,
    number,
    of_type,
    referenced,
    resource_check,
)

AGE_METRIC = "ApproximateAgeOfOldestMessage"
DEPTH_METRIC = "ApproximateNumberOfMessagesVisible"
COMPUTED = "<computed during deployment>"


def _redrive(
    queue: PolicyResource, resources: list[PolicyResource]
) -> tuple[dict, PolicyResource | None]:
    """The queue's redrive policy and the resource that carries it (the queue itself, or an
    aws:sqs/redrivePolicy resource); ({}, None) when it has none."""
    try:
        inline = document(queue.props.get("redrivePolicy"))
    except UnknownValueError:  # a preview: the JSON embeds the DLQ's ARN, not known yet
        return {"deadLetterTargetArn": COMPUTED}, queue
    if inline:
        return dict(inline), queue
    queues = of_type(resources, tokens.SQS_QUEUE)
    for attached in of_type(resources, tokens.SQS_REDRIVE_POLICY):
        if queue in referenced(attached, "queueUrl", queues):
            return dict(document(attached.props.get("redrivePolicy"))), attached
    return {}, None


def dead_letter_queues(resources: list[PolicyResource]) -> list[PolicyResource]:
    """The queues some other queue's redrive policy sends to (by ARN, else by dependency)."""
    queues = of_type(resources, tokens.SQS_QUEUE)
    dlqs: list[PolicyResource] = []
    for queue in queues:
        redrive, carrier = _redrive(queue, resources)
        if carrier is None:
            continue
        others = [q for q in queues if q is not queue]
        target = str(redrive.get("deadLetterTargetArn") or "")
        by_arn = [
            q for q in others if q.props.get("name") and target.endswith(f":{q.props['name']}")
        ]
        for dlq in by_arn or referenced(carrier, "redrivePolicy", others):
            if dlq not in dlqs:
                dlqs.append(dlq)
    return dlqs


def _known_str(mapping: Any, key: str) -> str | None:
    """A string input, or None when missing, empty or unknown (a preview)."""
    try:
        value = (mapping or {}).get(key)
    except UnknownValueError:
        return None
    return value if isinstance(value, str) and value else None


def _metrics(alarm: PolicyResource) -> Iterator[tuple[str | None, str | None]]:
    """(metric name, QueueName dimension) of an alarm, its metric queries included."""
    props = alarm.props
    yield _known_str(props, "metricName"), _known_str(props.get("dimensions"), "QueueName")
    for query in as_list(props.get("metricQueries")):
        metric = query.get("metric") or {}
        yield _known_str(metric, "metricName"), _known_str(metric.get("dimensions"), "QueueName")


def _alarmed(queue: PolicyResource, metric: str, alarms: list[PolicyResource]) -> bool:
    """Whether an alarm watches `metric` of `queue`: by its QueueName dimension when both
    names are known, else by the alarm depending on the queue."""
    name = _known_str(queue.props, "name")
    for alarm in alarms:
        for metric_name, queue_name in _metrics(alarm):
            if metric_name != metric:
                continue
            if queue_name is not None and name is not None:
                if queue_name == name:
                    return True
            elif queue in alarm.dependencies:
                return True
    return False


def _queue_has_dlq(args: StackValidationArgs, report: ReportViolation) -> None:
    resources = list(args.resources)
    dlqs = dead_letter_queues(resources)
    max_receives = number(args.get_config().get("maxReceiveCount", 10)) or 10.0
    for queue in of_type(resources, tokens.SQS_QUEUE):
        if queue in dlqs:
            continue
        redrive, _ = _redrive(queue, resources)
        if not redrive.get("deadLetterTargetArn"):
            report(f"queue {label(queue)} has no dead-letter queue (redrive policy)", queue.urn)
            continue
        count = number(redrive.get("maxReceiveCount"))
        if redrive["deadLetterTargetArn"] == COMPUTED:
            continue
        if count is None or count > max_receives:
            report(
                f"queue {label(queue)} retries a message {count} times before the DLQ "
                f"(max {max_receives:g})",
                queue.urn,
            )


def _queue_age_alarm(args: StackValidationArgs, report: ReportViolation) -> None:
    resources = list(args.resources)
    dlqs = dead_letter_queues(resources)
    alarms = of_type(resources, tokens.CLOUDWATCH_ALARM)
    for queue in of_type(resources, tokens.SQS_QUEUE):
        if queue not in dlqs and not _alarmed(queue, AGE_METRIC, alarms):
            report(f"queue {label(queue)} has no {AGE_METRIC} alarm", queue.urn)


def _dlq_depth_alarm(args: StackValidationArgs, report: ReportViolation) -> None:
    resources = list(args.resources)
    alarms = of_type(resources, tokens.CLOUDWATCH_ALARM)
    for dlq in dead_letter_queues(resources):
        if not _alarmed(dlq, DEPTH_METRIC, alarms):
            report(f"dead-letter queue {label(dlq)} has no {DEPTH_METRIC} alarm", dlq.urn)


POLICIES = [
    StackValidationPolicy(
        name="sqs-queue-has-dlq",
        description="Every queue that is not itself a dead-letter queue has a redrive policy to a "
        "DLQ with maxReceiveCount <= maxReceiveCount (default 10).",
        validate=_queue_has_dlq,
        enforcement_level=EnforcementLevel.MANDATORY,
    ),
    StackValidationPolicy(
        name="sqs-queue-age-alarm",
        description=f"Every work queue has a CloudWatch alarm on {AGE_METRIC} (queue-wait SLA).",
        validate=_queue_age_alarm,
        enforcement_level=EnforcementLevel.MANDATORY,
    ),
    StackValidationPolicy(
        name="sqs-dlq-depth-alarm",
        description=f"Every dead-letter queue has a CloudWatch alarm on {DEPTH_METRIC}.",
        validate=_dlq_depth_alarm,
        enforcement_level=EnforcementLevel.MANDATORY,
    ),
    ResourceValidationPolicy(
        name="sqs-queue-encrypted",
        description="Queues are encrypted at rest (KMS or SQS-managed SSE).",
        validate=resource_check(
            tokens.SQS_QUEUE,
            lambda a: (
                is_set(a.props, "kmsMasterKeyId") or a.props.get("sqsManagedSseEnabled") is True
            ),
            "queue {name} is not encrypted at rest (no KMS key, no SQS-managed SSE)",
        ),
        enforcement_level=EnforcementLevel.MANDATORY,
    ),
]
