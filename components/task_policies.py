"""Least-privilege policy documents of the services beyond the workers: the uploads API, the
restore-drill task and the scheduler that starts tasks. Pure functions over plain ARNs.

The uploads API's rights are what its code calls: multipart uploads into `incoming`
(CreateMultipartUpload / UploadPart / CompleteMultipartUpload are all `s3:PutObject`; the
presigned part URLs it signs carry the same rights), the quotas table, and publishing quota
warnings on the `alerts-warning` topic, which it finds by name with ListTopics at start-up.
"""

from __future__ import annotations

from collections.abc import Sequence

from components.iam_policies import KMS_USE, PolicyDocument, document, statement

UPLOADS_OBJECT_ACTIONS = (
    "s3:PutObject",
    "s3:AbortMultipartUpload",
    "s3:ListMultipartUploadParts",
)
UPLOADS_BUCKET_ACTIONS = ("s3:ListBucketMultipartUploads",)
UPLOADS_TABLE_ACTIONS = (
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:Scan",
)
DRILL_OBJECT_ACTIONS = (
    "s3:GetObject",
    "s3:GetObjectVersion",
    "s3:PutObject",
    "s3:DeleteObject",
    "s3:DeleteObjectVersion",
)
DRILL_BUCKET_ACTIONS = ("s3:ListBucket", "s3:ListBucketVersions")


def uploads_task_policy(
    *, incoming_bucket_arn: str, quotas_table_arn: str, warning_topic_arn: str, kms_key_arn: str
) -> PolicyDocument:
    """The uploads API's task role: exactly the multipart, quota and notification calls."""
    return document(
        [
            statement("MultipartObjects", UPLOADS_OBJECT_ACTIONS, [f"{incoming_bucket_arn}/*"]),
            statement("MultipartUploads", UPLOADS_BUCKET_ACTIONS, [incoming_bucket_arn]),
            statement("Quotas", UPLOADS_TABLE_ACTIONS, [quotas_table_arn]),
            statement("QuotaWarnings", ["sns:Publish"], [warning_topic_arn]),
            # ListTopics is account-wide: AWS accepts no resource but "*".
            statement("FindAlertTopic", ["sns:ListTopics"], ["*"]),
            statement("Encryption", KMS_USE, [kms_key_arn]),
        ]
    )


def drill_task_policy(*, bucket_arn: str, prefix: str, kms_key_arn: str) -> PolicyDocument:
    """The restore drill's task role: seed, damage and restore objects under `prefix` only."""
    listing = {"StringLike": {"s3:prefix": [prefix, f"{prefix}*"]}}
    return document(
        [
            statement("DrillObjects", DRILL_OBJECT_ACTIONS, [f"{bucket_arn}/{prefix}*"]),
            statement("ListDrillPrefix", DRILL_BUCKET_ACTIONS, [bucket_arn], Condition=listing),
            statement("CheckVersioning", ["s3:GetBucketVersioning"], [bucket_arn]),
            statement("Encryption", KMS_USE, [kms_key_arn]),
        ]
    )


def task_definition_family_arn(region: str, account_id: str, family: str) -> str:
    """Every revision of a task definition family."""
    return f"arn:aws:ecs:{region}:{account_id}:task-definition/{family}:*"


def scheduler_role_policy(
    *, task_definition_arns: Sequence[str], cluster_arn: str, pass_role_arns: Sequence[str]
) -> PolicyDocument:
    """What EventBridge Scheduler needs to start the tasks: RunTask on those task definitions
    in that cluster, and PassRole of exactly their task and execution roles to ECS tasks."""
    in_cluster = {"ArnEquals": {"ecs:cluster": cluster_arn}}
    to_ecs = {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}}
    return document(
        [
            statement("RunTasks", ["ecs:RunTask"], task_definition_arns, Condition=in_cluster),
            statement("PassTaskRoles", ["iam:PassRole"], pass_role_arns, Condition=to_ecs),
        ]
    )


def scheduler_assume_role_policy(account_id: str) -> PolicyDocument:
    """Trust policy: EventBridge Scheduler of this account assumes the role."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "scheduler.amazonaws.com"},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
            }
        ],
    }
