"""Least-privilege IAM policy documents, built by pure functions from plain ARNs.

`WORKER_ACCESS` is the access table: what each worker (and the delivery origin) touches,
derived from what the worker code calls. `delivery_access` is the origin's row for a
`delivery.user_watermark` mode: read only, plus `s3:PutObject` under `watermarked/` of
`derivatives` (its per-user copies) unless the mode is `off`. `task_role_policy` turns one
row plus the ARNs of the stack's resources into a policy document that names only those
resources. The only wildcard resource is where AWS accepts nothing else (`sns:ListTopics`,
which the workers use to find the alert topics by name; `ecr:GetAuthorizationToken`). No
action is ever `*`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from components.lifecycle_rules import USER_COPIES_PREFIX
from stacks.settings import BucketRole, JobKind

PolicyDocument = dict[str, Any]

VERSION = "2012-10-17"
DELIVERY = "delivery"
"""Access-table key of the delivery origin (not a job kind)."""

S3_READ = (
    "s3:GetObject",
    "s3:GetObjectVersion",
    "s3:GetObjectTagging",
    "s3:GetObjectVersionTagging",
)
S3_LIST = ("s3:ListBucket", "s3:ListBucketVersions")
S3_WRITE = (
    "s3:PutObject",
    "s3:PutObjectTagging",
    "s3:AbortMultipartUpload",
    "s3:ListMultipartUploadParts",
)
S3_DELETE = ("s3:DeleteObject", "s3:DeleteObjectVersion")
S3_PUT_UNDER_PREFIX = ("s3:PutObject",)
"""A prefix-confined writer's only write: single PUTs (conditional ones included)."""
DYNAMODB_ITEMS = (
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:Query",
)
SQS_CONSUME = (
    "sqs:ReceiveMessage",
    "sqs:DeleteMessage",
    "sqs:ChangeMessageVisibility",
    "sqs:GetQueueAttributes",
    "sqs:GetQueueUrl",
)
SQS_SEND = ("sqs:SendMessage", "sqs:GetQueueUrl", "sqs:GetQueueAttributes")
KMS_USE = ("kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey")
KMS_DECRYPT = ("kms:Decrypt", "kms:DescribeKey")
ECR_PULL = ("ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability")
LOGS_WRITE = ("logs:CreateLogStream", "logs:PutLogEvents")
SECRETS_READ = ("secretsmanager:GetSecretValue",)

ECR_IMAGE = re.compile(
    r"^(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com/(?P<repo>.+)$"
)


@dataclass(frozen=True)
class WorkerAccess:
    """What one service may touch: buckets by role, tables by name, queues by kind."""

    reads: tuple[BucketRole, ...] = ()
    writes: tuple[BucketRole, ...] = ()
    deletes: tuple[BucketRole, ...] = ()
    tables: tuple[str, ...] = ()
    consumes: JobKind | None = None
    """Its own queue (receive, delete, change visibility) and its DLQ (send poison messages)."""
    sends_to: tuple[JobKind, ...] = ()
    alerts: tuple[str, ...] = ()
    """Severities of the alert topics it publishes to."""
    encrypts: bool = True
    """True: kms Decrypt + GenerateDataKey (writes SSE-KMS objects); False: Decrypt only."""
    put_prefixes: tuple[tuple[BucketRole, str], ...] = ()
    """(bucket, key prefix) pairs it may `s3:PutObject` under, and nowhere else in the bucket
    (a prefix is literal: it ends with "/" and holds no IAM wildcard)."""

    def __post_init__(self) -> None:
        for role, prefix in self.put_prefixes:
            if not prefix.endswith("/") or prefix == "/" or any(c in prefix for c in "*?$"):
                raise ValueError(
                    f"put prefix {prefix!r} on {role.value}: expected a literal key prefix "
                    "ending with '/' (no '*', '?' or '$')"
                )


WORKER_ACCESS: Mapping[str, WorkerAccess] = {
    # scan: reads and removes uploads, moves infected ones to quarantine, stores clean content
    # once (dedup refs) in masters/stems and queues its processing.
    JobKind.SCAN.value: WorkerAccess(
        reads=(BucketRole.INCOMING, BucketRole.QUARANTINE, BucketRole.MASTERS, BucketRole.STEMS),
        writes=(BucketRole.QUARANTINE, BucketRole.MASTERS, BucketRole.STEMS),
        deletes=(BucketRole.INCOMING,),
        tables=("content-refs", "jobs"),
        consumes=JobKind.SCAN,
        sends_to=(JobKind.AUDIO, JobKind.IMAGE),
        alerts=("critical", "warning"),
    ),
    # audio: ladder + HLS from masters into derivatives, lossless stems back into stems.
    JobKind.AUDIO.value: WorkerAccess(
        reads=(BucketRole.MASTERS, BucketRole.STEMS, BucketRole.DERIVATIVES),
        writes=(BucketRole.DERIVATIVES, BucketRole.STEMS),
        tables=("jobs",),
        consumes=JobKind.AUDIO,
        alerts=("warning",),
    ),
    # image: covers from masters into responsive variants in derivatives.
    JobKind.IMAGE.value: WorkerAccess(
        reads=(BucketRole.MASTERS, BucketRole.DERIVATIVES),
        writes=(BucketRole.DERIVATIVES,),
        tables=("jobs",),
        consumes=JobKind.IMAGE,
        alerts=("warning",),
    ),
    # delivery origin: serves derivatives, read only (`delivery_access` adds its user copies).
    DELIVERY: WorkerAccess(reads=(BucketRole.DERIVATIVES,), encrypts=False),
}


def delivery_access(user_watermark: str) -> WorkerAccess:
    """The origin's row for a `delivery.user_watermark` mode.

    `off`: read only on `derivatives`. Otherwise the origin also stores each user's
    watermarked copy (`workers.origin.user_copies`: one `If-None-Match: *` PutObject to
    `watermarked/<user>/<key>`), so it may PutObject under that prefix only (no tagging,
    multipart or delete) and generate data keys for the SSE-KMS object it writes.
    """
    read_only = WORKER_ACCESS[DELIVERY]
    if user_watermark == "off":
        return read_only
    return replace(
        read_only,
        encrypts=True,
        put_prefixes=((BucketRole.DERIVATIVES, USER_COPIES_PREFIX),),
    )


@dataclass(frozen=True)
class StackArns:
    """Plain ARNs of the stack's resources a task role may be granted."""

    kms_key: str
    buckets: Mapping[BucketRole, str]
    queues: Mapping[JobKind, str] = field(default_factory=dict)
    dlqs: Mapping[JobKind, str] = field(default_factory=dict)
    tables: Mapping[str, str] = field(default_factory=dict)
    topics: Mapping[str, str] = field(default_factory=dict)
    """Alert topic ARNs by severity."""


def statement(
    sid: str, actions: Sequence[str], resources: Sequence[str], **extra: Any
) -> dict[str, Any]:
    """An Allow statement (sorted, de-duplicated actions and resources)."""
    return {
        "Sid": sid,
        "Effect": "Allow",
        "Action": sorted(set(actions)),
        "Resource": sorted(set(resources)),
        **extra,
    }


def document(statements: Sequence[dict[str, Any]]) -> PolicyDocument:
    return {"Version": VERSION, "Statement": [s for s in statements if s["Resource"]]}


def task_role_policy(access: WorkerAccess, arns: StackArns) -> PolicyDocument:
    """The inline policy of a task role: only the buckets, tables, queues and key of its row."""

    def objects(roles: Sequence[BucketRole]) -> list[str]:
        return [f"{arns.buckets[role]}/*" for role in roles]

    listed = sorted(set(access.reads) | set(access.deletes))
    statements = [
        statement("ReadObjects", S3_READ, objects(access.reads)),
        statement("ListBuckets", S3_LIST, [arns.buckets[role] for role in listed]),
        statement("WriteObjects", S3_WRITE, objects(access.writes)),
        statement("DeleteObjects", S3_DELETE, objects(access.deletes)),
        statement(
            "WriteUnderPrefixes",
            S3_PUT_UNDER_PREFIX,
            [f"{arns.buckets[role]}/{prefix}*" for role, prefix in access.put_prefixes],
        ),
        statement(
            "Tables",
            DYNAMODB_ITEMS,
            [
                arn
                for name in access.tables
                for arn in (arns.tables[name], f"{arns.tables[name]}/index/*")
            ],
        ),
        statement("Encryption", KMS_USE if access.encrypts else KMS_DECRYPT, [arns.kms_key]),
    ]
    if access.consumes is not None:
        statements.append(statement("ConsumeQueue", SQS_CONSUME, [arns.queues[access.consumes]]))
        if access.consumes in arns.dlqs:  # a queue may be configured without one
            statements.append(statement("DeadLetter", SQS_SEND, [arns.dlqs[access.consumes]]))
    statements.append(
        statement("SendJobs", SQS_SEND, [arns.queues[kind] for kind in access.sends_to])
    )
    if access.alerts:
        statements.append(
            statement("PublishAlerts", ["sns:Publish"], [arns.topics[s] for s in access.alerts])
        )
        # ListTopics is account-wide: AWS accepts no resource but "*".
        statements.append(statement("FindAlertTopics", ["sns:ListTopics"], ["*"]))
    return document(statements)


def assume_role_policy(service: str = "ecs-tasks.amazonaws.com") -> PolicyDocument:
    """Trust policy letting one AWS service assume the role."""
    return {
        "Version": VERSION,
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
        ],
    }


def ecr_repository_arn(image_repository: str) -> str | None:
    """The ECR repository ARN of an image repository URI; None when it is not in ECR."""
    found = ECR_IMAGE.match(image_repository)
    if found is None:
        return None
    return f"arn:aws:ecr:{found['region']}:{found['account']}:repository/{found['repo']}"


def execution_role_policy(
    image_repository: str,
    log_group_arn: str,
    *,
    secret_arns: Sequence[str] = (),
    secrets_kms_key_arn: str | None = None,
    region: str = "",
) -> PolicyDocument:
    """What ECS needs to start the task: pull its image, write its log group, and read the
    task's own secrets (decrypting their key only through Secrets Manager)."""
    statements = [statement("WriteLogs", LOGS_WRITE, [f"{log_group_arn}:*"])]
    repository = ecr_repository_arn(image_repository)
    if repository is not None:
        statements.append(statement("PullImage", ECR_PULL, [repository]))
        # GetAuthorizationToken is account-wide: AWS accepts no resource but "*".
        statements.append(statement("EcrLogin", ["ecr:GetAuthorizationToken"], ["*"]))
    if secret_arns:
        statements.append(statement("ReadSecrets", SECRETS_READ, list(secret_arns)))
        if secrets_kms_key_arn:
            via = {"StringEquals": {"kms:ViaService": f"secretsmanager.{region}.amazonaws.com"}}
            statements.append(
                statement("DecryptSecrets", ["kms:Decrypt"], [secrets_kms_key_arn], Condition=via)
            )
    return document(statements)


def queue_policy(
    queue_arn: str, *, s3_source_bucket_arn: str | None = None, account_id: str | None = None
) -> PolicyDocument:
    """A queue's resource policy: TLS only; optionally S3 event delivery from one bucket."""
    statements: list[dict[str, Any]] = [
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "sqs:*",
            "Resource": queue_arn,
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
    ]
    if s3_source_bucket_arn is not None:
        condition: dict[str, Any] = {"ArnEquals": {"aws:SourceArn": s3_source_bucket_arn}}
        if account_id:
            condition["StringEquals"] = {"aws:SourceAccount": account_id}
        statements.append(
            {
                "Sid": "S3EventNotifications",
                "Effect": "Allow",
                "Principal": {"Service": "s3.amazonaws.com"},
                "Action": "sqs:SendMessage",
                "Resource": queue_arn,
                "Condition": condition,
            }
        )
    return {"Version": VERSION, "Statement": statements}


def allowed_values(policy: PolicyDocument, field: str) -> list[str]:
    """Every value of `field` ("Action", "Resource") in the Allow statements, in order."""
    values: list[str] = []
    for entry in policy["Statement"]:
        if entry["Effect"] == "Allow":
            value = entry[field]
            values.extend([value] if isinstance(value, str) else value)
    return values


def allowed_actions(policy: PolicyDocument) -> list[str]:
    """Every action an Allow statement grants (for checks and tests)."""
    return allowed_values(policy, "Action")


def allowed_resources(policy: PolicyDocument) -> list[str]:
    """Every resource an Allow statement names (for checks and tests)."""
    return allowed_values(policy, "Resource")
