"""The resource policies' cases: for each, props that pass and props that must trigger it."""

from __future__ import annotations

import json
from typing import Any

from policy_harness import (
    CACHE_RULES,
    TAGS,
    backup_rules,
    cache_ruleset_rules,
    lifecycle_rules,
    task_policy,
)

from policies import tokens

PAB_ON = {
    f: True
    for f in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
}
CACHE_CONFIG = {"cacheRules": CACHE_RULES}


def _with(rules: list[dict[str, Any]], index: int, **changes: Any) -> list[dict[str, Any]]:
    rules[index] = {**rules[index], **changes}
    return rules


def _api_params(**changes: Any) -> list[dict[str, Any]]:
    rules = cache_ruleset_rules()
    rules[1]["actionParameters"] = {**rules[1]["actionParameters"], **changes}
    return rules


# (policy, token, passing props, failing props, fragment of the failure message, config)
PURGE_GROUP = "e17beae8b8cb423a99b1730f21238bed"
ZONE_KEY = "com.cloudflare.api.account.zone.023e105f4ecef8ad9ca31a8372d0c353"


def _token_policy(group: str, resource: str | None) -> dict[str, Any]:
    """One Cloudflare API token policy: a permission group on `resource` (JSON, as rendered)."""
    resources = json.dumps({resource: "*"}) if resource else ""
    return {"effect": "allow", "permissionGroups": [{"id": group}], "resources": resources}


RESOURCE_CASES: list[tuple[str, str, dict, dict, str, dict]] = [
    (
        "s3-no-public-access",
        tokens.S3_PUBLIC_ACCESS_BLOCK,
        PAB_ON,
        {**PAB_ON, "blockPublicPolicy": False},
        "blockPublicPolicy",
        {},
    ),
    (
        "s3-no-public-access",
        tokens.S3_BUCKET,
        {"bucket": "b", "acl": "private"},
        {"bucket": "b", "acl": "public-read"},
        "public-read",
        {},
    ),
    (
        "s3-no-public-access",
        tokens.S3_POLICY,
        {
            "policy": json.dumps(
                {
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "logging.s3.amazonaws.com"},
                            "Action": "s3:PutObject",
                            "Resource": "*",
                        }
                    ]
                }
            )
        },
        {
            "policy": json.dumps(
                {
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": "*",
                            "Action": "s3:GetObject",
                            "Resource": "arn:aws:s3:::b/*",
                        }
                    ]
                }
            )
        },
        "any principal",
        {},
    ),
    (
        "s3-no-public-access",
        tokens.S3_BUCKET_ACL,
        {"acl": "private"},
        {
            "accessControlPolicy": {
                "grants": [
                    {
                        "permission": "READ",
                        "grantee": {
                            "type": "Group",
                            "uri": "http://acs.amazonaws.com/groups/global/AllUsers",
                        },
                    }
                ]
            }
        },
        "to everyone",
        {},
    ),
    (
        "s3-abort-incomplete-multipart",
        tokens.S3_LIFECYCLE,
        {"rules": lifecycle_rules(7.0)},
        {"rules": lifecycle_rules(None)},
        "incomplete multipart",
        {},
    ),
    (
        "s3-abort-incomplete-multipart",
        tokens.S3_LIFECYCLE,
        {"rules": lifecycle_rules(3.0)},
        {"rules": lifecycle_rules(30.0)},
        "within 7 days",
        {},
    ),
    (
        "s3-noncurrent-versions-expire",
        tokens.S3_LIFECYCLE,
        {"rules": lifecycle_rules()},
        {"rules": [{"id": "x", "status": "Enabled", "filter": {}}]},
        "noncurrent",
        {},
    ),
    (
        "backup-retention-minimum",
        tokens.BACKUP_PLAN,
        {"rules": backup_rules(30.0)},
        {"rules": backup_rules(7.0)},
        "rule 'daily' keeps recovery points 7 days",
        {},
    ),
    (
        "backup-retention-minimum",
        tokens.BACKUP_PLAN,
        {"rules": backup_rules(7.0)},
        {"rules": backup_rules(7.0)},
        "unused",
        {"minRetentionDays": 7},
    ),
    (
        "backup-continuous-enabled",
        tokens.BACKUP_PLAN,
        {"rules": backup_rules()},
        {"rules": backup_rules()[1:]},
        "no continuous backup rule",
        {},
    ),
    (
        "backup-continuous-enabled",
        tokens.BACKUP_PLAN,
        {"rules": backup_rules(continuous_days=7.0)},
        {"rules": backup_rules(continuous_days=3.0)},
        "expected 7..35",
        {},
    ),
    (
        "backup-cross-region-copy",
        tokens.BACKUP_PLAN,
        {"rules": backup_rules()},
        {"rules": _with(backup_rules(), 2, copyActions=[])},
        "copies no snapshot rule",
        {},
    ),
    (
        "backup-vault-kms-encrypted",
        tokens.BACKUP_VAULT,
        {"name": "v", "kmsKeyArn": "arn:k"},
        {"name": "v"},
        "customer-managed KMS key",
        {},
    ),
    (
        "sqs-queue-encrypted",
        tokens.SQS_QUEUE,
        {"kmsMasterKeyId": "alias/k"},
        {"sqsManagedSseEnabled": False},
        "not encrypted",
        {},
    ),
    (
        "iam-no-admin-access",
        tokens.IAM_ROLE_POLICY_ATTACHMENT,
        {"policyArn": "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"},
        {"policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"},
        "AdministratorAccess",
        {},
    ),
    (
        "iam-no-admin-access",
        tokens.IAM_ROLE_POLICY,
        {"policy": task_policy()},
        {"policy": task_policy("*", "*")},
        "administrator access",
        {},
    ),
    (
        "aws-required-tags",
        tokens.S3_BUCKET,
        {"tags": TAGS},
        {"tags": {k: v for k, v in TAGS.items() if k != "owner"}},
        "['owner']",
        {},
    ),
    ("aws-required-tags", tokens.S3_VERSIONING, {}, {"tags": {}}, "unused", {}),
    (
        "aws-required-tags",
        tokens.SQS_QUEUE,
        {"tags": {**TAGS, "team": "x"}},
        {"tags": TAGS},
        "['team']",
        {"requiredTags": ["team"]},
    ),
    (
        "cloudflare-cache-ttls-match-settings",
        tokens.CF_RULESET,
        {"phase": "http_request_cache_settings", "rules": cache_ruleset_rules()},
        {
            "phase": "http_request_cache_settings",
            "rules": _with(
                cache_ruleset_rules(),
                0,
                actionParameters={
                    "cache": True,
                    "edgeTtl": {"mode": "override_origin", "default": 86400.0},
                    "browserTtl": {"mode": "override_origin", "default": 31536000.0},
                },
            ),
        },
        "settings say override_origin 31536000",
        CACHE_CONFIG,
    ),
    (
        "cloudflare-cache-ttls-match-settings",
        tokens.CF_RULESET,
        {"phase": "http_request_cache_settings", "rules": cache_ruleset_rules()},
        {"phase": "http_request_cache_settings", "rules": cache_ruleset_rules()[:1]},
        "no rule for the cache class 'api'",
        CACHE_CONFIG,
    ),
    (
        "cloudflare-cache-ttls-match-settings",
        tokens.CF_RULESET,
        {"phase": "http_request_cache_settings", "rules": cache_ruleset_rules()},
        {
            "phase": "http_request_cache_settings",
            "rules": _api_params(browserTtl={"mode": "override_origin", "default": 60.0}),
        },
        "settings say bypass",
        CACHE_CONFIG,
    ),
    (
        "cloudflare-cache-ttls-match-settings",
        tokens.CF_RULESET,
        {"phase": "http_request_firewall_custom", "rules": []},
        {"phase": "http_request_cache_settings", "rules": cache_ruleset_rules()},
        "no cacheRules in the policy config",
        {},
    ),
    (
        "alb-https-only",
        tokens.LB_LISTENER,
        {"protocol": "HTTPS", "sslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06"},
        {"protocol": "HTTPS", "sslPolicy": "ELBSecurityPolicy-2016-08"},
        "TLS >= 1.2",
        {},
    ),
    (
        "alb-https-only",
        tokens.LB_LISTENER,
        {
            "protocol": "HTTP",
            "defaultActions": [{"type": "redirect", "redirect": {"protocol": "HTTPS"}}],
        },
        {"protocol": "HTTP", "defaultActions": [{"type": "forward"}]},
        "without redirecting",
        {},
    ),
    (
        "alb-https-only",
        tokens.LB_LISTENER,
        {"protocol": "TCP", "port": 5557, "defaultActions": [{"type": "forward"}]},
        {"protocol": "HTTP", "port": 5557, "defaultActions": [{"type": "forward"}]},
        "without redirecting",
        {},
    ),
    *[
        (
            "cloudflare-api-token-zone-scoped",
            tokens.CF_API_TOKEN,
            {"policies": [_token_policy(PURGE_GROUP, ZONE_KEY)]},
            {"policies": [failing]},
            fragment,
            {},
        )
        for failing, fragment in (
            (_token_policy("", ZONE_KEY), "names no permission group id"),
            ({"effect": "allow", "resources": json.dumps({ZONE_KEY: "*"})}, "no permission group"),
            (_token_policy(PURGE_GROUP, "com.cloudflare.api.account.zone.*"), "not one named zone"),
            (_token_policy(PURGE_GROUP, "com.cloudflare.api.account.0123"), "not one named zone"),
            (_token_policy(PURGE_GROUP, None), "names no resources"),
        )
    ],
    (
        "cloudflare-api-token-zone-scoped",
        tokens.CF_API_TOKEN,
        {"policies": [_token_policy(PURGE_GROUP, ZONE_KEY)]},
        {"policies": []},
        "has no policy",
        {},
    ),
    (
        "cloudtrail-log-file-validation",
        tokens.CLOUDTRAIL_TRAIL,
        {"enableLogFileValidation": True},
        {"enableLogFileValidation": False},
        "log file validation",
        {},
    ),
    (
        "cloudtrail-multi-region",
        tokens.CLOUDTRAIL_TRAIL,
        {"isMultiRegionTrail": True},
        {},
        "one region",
        {},
    ),
    (
        "kms-key-rotation",
        tokens.KMS_KEY,
        {"enableKeyRotation": True},
        {"enableKeyRotation": False},
        "does not rotate",
        {},
    ),
    (
        "dynamodb-pitr-enabled",
        tokens.DYNAMODB_TABLE,
        {"pointInTimeRecovery": {"enabled": True}},
        {"pointInTimeRecovery": {"enabled": False}},
        "point-in-time",
        {},
    ),
    ("sns-topic-encrypted", tokens.SNS_TOPIC, {"kmsMasterKeyId": "alias/k"}, {}, "not KMS", {}),
    (
        "alarm-notifies",
        tokens.CLOUDWATCH_ALARM,
        {"alarmActions": ["arn:t"]},
        {"alarmActions": []},
        "no alarm actions",
        {},
    ),
]
