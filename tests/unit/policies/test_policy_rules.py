"""Every policy: one input that must trigger it and one that must pass (hand-built args)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from policy_harness import (
    TAGS,
    golden_stack,
    resource,
    run_resource,
    run_stack,
    task_policy,
)
from policy_resource_cases import CACHE_CONFIG, RESOURCE_CASES
from pulumi_policy import PolicyResource, ResourceValidationPolicy, StackValidationPolicy
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, unknown_checking_proxy

from policies import tokens
from policies.pack import all_policies


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
