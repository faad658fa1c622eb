"""Create the ingest resources of a stack on a bare AWS endpoint (moto) for tests and benches.

In a real stack these come from the Pulumi components; this mirrors the parts the pipeline
touches: buckets (incoming versioned, sending `ObjectCreated` events to the scan queue),
queues with DLQs and redrive, the `content-refs` and `jobs` tables, the uploads API's
`quotas` table, and the alert topics.
"""

from __future__ import annotations

import json
from typing import Any

from stacks.settings import BucketRole, JobKind, Settings
from workers.dedup.tables import ensure_table
from workers.pipeline.clients import AwsClients

ALERT_SEVERITIES = ("critical", "warning", "info")


def bootstrap(settings: Settings, clients: AwsClients) -> dict[str, Any]:
    """Create everything (idempotent); returns queue URLs and topic ARNs by name."""
    for role in BucketRole:
        _bucket(clients.s3, settings.bucket_name(role), settings.region)
    clients.s3.put_bucket_versioning(
        Bucket=settings.bucket_name(BucketRole.INCOMING),
        VersioningConfiguration={"Status": "Enabled"},
    )
    queues: dict[str, str] = {}
    for kind in JobKind:
        queue = settings.processing.queues[kind]
        dlq_url = clients.sqs.create_queue(QueueName=settings.resource_name(f"{kind.value}-dlq"))[
            "QueueUrl"
        ]
        dlq_arn = clients.sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        redrive = {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": queue.max_receive_count}
        url = clients.sqs.create_queue(
            QueueName=settings.resource_name(kind.value),
            Attributes={
                "VisibilityTimeout": str(queue.visibility_timeout_seconds),
                "RedrivePolicy": json.dumps(redrive),
            },
        )["QueueUrl"]
        queues[kind.value] = url
        queues[f"{kind.value}-dlq"] = dlq_url
    scan_arn = clients.sqs.get_queue_attributes(
        QueueUrl=queues[JobKind.SCAN.value], AttributeNames=["QueueArn"]
    )["Attributes"]["QueueArn"]
    clients.s3.put_bucket_notification_configuration(
        Bucket=settings.bucket_name(BucketRole.INCOMING),
        NotificationConfiguration={
            "QueueConfigurations": [{"QueueArn": scan_arn, "Events": ["s3:ObjectCreated:*"]}]
        },
    )
    for table in ("content-refs", "jobs"):
        ensure_table(clients.dynamodb, settings.resource_name(table))
    ensure_table(clients.dynamodb, settings.resource_name("quotas"), partition_key="user_id")
    topics = {
        severity: clients.sns.create_topic(Name=settings.resource_name(f"alerts-{severity}"))[
            "TopicArn"
        ]
        for severity in ALERT_SEVERITIES
    }
    return {"queues": queues, "topics": topics}


def _bucket(s3: Any, name: str, region: str) -> None:
    extra = (
        {}
        if region == "us-east-1"
        else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    )
    try:
        s3.create_bucket(Bucket=name, **extra)
    except s3.exceptions.BucketAlreadyOwnedByYou:
        return
