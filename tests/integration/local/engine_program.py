"""A small Pulumi program covering the resource types the local engine creates in moto."""

from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws

PREFIX = "enginetest"


def small_program() -> None:
    """Two buckets (incoming -> queue notification, logs), a queue + DLQ, table, topic, alarm."""
    key = aws.kms.Key(f"{PREFIX}-key", enable_key_rotation=True)
    logs = aws.s3.Bucket(f"{PREFIX}-logs", bucket=f"{PREFIX}-logs", force_destroy=True)
    incoming = aws.s3.Bucket(
        f"{PREFIX}-incoming", bucket=f"{PREFIX}-incoming", tags={"stack": "local"}
    )
    aws.s3.BucketVersioning(
        f"{PREFIX}-incoming-versioning",
        bucket=incoming.bucket,
        versioning_configuration={"status": "Enabled"},
    )
    aws.s3.BucketServerSideEncryptionConfiguration(
        f"{PREFIX}-incoming-sse",
        bucket=incoming.bucket,
        rules=[
            {
                "apply_server_side_encryption_by_default": {
                    "sse_algorithm": "aws:kms",
                    "kms_master_key_id": key.arn,
                },
                "bucket_key_enabled": True,
            }
        ],
    )
    aws.s3.BucketPublicAccessBlock(
        f"{PREFIX}-incoming-pab",
        bucket=incoming.bucket,
        block_public_acls=True,
        block_public_policy=True,
        ignore_public_acls=True,
        restrict_public_buckets=True,
    )
    aws.s3.BucketLifecycleConfiguration(
        f"{PREFIX}-incoming-lifecycle",
        bucket=incoming.bucket,
        rules=[
            {
                "id": "tiers",
                "status": "Enabled",
                "filter": {"prefix": ""},
                "transitions": [{"days": 30, "storage_class": "STANDARD_IA"}],
                "noncurrent_version_expiration": {"noncurrent_days": 30},
                "abort_incomplete_multipart_upload": {"days_after_initiation": 7},
            }
        ],
    )
    aws.s3.BucketCorsConfiguration(
        f"{PREFIX}-incoming-cors",
        bucket=incoming.bucket,
        cors_rules=[
            {
                "allowed_methods": ["PUT", "GET"],
                "allowed_origins": ["https://media.localhost"],
                "expose_headers": ["ETag"],
                "max_age_seconds": 3000,
            }
        ],
    )
    aws.s3.BucketLogging(
        f"{PREFIX}-incoming-logging",
        bucket=incoming.bucket,
        target_bucket=logs.bucket,
        target_prefix="s3/incoming/",
    )
    aws.s3.BucketIntelligentTieringConfiguration(
        f"{PREFIX}-incoming-tiering",
        bucket=incoming.bucket,
        tierings=[{"access_tier": "ARCHIVE_ACCESS", "days": 90}],
    )
    dlq = aws.sqs.Queue(f"{PREFIX}-scan-dlq", name=f"{PREFIX}-scan-dlq")
    scan = aws.sqs.Queue(
        f"{PREFIX}-scan",
        name=f"{PREFIX}-scan",
        visibility_timeout_seconds=60,
        redrive_policy=dlq.arn.apply(
            lambda arn: json.dumps({"deadLetterTargetArn": arn, "maxReceiveCount": 2})
        ),
    )
    policy = aws.sqs.QueuePolicy(
        f"{PREFIX}-scan-policy",
        queue_url=scan.url,
        policy=pulumi.Output.all(scan.arn, incoming.arn).apply(
            lambda arns: json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "s3.amazonaws.com"},
                            "Action": "sqs:SendMessage",
                            "Resource": arns[0],
                            "Condition": {"ArnEquals": {"aws:SourceArn": arns[1]}},
                        }
                    ],
                }
            )
        ),
    )
    aws.s3.BucketNotification(
        f"{PREFIX}-incoming-notification",
        bucket=incoming.bucket,
        queues=[{"queue_arn": scan.arn, "events": ["s3:ObjectCreated:*"]}],
        opts=pulumi.ResourceOptions(depends_on=[policy]),
    )
    aws.dynamodb.Table(
        f"{PREFIX}-refs",
        name=f"{PREFIX}-refs",
        billing_mode="PAY_PER_REQUEST",
        hash_key="content_hash",
        attributes=[{"name": "content_hash", "type": "S"}],
        point_in_time_recovery={"enabled": True},
        server_side_encryption={"enabled": True},
    )
    topic = aws.sns.Topic(f"{PREFIX}-alerts", name=f"{PREFIX}-alerts")
    aws.sns.TopicSubscription(
        f"{PREFIX}-alerts-to-dlq", topic=topic.arn, protocol="sqs", endpoint=dlq.arn
    )
    aws.cloudwatch.MetricAlarm(
        f"{PREFIX}-scan-age",
        name=f"{PREFIX}-scan-age",
        comparison_operator="GreaterThanThreshold",
        evaluation_periods=1,
        metric_name="ApproximateAgeOfOldestMessage",
        namespace="AWS/SQS",
        period=60,
        statistic="Maximum",
        threshold=30,
        dimensions={"QueueName": scan.name},
        alarm_actions=[topic.arn],
    )
    aws.ecs.Cluster(f"{PREFIX}-cluster")
    pulumi.export("scan_url", scan.url)
