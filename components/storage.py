"""`MediaStorage`: the KMS key, the six media buckets and the workers' DynamoDB tables.

Per bucket: versioning, SSE-KMS with bucket keys, owner-enforced object ownership, the
public-access block, a TLS-only bucket policy, the lifecycle tiers of its settings
(`components.lifecycle_rules`; on `derivatives` also the expiry of the origin's per-user copies
under `watermarked/`), an intelligent-tiering configuration where set, server
access logging into `logs` and, on `incoming`, CORS for browser multipart uploads. Every
bucket carries the backup selection tag; the standard tags come from `components.tagging`.

A bucket whose settings say `public_read` gets its public-access block switched off and a
policy statement letting anyone GET its objects (still TLS only); the policy pack refuses it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components.lifecycle_rules import (
    ARCHIVE_TIERING_NAME,
    bucket_lifecycle_rules,
    intelligent_tierings,
)
from stacks.settings import BucketRole, Settings

TYPE_TOKEN = "media-infra:storage:MediaStorage"
ACCESS_LOGS_PREFIX = "access-logs/"
CLOUDTRAIL_PREFIX = "cloudtrail"
CORS_METHODS = ("GET", "HEAD", "PUT", "POST")
CORS_MAX_AGE_SECONDS = 3000

TABLE_HASH_KEYS: dict[str, str] = {
    "quotas": "user_id",
    "content-refs": "pk",
    "jobs": "pk",
}
"""Table role -> hash key, as the workers use them (`workers/uploads/quotas.py`,
`workers/dedup/tables.py`, `workers/pipeline/job_records.py`)."""


@dataclass(frozen=True)
class MediaStorageArgs:
    """Inputs of `MediaStorage`."""

    settings: Settings
    """The stack settings: bucket names, tiers, CORS origins, backup selection tag."""


def access_log_prefix(bucket_name: str) -> str:
    """Key prefix of a bucket's server access logs inside the `logs` bucket."""
    return f"{ACCESS_LOGS_PREFIX}{bucket_name}/"


def deny_insecure_transport(bucket_arn: str) -> dict[str, Any]:
    """The statement that refuses every request not made over TLS."""
    return {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [bucket_arn, f"{bucket_arn}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def public_read_statement(bucket_arn: str) -> dict[str, Any]:
    """The statement that lets anyone GET the bucket's objects (`public_read` buckets only)."""
    return {
        "Sid": "PublicReadObjects",
        "Effect": "Allow",
        "Principal": "*",
        "Action": "s3:GetObject",
        "Resource": f"{bucket_arn}/*",
    }


def base_statements(bucket_arn: str, public_read: bool) -> list[dict[str, Any]]:
    """TLS only, plus anonymous object reads when the bucket is deliberately public."""
    statements = [deny_insecure_transport(bucket_arn)]
    if public_read:
        statements.append(public_read_statement(bucket_arn))
    return statements


def tls_only_policy(bucket_arn: str, public_read: bool = False) -> str:
    """Bucket policy JSON of a media bucket: TLS only (and public reads when set)."""
    return json.dumps(
        {"Version": "2012-10-17", "Statement": base_statements(bucket_arn, public_read)}
    )


def logs_bucket_policy(
    logs_arn: str, source_arns: list[str], account_id: str, public_read: bool = False
) -> str:
    """Bucket policy JSON of `logs`: TLS only, plus S3 access logging and CloudTrail writes."""
    statements = [
        *base_statements(logs_arn, public_read),
        {
            "Sid": "S3ServerAccessLogsWrite",
            "Effect": "Allow",
            "Principal": {"Service": "logging.s3.amazonaws.com"},
            "Action": "s3:PutObject",
            "Resource": f"{logs_arn}/{ACCESS_LOGS_PREFIX}*",
            "Condition": {
                "ArnLike": {"aws:SourceArn": sorted(source_arns)},
                "StringEquals": {"aws:SourceAccount": account_id},
            },
        },
        {
            "Sid": "CloudTrailAclCheck",
            "Effect": "Allow",
            "Principal": {"Service": "cloudtrail.amazonaws.com"},
            "Action": "s3:GetBucketAcl",
            "Resource": logs_arn,
            "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
        },
        {
            "Sid": "CloudTrailWrite",
            "Effect": "Allow",
            "Principal": {"Service": "cloudtrail.amazonaws.com"},
            "Action": "s3:PutObject",
            "Resource": f"{logs_arn}/{CLOUDTRAIL_PREFIX}/AWSLogs/{account_id}/*",
            "Condition": {
                "StringEquals": {
                    "s3:x-amz-acl": "bucket-owner-full-control",
                    "aws:SourceAccount": account_id,
                }
            },
        },
    ]
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


def key_policy(account_id: str) -> str:
    """KMS key policy: the account administers the key; the AWS services that write
    encrypted data for this stack (S3 access logging, CloudTrail, S3 event notifications to
    encrypted queues, CloudWatch alarms to encrypted topics) may generate data keys."""
    service_use = {
        "Sid": "ServicesEncrypt",
        "Effect": "Allow",
        "Principal": {
            "Service": [
                "cloudtrail.amazonaws.com",
                "cloudwatch.amazonaws.com",
                "logging.s3.amazonaws.com",
                "s3.amazonaws.com",
            ]
        },
        "Action": ["kms:GenerateDataKey*", "kms:Decrypt", "kms:DescribeKey"],
        "Resource": "*",
        "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
    }
    administer = {
        "Sid": "AccountAdministers",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
        "Action": "kms:*",
        "Resource": "*",
    }
    return json.dumps({"Version": "2012-10-17", "Statement": [administer, service_use]})


class MediaStorage(pulumi.ComponentResource):
    """The media buckets, their encryption key and the workers' tables."""

    buckets: dict[BucketRole, aws.s3.Bucket]
    bucket_policies: dict[BucketRole, aws.s3.BucketPolicy]
    """Writers into `logs` (CloudTrail) must wait for its policy."""
    kms_key: aws.kms.Key
    tables: dict[str, aws.dynamodb.Table]

    def __init__(
        self, name: str, args: MediaStorageArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(TYPE_TOKEN, name, None, opts)
        settings = args.settings
        child = pulumi.ResourceOptions(parent=self)
        account_id = aws.get_caller_identity_output(
            opts=pulumi.InvokeOutputOptions(parent=self)
        ).account_id

        self.kms_key = aws.kms.Key(
            f"{name}-key",
            description=f"media-infra {settings.stack}: buckets, tables, queues, backups",
            enable_key_rotation=True,
            deletion_window_in_days=settings.storage.kms_deletion_window_days,
            policy=account_id.apply(key_policy),
            opts=child,
        )
        aws.kms.Alias(
            f"{name}-key-alias",
            name=f"alias/{settings.resource_name('media')}",
            target_key_id=self.kms_key.key_id,
            opts=child,
        )

        selection_tag = {settings.backup.selection_tag_key: settings.backup.selection_tag_value}
        self.buckets = {
            role: aws.s3.Bucket(
                f"{name}-{role.value}",
                bucket=settings.bucket_name(role),
                force_destroy=settings.storage.force_destroy,
                tags=dict(selection_tag),
                opts=child,
            )
            for role in BucketRole
        }
        logs = self.buckets[BucketRole.LOGS]
        logs_policy = self._configure_bucket(name, settings, BucketRole.LOGS, logs, account_id)
        self.bucket_policies = {BucketRole.LOGS: logs_policy}
        for role, bucket in self.buckets.items():
            if role is not BucketRole.LOGS:
                self.bucket_policies[role] = self._configure_bucket(
                    name, settings, role, bucket, account_id, logs_policy
                )

        self.tables = {
            table: self._table(name, settings, table, hash_key)
            for table, hash_key in TABLE_HASH_KEYS.items()
        }
        self.register_outputs(
            {
                "buckets": self.buckets,
                "bucket_policies": self.bucket_policies,
                "kms_key": self.kms_key,
                "tables": self.tables,
            }
        )

    def _configure_bucket(
        self,
        name: str,
        settings: Settings,
        role: BucketRole,
        bucket: aws.s3.Bucket,
        account_id: pulumi.Output[str],
        logs_policy: aws.s3.BucketPolicy | None = None,
    ) -> aws.s3.BucketPolicy:
        """Every configuration resource of one bucket; returns its bucket policy."""
        prefix = f"{name}-{role.value}"
        child = pulumi.ResourceOptions(parent=self)
        versioning = aws.s3.BucketVersioning(
            f"{prefix}-versioning",
            bucket=bucket.id,
            versioning_configuration={"status": "Enabled"},
            opts=child,
        )
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{prefix}-sse",
            bucket=bucket.id,
            rules=[
                {
                    "apply_server_side_encryption_by_default": {
                        "sse_algorithm": "aws:kms",
                        "kms_master_key_id": self.kms_key.arn,
                    },
                    "bucket_key_enabled": True,
                }
            ],
            opts=child,
        )
        aws.s3.BucketOwnershipControls(
            f"{prefix}-ownership",
            bucket=bucket.id,
            rule={"object_ownership": "BucketOwnerEnforced"},
            opts=child,
        )
        bucket_settings = settings.storage.buckets[role]
        blocked = not bucket_settings.public_read
        public_access = aws.s3.BucketPublicAccessBlock(
            f"{prefix}-public-access",
            bucket=bucket.id,
            block_public_acls=blocked,
            block_public_policy=blocked,
            ignore_public_acls=blocked,
            restrict_public_buckets=blocked,
            opts=child,
        )
        if role is BucketRole.LOGS:
            sources = [b.arn for r, b in self.buckets.items() if r is not BucketRole.LOGS]
            policy = pulumi.Output.all(bucket.arn, account_id, *sources).apply(
                lambda values: logs_bucket_policy(
                    values[0], list(values[2:]), values[1], bucket_settings.public_read
                )
            )
        else:
            policy = bucket.arn.apply(lambda arn: tls_only_policy(arn, bucket_settings.public_read))
        bucket_policy = aws.s3.BucketPolicy(
            f"{prefix}-policy",
            bucket=bucket.id,
            policy=policy,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[public_access]),
        )
        aws.s3.BucketLifecycleConfiguration(
            f"{prefix}-lifecycle",
            bucket=bucket.id,
            rules=bucket_lifecycle_rules(settings, role),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[versioning]),
        )
        if bucket_settings.intelligent_tiering is not None:
            aws.s3.BucketIntelligentTieringConfiguration(
                f"{prefix}-tiering",
                bucket=bucket.id,
                name=ARCHIVE_TIERING_NAME,
                status="Enabled",
                tierings=intelligent_tierings(bucket_settings.intelligent_tiering),
                opts=child,
            )
        if logs_policy is not None:
            aws.s3.BucketLogging(
                f"{prefix}-logging",
                bucket=bucket.id,
                target_bucket=self.buckets[BucketRole.LOGS].id,
                target_prefix=access_log_prefix(settings.bucket_name(role)),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[logs_policy]),
            )
        if role is BucketRole.INCOMING:
            aws.s3.BucketCorsConfiguration(
                f"{prefix}-cors",
                bucket=bucket.id,
                cors_rules=[
                    {
                        "allowed_methods": list(CORS_METHODS),
                        "allowed_origins": list(settings.storage.cors_origins),
                        "allowed_headers": ["*"],
                        "expose_headers": ["ETag"],
                        "max_age_seconds": CORS_MAX_AGE_SECONDS,
                    }
                ],
                opts=child,
            )
        return bucket_policy

    def _table(
        self, name: str, settings: Settings, table: str, hash_key: str
    ) -> aws.dynamodb.Table:
        return aws.dynamodb.Table(
            f"{name}-{table}",
            name=settings.resource_name(table),
            billing_mode="PAY_PER_REQUEST",
            hash_key=hash_key,
            attributes=[{"name": hash_key, "type": "S"}],
            point_in_time_recovery={"enabled": True},
            server_side_encryption={"enabled": True, "kms_key_arn": self.kms_key.arn},
            deletion_protection_enabled=not settings.storage.force_destroy,
            opts=pulumi.ResourceOptions(parent=self),
        )
