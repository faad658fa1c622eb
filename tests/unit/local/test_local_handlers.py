"""Pure parts of the local engine: input translation, policy filtering, emulation table."""

from __future__ import annotations

import pytest

from local.emulation import emulation_of
from local.moto_handlers import HANDLERS, enforceable_policy, lifecycle_rule


def test_lifecycle_rule_translates_every_field() -> None:
    rule = lifecycle_rule(
        {
            "id": "tiers",
            "status": "Enabled",
            "filter": {"prefix": "audio/"},
            "transitions": [
                {"days": 30.0, "storageClass": "STANDARD_IA"},
                {"days": 90.0, "storageClass": "GLACIER_IR"},
            ],
            "expiration": {"days": 400.0},
            "noncurrentVersionExpiration": {"noncurrentDays": 30.0},
            "abortIncompleteMultipartUpload": {"daysAfterInitiation": 7.0},
        }
    )
    assert rule == {
        "ID": "tiers",
        "Status": "Enabled",
        "Filter": {"Prefix": "audio/"},
        "Transitions": [
            {"Days": 30, "StorageClass": "STANDARD_IA"},
            {"Days": 90, "StorageClass": "GLACIER_IR"},
        ],
        "Expiration": {"Days": 400},
        "NoncurrentVersionExpiration": {"NoncurrentDays": 30},
        "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7},
    }


def test_lifecycle_rule_keeps_an_expired_delete_marker_action() -> None:
    rule = lifecycle_rule(
        {
            "id": "remove-user-copy-markers",
            "filter": {"prefix": "watermarked/"},
            "expiration": {"expiredObjectDeleteMarker": True},
        }
    )
    assert rule["Expiration"] == {"ExpiredObjectDeleteMarker": True}


def test_conditional_denies_are_dropped_and_named() -> None:
    allow = {"Sid": "Logs", "Effect": "Allow", "Principal": {"Service": "logging.s3.amazonaws.com"}}
    deny = {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    plain_deny = {"Sid": "NoDelete", "Effect": "Deny", "Principal": "*", "Action": "s3:Delete*"}
    kept, dropped = enforceable_policy(
        {"Version": "2012-10-17", "Statement": [allow, deny, plain_deny]}
    )
    assert kept["Statement"] == [allow, plain_deny]
    assert dropped == ["DenyInsecureTransport"]


@pytest.mark.parametrize(
    ("type_token", "status"),
    [
        ("aws:s3/bucket:Bucket", "emulated"),
        ("aws:cloudwatch/metricAlarm:MetricAlarm", "emulated"),
        ("aws:kms/key:Key", "stood-in"),
        ("aws:ecs/service:Service", "stood-in"),
        ("aws:cloudwatch/logGroup:LogGroup", "stood-in"),
        ("cloudflare:index/ruleset:Ruleset", "stood-in"),
        ("aws:secretsmanager/secret:Secret", "stood-in"),
        ("aws:glue/catalogTable:CatalogTable", "stood-in"),
        ("aws:athena/workgroup:Workgroup", "stood-in"),
        ("aws:backup/plan:Plan", "not-emulated"),
        ("aws:iam/role:Role", "not-emulated"),
        (
            "aws:s3/bucketIntelligentTieringConfiguration:BucketIntelligentTieringConfiguration",
            "not-emulated",
        ),
        ("aws:sagemaker/domain:Domain", "not-emulated"),
        ("pulumi:providers:aws", "provider"),
    ],
)
def test_emulation_table(type_token: str, status: str) -> None:
    emulation = emulation_of(type_token)
    assert emulation.status == status
    assert status in {"emulated", "provider"} or emulation.detail


def test_alarms_say_they_are_never_evaluated() -> None:
    assert "never evaluated" in emulation_of("aws:cloudwatch/metricAlarm:MetricAlarm").detail


def test_every_handler_type_is_emulated() -> None:
    assert all(emulation_of(t).status == "emulated" for t in HANDLERS)
    assert emulation_of("media-infra:storage:MediaStorage", custom=False).status == "component"
