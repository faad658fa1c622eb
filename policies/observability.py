"""Audit, encryption and recovery policies: CloudTrail log-file validation, KMS key rotation,
DynamoDB point-in-time recovery, encrypted alert topics, alarms that notify someone."""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, ResourceValidationPolicy

from policies import tokens
from policies.resources import is_set, resource_check

POLICIES = [
    ResourceValidationPolicy(
        name="cloudtrail-log-file-validation",
        description="CloudTrail trails enable log file integrity validation.",
        validate=resource_check(
            tokens.CLOUDTRAIL_TRAIL,
            lambda a: a.props.get("enableLogFileValidation") is True,
            "trail {name} does not enable log file validation",
        ),
        enforcement_level=EnforcementLevel.MANDATORY,
    ),
    ResourceValidationPolicy(
        name="cloudtrail-multi-region",
        description="CloudTrail trails record every region.",
        validate=resource_check(
            tokens.CLOUDTRAIL_TRAIL,
            lambda a: a.props.get("isMultiRegionTrail") is True,
            "trail {name} records one region only",
        ),
        enforcement_level=EnforcementLevel.ADVISORY,
    ),
    ResourceValidationPolicy(
        name="kms-key-rotation",
        description="Symmetric KMS keys rotate automatically.",
        validate=resource_check(
            tokens.KMS_KEY,
            lambda a: (
                a.props.get("enableKeyRotation") is True
                or str(a.props.get("customerMasterKeySpec") or "SYMMETRIC_DEFAULT")
                != "SYMMETRIC_DEFAULT"
            ),
            "KMS key {name} does not rotate (enableKeyRotation is not true)",
        ),
        enforcement_level=EnforcementLevel.MANDATORY,
    ),
    ResourceValidationPolicy(
        name="dynamodb-pitr-enabled",
        description="DynamoDB tables have point-in-time recovery on.",
        validate=resource_check(
            tokens.DYNAMODB_TABLE,
            lambda a: (a.props.get("pointInTimeRecovery") or {}).get("enabled") is True,
            "table {name} has no point-in-time recovery",
        ),
        enforcement_level=EnforcementLevel.MANDATORY,
    ),
    ResourceValidationPolicy(
        name="sns-topic-encrypted",
        description="SNS topics are encrypted with KMS.",
        validate=resource_check(
            tokens.SNS_TOPIC,
            lambda a: is_set(a.props, "kmsMasterKeyId"),
            "topic {name} is not KMS-encrypted",
        ),
        enforcement_level=EnforcementLevel.ADVISORY,
    ),
    ResourceValidationPolicy(
        name="alarm-notifies",
        description="CloudWatch alarms send their ALARM state somewhere (alarmActions).",
        validate=resource_check(
            tokens.CLOUDWATCH_ALARM,
            lambda a: is_set(a.props, "alarmActions"),
            "alarm {name} has no alarm actions: nobody is told",
        ),
        enforcement_level=EnforcementLevel.ADVISORY,
    ),
]
