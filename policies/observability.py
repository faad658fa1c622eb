"""Audit, encryption and recovery policies: CloudTrail log-file validation, KMS key rotation,
DynamoDB point-in-time recovery, encrypted alert topics, alarms that notify someone."""

from __future__ import annotations

from collections.abc import Callable

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)

from policies import tokens
from policies.resources import is_set


def _check(
    token: str, ok: Callable[[ResourceValidationArgs], bool], message: str
) -> Callable[[ResourceValidationArgs, ReportViolation], None]:
    """A resource validation for one type: report `message` (formatted with the name) unless ok."""

    def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
        if args.resource_type == token and not ok(args):
            report(message.format(name=args.name), None)

    return validate


POLICIES = [
    ResourceValidationPolicy(
        name="cloudtrail-log-file-validation",
        description="CloudTrail trails enable log file integrity validation.",
        validate=_check(
            tokens.CLOUDTRAIL_TRAIL,
            lambda a: a.props.get("enableLogFileValidation") is True,
            "trail {name} does not enable log file validation",
        ),
        enforcement_level=EnforcementLevel.MANDATORY,
    ),
    ResourceValidationPolicy(
        name="cloudtrail-multi-region",
        description="CloudTrail trails record every region.",
        validate=_check(
            tokens.CLOUDTRAIL_TRAIL,
            lambda a: a.props.get("isMultiRegionTrail") is True,
            "trail {name} records one region only",
        ),
        enforcement_level=EnforcementLevel.ADVISORY,
    ),
    ResourceValidationPolicy(
        name="kms-key-rotation",
        description="Symmetric KMS keys rotate automatically.",
        validate=_check(
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
        validate=_check(
            tokens.DYNAMODB_TABLE,
            lambda a: (a.props.get("pointInTimeRecovery") or {}).get("enabled") is True,
            "table {name} has no point-in-time recovery",
        ),
        enforcement_level=EnforcementLevel.MANDATORY,
    ),
    ResourceValidationPolicy(
        name="sns-topic-encrypted",
        description="SNS topics are encrypted with KMS.",
        validate=_check(
            tokens.SNS_TOPIC,
            lambda a: is_set(a.props, "kmsMasterKeyId"),
            "topic {name} is not KMS-encrypted",
        ),
        enforcement_level=EnforcementLevel.ADVISORY,
    ),
    ResourceValidationPolicy(
        name="alarm-notifies",
        description="CloudWatch alarms send their ALARM state somewhere (alarmActions).",
        validate=_check(
            tokens.CLOUDWATCH_ALARM,
            lambda a: is_set(a.props, "alarmActions"),
            "alarm {name} has no alarm actions: nobody is told",
        ),
        enforcement_level=EnforcementLevel.ADVISORY,
    ),
]
