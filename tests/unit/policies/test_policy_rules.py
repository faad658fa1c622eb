"""Every policy: one input that must trigger it and one that must pass (hand-built args)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from policy_harness import (
    CACHE_RULES,
    TAGS,
    backup_rules,
    cache_ruleset_rules,
    golden_stack,
    lifecycle_rules,
    resource,
    run_resource,
    run_stack,
    task_policy,
)
from pulumi_policy import PolicyResource, ResourceValidationPolicy, StackValidationPolicy
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, unknown_checking_proxy

from policies import tokens
from policies.pack import all_policies

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


@pytest.mark.parametrize(
    ("name", "token", "passing", "failing", "fragment", "config"),
    RESOURCE_CASES,
    ids=[f"{c[0]}-{i}" for i, c in enumerate(RESOURCE_CASES)],
)
def test_resource_policy_passes_and_triggers(
    name: str, token: str, passing: dict, failing: dict, fragment: str, config: dict
) -> None:
    assert run_resource(name, token, passing, config) == []
    if fragment == "unused":  # this case only shows a configured or untaggable input passing
        return
    messages = run_resource(name, token, failing, config)
    assert any(fragment in m for m in messages), messages


def _drop(*names: str) -> Callable[[dict[str, PolicyResource]], None]:
    def mutate(stack: dict[str, PolicyResource]) -> None:
        for name in names:
            del stack[name]

    return mutate


def _edit(name: str, **props: Any) -> Callable[[dict[str, PolicyResource]], None]:
    def mutate(stack: dict[str, PolicyResource]) -> None:
        stack[name].props = unknown_checking_proxy({**stack[name].props, **props})

    return mutate


# (policy, mutation of the golden stack, fragment of the message, name of the blamed resource)
STACK_CASES: list[tuple[str, Callable[[dict[str, PolicyResource]], None], str, str | None]] = [
    (
        "s3-public-access-block-on-every-bucket",
        _drop("media-pab"),
        "no public access block",
        "media",
    ),
    (
        "s3-public-access-block-on-every-bucket",
        _edit("logs-pab", ignorePublicAcls=False),
        "all four flags",
        "logs",
    ),
    ("s3-versioning-enabled", _drop("logs-versioning"), "has no versioning", "logs"),
    (
        "s3-versioning-enabled",
        _edit("media-versioning", versioningConfiguration={"status": "Suspended"}),
        "'Suspended'",
        "media",
    ),
    (
        "s3-sse-kms",
        _edit(
            "media-sse", rules=[{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}]
        ),
        "'AES256'",
        "media",
    ),
    (
        "s3-sse-kms",
        _edit(
            "media-sse",
            rules=[
                {
                    "applyServerSideEncryptionByDefault": {
                        "sseAlgorithm": "aws:kms",
                        "kmsMasterKeyId": "k",
                    }
                }
            ],
        ),
        "bucket keys",
        "media",
    ),
    ("s3-tls-only", _edit("logs-policy", policy=task_policy()), "aws:SecureTransport", "logs"),
    ("s3-lifecycle-configured", _drop("logs-lifecycle"), "no lifecycle", "logs"),
    ("s3-access-logging", _drop("media-logging"), "server access logging", "media"),
    ("backup-every-bucket-selected", _edit("media", tags=TAGS), "no backup selection", "media"),
    ("backup-every-bucket-selected", _drop("selection"), "no backup selection", "media"),
    ("backup-vault-locked", _drop("vault-lock"), "no vault lock", "vault"),
    ("backup-vault-locked", _edit("vault-lock", minRetentionDays=1.0), "after 1.0 days", "vault"),
    ("sqs-queue-has-dlq", _edit("scan", redrivePolicy=None), "no dead-letter queue", "scan"),
    (
        "sqs-queue-has-dlq",
        _edit(
            "scan",
            redrivePolicy=json.dumps(
                {"deadLetterTargetArn": "arn:aws:sqs:eu-west-1:1:m-scan-dlq", "maxReceiveCount": 50}
            ),
        ),
        "50.0 times",
        "scan",
    ),
    ("sqs-queue-age-alarm", _drop("scan-age"), "ApproximateAgeOfOldestMessage", "scan"),
    (
        "sqs-dlq-depth-alarm",
        _drop("scan-dlq-depth"),
        "ApproximateNumberOfMessagesVisible",
        "scan-dlq",
    ),
    (
        "iam-task-role-least-privilege",
        _edit("scan-task-policy", policy=task_policy("s3:*", "arn:aws:s3:::m-media/*")),
        "wildcard action 's3:*'",
        "scan-task",
    ),
    (
        "iam-task-role-least-privilege",
        _edit("scan-task-policy", policy=task_policy("s3:GetObject", "*")),
        "on Resource '*'",
        "scan-task",
    ),
    (
        "iam-task-role-least-privilege",
        _edit("scan-task", managedPolicyArns=["arn:aws:iam::aws:policy/AmazonS3FullAccess"]),
        "AmazonS3FullAccess",
        "scan-task",
    ),
    ("cloudflare-brotli-on", _edit("brotli", value="off"), "expected 'on'", "brotli"),
    ("cloudflare-brotli-on", _drop("brotli"), "does not manage the setting 'brotli'", None),
    ("cloudflare-http3-on", _drop("http3"), "'http3'", None),
    ("cloudflare-min-tls-1-2", _edit("min_tls_version", value="1.0"), "'1.0'", "min_tls_version"),
    (
        "cloudflare-always-use-https",
        _edit("always_use_https", value="off"),
        "'off'",
        "always_use_https",
    ),
]


@pytest.mark.parametrize(
    ("name", "mutate", "fragment", "blamed"),
    STACK_CASES,
    ids=[f"{c[0]}-{i}" for i, c in enumerate(STACK_CASES)],
)
def test_stack_policy_passes_and_triggers(
    name: str,
    mutate: Callable[[dict[str, PolicyResource]], None],
    fragment: str,
    blamed: str | None,
) -> None:
    stack = golden_stack()
    assert run_stack(name, list(stack.values())) == []
    mutate(stack)
    reported = run_stack(name, list(stack.values()))
    matching = [(m, urn) for m, urn in reported if fragment in m]
    assert matching, reported
    if blamed is not None:
        assert any(urn and urn.endswith(f"::{blamed}") for _, urn in matching), matching


def test_golden_stack_passes_every_policy() -> None:
    stack = list(golden_stack().values())
    for policy in all_policies():
        if isinstance(policy, StackValidationPolicy):
            assert run_stack(policy.name, stack) == [], policy.name
        else:
            config = CACHE_CONFIG if policy.name.startswith("cloudflare-cache") else {}
            for r in stack:
                assert run_resource(policy.name, r.resource_type, r.props, config) == [], (
                    policy.name,
                    r.name,
                )


def test_every_policy_has_a_trigger_and_a_pass_case() -> None:
    covered = {c[0] for c in RESOURCE_CASES if c[4] != "unused"} | {c[0] for c in STACK_CASES}
    names = {p.name for p in all_policies()}
    assert names - covered == set()
    assert len(names) >= 20


def test_policies_are_kebab_case_described_and_typed() -> None:
    for policy in all_policies():
        assert (
            policy.name == policy.name.lower() and " " not in policy.name and "_" not in policy.name
        )
        assert len(policy.description) > 20
        assert policy.enforcement_level is not None
        assert isinstance(policy, ResourceValidationPolicy | StackValidationPolicy)


def test_bucket_sub_resources_follow_property_dependencies_not_all_dependencies() -> None:
    """The logs bucket's policy depends on every bucket; only its `bucket` input counts."""
    stack = golden_stack()
    stack["logs-policy"].dependencies.append(stack["media"])
    del stack["media-policy"]
    reported = run_stack("s3-tls-only", list(stack.values()))
    assert [urn.rsplit("::", 1)[-1] for _, urn in reported if urn] == ["media"]


def test_sub_resource_found_by_dependency_when_engine_gives_no_property_dependencies() -> None:
    stack = golden_stack()
    for r in stack.values():
        r.property_dependencies = {}
    assert run_stack("s3-versioning-enabled", list(stack.values())) == []
    assert run_stack("backup-vault-locked", list(stack.values())) == []


def test_unselected_explicit_resources_do_not_cover_buckets() -> None:
    stack = golden_stack()
    selection = resource(
        tokens.BACKUP_SELECTION,
        "selection",
        {
            "resources": ["arn:aws:dynamodb:eu-west-1:1:table/t"],
            "selectionTags": [{"type": "STRINGEQUALS", "key": "backup", "value": "media-infra"}],
        },
    )
    stack["selection"] = selection
    reported = run_stack("backup-every-bucket-selected", list(stack.values()))
    assert {urn.rsplit("::", 1)[-1] for _, urn in reported if urn} == {"media", "logs"}


@pytest.mark.parametrize(
    ("name", "token", "key"),
    [
        ("sqs-queue-encrypted", tokens.SQS_QUEUE, "kmsMasterKeyId"),
        ("backup-vault-kms-encrypted", tokens.BACKUP_VAULT, "kmsKeyArn"),
        ("sns-topic-encrypted", tokens.SNS_TOPIC, "kmsMasterKeyId"),
        ("alarm-notifies", tokens.CLOUDWATCH_ALARM, "alarmActions"),
    ],
)
def test_an_input_unknown_in_preview_counts_as_set(name: str, token: str, key: str) -> None:
    assert run_resource(name, token, {key: UNKNOWN_STRING_VALUE}) == []
    assert run_resource(name, token, {key: None}) != []


def test_unknown_key_arn_and_redrive_policy_pass_stack_policies() -> None:
    stack = golden_stack()
    _edit(
        "media-sse",
        rules=[
            {
                "applyServerSideEncryptionByDefault": {
                    "sseAlgorithm": "aws:kms",
                    "kmsMasterKeyId": UNKNOWN_STRING_VALUE,
                },
                "bucketKeyEnabled": True,
            }
        ],
    )(stack)
    _edit("scan", redrivePolicy=UNKNOWN_STRING_VALUE)(stack)
    assert run_stack("s3-sse-kms", list(stack.values())) == []
    assert run_stack("sqs-queue-has-dlq", list(stack.values())) == []
    assert run_stack("sqs-dlq-depth-alarm", list(stack.values())) == []
