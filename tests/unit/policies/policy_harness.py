"""Hand-built CrossGuard arguments for policy tests: a compliant mini stack and runners."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from pulumi_policy import (
    Policy,
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    StackValidationArgs,
)
from pulumi_policy.proxy import unknown_checking_proxy

from policies import tokens
from policies.pack import all_policies

TAGS = {"service": "media-infra", "stack": "test", "owner": "media", "data-class": "internal"}
SELECTION_TAG = {"backup": "media-infra"}
CACHE_RULES = {
    "images": {"edgeTtlSeconds": 31536000, "browserTtlSeconds": 31536000},
    "api": {"edgeTtlSeconds": 300, "browserTtlSeconds": 0},
}


def options() -> PolicyResourceOptions:
    return PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [])


def policy(name: str) -> Policy:
    return next(p for p in all_policies() if p.name == name)


def resource(
    token: str,
    name: str,
    props: Mapping[str, Any] | None = None,
    **refs: PolicyResource,
) -> PolicyResource:
    """A PolicyResource whose input `key` refers to `refs[key]` (dependency + property dep)."""
    urn = f"urn:pulumi:test::media-infra::{token}::{name}"
    built = PolicyResource(
        token, unknown_checking_proxy(dict(props or {})), urn, name, options(), None, None, [], {}
    )
    for key, target in refs.items():
        built.dependencies.append(target)
        built.property_dependencies[key] = [target]
    return built


def run_resource(
    name: str, token: str, props: Mapping[str, Any], config: Mapping[str, Any] | None = None
) -> list[str]:
    """Messages a resource policy reports for one resource."""
    messages: list[str] = []
    args = ResourceValidationArgs(
        token,
        unknown_checking_proxy(dict(props)),
        f"urn:pulumi:test::media-infra::{token}::r",
        "r",
        options(),
        None,
        dict(config or {}),
    )
    policy(name).validate(args, lambda message, urn=None: messages.append(message))  # type: ignore[attr-defined]
    return messages


def run_stack(
    name: str, resources: Sequence[PolicyResource], config: Mapping[str, Any] | None = None
) -> list[tuple[str, str | None]]:
    """(message, urn) pairs a stack policy reports."""
    reported: list[tuple[str, str | None]] = []
    args = StackValidationArgs(list(resources), dict(config or {}))
    policy(name).validate(args, lambda message, urn=None: reported.append((message, urn)))  # type: ignore[attr-defined]
    return reported


def tls_policy() -> str:
    return json.dumps(
        {
            "Statement": [
                {
                    "Sid": "TlsOnly",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                }
            ]
        }
    )


def lifecycle_rules(abort_days: float | None = 7.0) -> list[dict[str, Any]]:
    rule: dict[str, Any] = {
        "id": "tiers",
        "status": "Enabled",
        "filter": {},
        "noncurrentVersionExpiration": {"noncurrentDays": 30.0},
    }
    if abort_days is not None:
        rule["abortIncompleteMultipartUpload"] = {"daysAfterInitiation": abort_days}
    return [rule]


def backup_rules(daily_days: float = 30.0, continuous_days: float = 35.0) -> list[dict[str, Any]]:
    return [
        {
            "ruleName": "continuous",
            "enableContinuousBackup": True,
            "lifecycle": {"deleteAfter": continuous_days},
        },
        {"ruleName": "hourly", "lifecycle": {"deleteAfter": 30.0}},
        {
            "ruleName": "daily",
            "lifecycle": {"deleteAfter": daily_days},
            "copyActions": [
                {"destinationVaultArn": "arn:copy", "lifecycle": {"deleteAfter": 30.0}}
            ],
        },
    ]


def task_policy(action: Any = "s3:GetObject", res: Any = "arn:aws:s3:::m-media/*") -> str:
    return json.dumps({"Statement": [{"Effect": "Allow", "Action": action, "Resource": res}]})


def ecs_trust() -> str:
    return json.dumps(
        {
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "ecs-tasks.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ]
        }
    )


def cache_ruleset_rules() -> list[dict[str, Any]]:
    return [
        {
            "ref": "cache-images",
            "action": "set_cache_settings",
            "expression": "e1",
            "description": "images: edge 31536000s, browser 31536000s",
            "actionParameters": {
                "cache": True,
                "edgeTtl": {"mode": "override_origin", "default": 31536000.0},
                "browserTtl": {"mode": "override_origin", "default": 31536000.0},
            },
        },
        {
            "ref": "cache-api",
            "action": "set_cache_settings",
            "expression": "e2",
            "description": "api: edge 300s, browser 0s",
            "actionParameters": {
                "cache": True,
                "edgeTtl": {"mode": "override_origin", "default": 300.0},
                "browserTtl": {"mode": "bypass"},
            },
        },
    ]


def golden_stack() -> dict[str, PolicyResource]:
    """A small stack that every policy passes, by name (tests delete or edit entries)."""
    r: dict[str, PolicyResource] = {}
    for role in ("media", "logs"):
        bucket = resource(
            tokens.S3_BUCKET, role, {"bucket": f"m-{role}", "tags": {**TAGS, **SELECTION_TAG}}
        )
        r[role] = bucket
        r[f"{role}-versioning"] = resource(
            tokens.S3_VERSIONING,
            f"{role}-versioning",
            {"versioningConfiguration": {"status": "Enabled"}},
            bucket=bucket,
        )
        r[f"{role}-sse"] = resource(
            tokens.S3_SSE,
            f"{role}-sse",
            {
                "rules": [
                    {
                        "applyServerSideEncryptionByDefault": {
                            "sseAlgorithm": "aws:kms",
                            "kmsMasterKeyId": "arn:key",
                        },
                        "bucketKeyEnabled": True,
                    }
                ]
            },
            bucket=bucket,
        )
        r[f"{role}-pab"] = resource(
            tokens.S3_PUBLIC_ACCESS_BLOCK,
            f"{role}-pab",
            {
                "blockPublicAcls": True,
                "blockPublicPolicy": True,
                "ignorePublicAcls": True,
                "restrictPublicBuckets": True,
            },
            bucket=bucket,
        )
        r[f"{role}-policy"] = resource(
            tokens.S3_POLICY, f"{role}-policy", {"policy": tls_policy()}, bucket=bucket
        )
        r[f"{role}-lifecycle"] = resource(
            tokens.S3_LIFECYCLE, f"{role}-lifecycle", {"rules": lifecycle_rules()}, bucket=bucket
        )
    r["media-logging"] = resource(
        tokens.S3_LOGGING,
        "media-logging",
        {"targetPrefix": "s3/", "targetBucket": "m-logs"},
        bucket=r["media"],
        targetBucket=r["logs"],
    )
    dlq = resource(
        tokens.SQS_QUEUE,
        "scan-dlq",
        {"name": "m-scan-dlq", "sqsManagedSseEnabled": True, "tags": TAGS},
    )
    r["scan-dlq"] = dlq
    r["scan"] = resource(
        tokens.SQS_QUEUE,
        "scan",
        {
            "name": "m-scan",
            "sqsManagedSseEnabled": True,
            "tags": TAGS,
            "redrivePolicy": json.dumps(
                {"deadLetterTargetArn": "arn:aws:sqs:eu-west-1:1:m-scan-dlq", "maxReceiveCount": 5}
            ),
        },
        redrivePolicy=dlq,
    )
    r["scan-age"] = resource(
        tokens.CLOUDWATCH_ALARM,
        "scan-age",
        {
            "metricName": "ApproximateAgeOfOldestMessage",
            "namespace": "AWS/SQS",
            "dimensions": {"QueueName": "m-scan"},
            "alarmActions": ["arn:topic"],
            "tags": TAGS,
        },
    )
    r["scan-dlq-depth"] = resource(
        tokens.CLOUDWATCH_ALARM,
        "scan-dlq-depth",
        {
            "metricName": "ApproximateNumberOfMessagesVisible",
            "namespace": "AWS/SQS",
            "dimensions": {"QueueName": "m-scan-dlq"},
            "alarmActions": ["arn:topic"],
            "tags": TAGS,
        },
    )
    vault = resource(
        tokens.BACKUP_VAULT, "vault", {"name": "m-vault", "kmsKeyArn": "arn:key", "tags": TAGS}
    )
    r["vault"] = vault
    r["vault-lock"] = resource(
        tokens.BACKUP_VAULT_LOCK,
        "vault-lock",
        {"backupVaultName": "m-vault", "minRetentionDays": 7.0, "maxRetentionDays": 365.0},
        backupVaultName=vault,
    )
    r["plan"] = resource(
        tokens.BACKUP_PLAN, "plan", {"name": "m-plan", "rules": backup_rules(), "tags": TAGS}
    )
    r["selection"] = resource(
        tokens.BACKUP_SELECTION,
        "selection",
        {
            "resources": ["arn:aws:s3:::*"],
            "selectionTags": [{"type": "STRINGEQUALS", "key": "backup", "value": "media-infra"}],
        },
    )
    role = resource(tokens.IAM_ROLE, "scan-task", {"assumeRolePolicy": ecs_trust(), "tags": TAGS})
    r["scan-task"] = role
    r["scan-task-policy"] = resource(
        tokens.IAM_ROLE_POLICY, "scan-task-policy", {"policy": task_policy()}, role=role
    )
    for setting, value in (
        ("brotli", "on"),
        ("http3", "on"),
        ("min_tls_version", "1.2"),
        ("always_use_https", "on"),
    ):
        r[setting] = resource(
            tokens.CF_ZONE_SETTING,
            setting,
            {"zoneId": "zone1", "settingId": setting, "value": value},
        )
    r["cache-rules"] = resource(
        tokens.CF_RULESET,
        "cache-rules",
        {
            "zoneId": "zone1",
            "kind": "zone",
            "phase": "http_request_cache_settings",
            "rules": cache_ruleset_rules(),
        },
    )
    return r
