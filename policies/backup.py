"""AWS Backup policies: every bucket selected, retention long enough, continuous backup on,
vaults locked and KMS-encrypted, the daily rule copied to another region."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from policies import tokens
from policies.resources import (
    as_list,
    is_set,
    label,
    number,
    of_type,
    referenced,
    resource_check,
)

S3_WILDCARDS = frozenset({"*", "arn:aws:s3:::*"})


def _tag_conditions(
    selection: PolicyResource,
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(any-of STRINGEQUALS selection tags, all-of string-equals conditions) as (key, value)."""
    any_of = [
        (str(t.get("key")), str(t.get("value")))
        for t in as_list(selection.props.get("selectionTags"))
        if str(t.get("type", "")).upper() == "STRINGEQUALS"
    ]
    all_of = []
    for condition in as_list(selection.props.get("conditions")):
        for equal in as_list(condition.get("stringEquals")):
            key = str(equal.get("key", "")).removeprefix("aws:ResourceTag/")
            all_of.append((key, str(equal.get("value"))))
    return any_of, all_of


def _selects(selection: PolicyResource, bucket: PolicyResource) -> bool:
    name = bucket.props.get("bucket")
    arn = f"arn:aws:s3:::{name}" if name else None
    resources = set(as_list(selection.props.get("resources")))
    if arn and arn in set(as_list(selection.props.get("notResources"))):
        return False
    if arn and arn in resources:
        return True
    if resources and not resources & S3_WILDCARDS:
        return False
    tags: Mapping[str, Any] = bucket.props.get("tags") or {}
    any_of, all_of = _tag_conditions(selection)
    if not any_of and not all_of:
        return bool(resources)
    tag_match = not any_of or any(tags.get(k) == v for k, v in any_of)
    return tag_match and all(tags.get(k) == v for k, v in all_of)


def _every_bucket_selected(args: StackValidationArgs, report: ReportViolation) -> None:
    selections = of_type(args.resources, tokens.BACKUP_SELECTION)
    for bucket in of_type(args.resources, tokens.S3_BUCKET):
        if not any(_selects(s, bucket) for s in selections):
            tags = bucket.props.get("tags") or {}
            report(
                f"bucket {label(bucket)} is in no backup selection (its tags {dict(tags)} match "
                f"no selection's tag condition)",
                bucket.urn,
            )


def _rules(args: ResourceValidationArgs) -> list[Mapping[str, Any]]:
    return (
        list(as_list(args.props.get("rules"))) if args.resource_type == tokens.BACKUP_PLAN else []
    )


def _retention(args: ResourceValidationArgs, report: ReportViolation) -> None:
    minimum = number(args.get_config().get("minRetentionDays", 30)) or 30.0
    for rule in _rules(args):
        if rule.get("enableContinuousBackup") is True:
            continue
        name = rule.get("ruleName")
        days = number((rule.get("lifecycle") or {}).get("deleteAfter"))
        if days is not None and days < minimum:
            report(
                f"backup plan {args.name} rule {name!r} keeps recovery points {days:g} days; "
                f"hourly/daily rules must keep them >= {minimum:g} days",
                None,
            )
        for copy in as_list(rule.get("copyActions")):
            copy_days = number((copy.get("lifecycle") or {}).get("deleteAfter"))
            if copy_days is not None and copy_days < minimum:
                report(
                    f"backup plan {args.name} rule {name!r} copies are kept {copy_days:g} days "
                    f"(< {minimum:g})",
                    None,
                )


def _continuous(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != tokens.BACKUP_PLAN:
        return
    minimum = number(args.get_config().get("minRetentionDays", 7)) or 7.0
    continuous = [r for r in _rules(args) if r.get("enableContinuousBackup") is True]
    if not continuous:
        report(
            f"backup plan {args.name} has no continuous backup rule (no point-in-time restore)",
            None,
        )
    for rule in continuous:
        days = number((rule.get("lifecycle") or {}).get("deleteAfter"))
        if days is None or not minimum <= days <= 35:
            report(
                f"backup plan {args.name} continuous rule {rule.get('ruleName')!r} keeps "
                f"{days} days; expected {minimum:g}..35",
                None,
            )


def _cross_region_copy(args: ResourceValidationArgs, report: ReportViolation) -> None:
    rules = [r for r in _rules(args) if r.get("enableContinuousBackup") is not True]
    if args.resource_type == tokens.BACKUP_PLAN and not any(
        as_list(r.get("copyActions")) for r in rules
    ):
        report(f"backup plan {args.name} copies no snapshot rule to another vault/region", None)


def _vault_locked(args: StackValidationArgs, report: ReportViolation) -> None:
    minimum = number(args.get_config().get("minRetentionDays", 7)) or 7.0
    vaults = of_type(args.resources, tokens.BACKUP_VAULT)
    locks = of_type(args.resources, tokens.BACKUP_VAULT_LOCK)
    for vault in vaults:
        attached = [lock for lock in locks if vault in referenced(lock, "backupVaultName", vaults)]
        if not attached:
            report(f"backup vault {label(vault)} has no vault lock", vault.urn)
        for lock in attached:
            days = number(lock.props.get("minRetentionDays"))
            if days is None or days < minimum:
                report(
                    f"backup vault {label(vault)} lock allows deleting recovery points after "
                    f"{days} days (< {minimum:g})",
                    vault.urn,
                )


POLICIES = [
    StackValidationPolicy(
        name="backup-every-bucket-selected",
        description="Every bucket is covered by a backup selection (its tags match a selection's "
        "tag condition, or the selection names it).",
        validate=_every_bucket_selected,
        enforcement_level=EnforcementLevel.MANDATORY,
    ),
    ResourceValidationPolicy(
        name="backup-retention-minimum",
        description="Hourly and daily backup rules (and their copies) keep recovery points at "
        "least minRetentionDays (default 30).",
        validate=_retention,
        enforcement_level=EnforcementLevel.MANDATORY,
        config_schema=PolicyConfigSchema({"minRetentionDays": {"type": "integer", "default": 30}}),
    ),
    ResourceValidationPolicy(
        name="backup-continuous-enabled",
        description="Backup plans have a continuous (point-in-time) rule kept between "
        "minRetentionDays (default 7) and 35 days.",
        validate=_continuous,
        enforcement_level=EnforcementLevel.MANDATORY,
        config_schema=PolicyConfigSchema({"minRetentionDays": {"type": "integer", "default": 7}}),
    ),
    ResourceValidationPolicy(
        name="backup-cross-region-copy",
        description="Backup plans copy a snapshot rule to another vault (another region).",
        validate=_cross_region_copy,
        enforcement_level=EnforcementLevel.ADVISORY,
    ),
    StackValidationPolicy(
        name="backup-vault-locked",
        description="Every backup vault has a vault lock whose minimum retention is at least "
        "minRetentionDays (default 7).",
        validate=_vault_locked,
        enforcement_level=EnforcementLevel.MANDATORY,
        config_schema=PolicyConfigSchema({"minRetentionDays": {"type": "integer", "default": 7}}),
    ),
    ResourceValidationPolicy(
        name="backup-vault-kms-encrypted",
        description="Backup vaults are encrypted with a customer-managed KMS key.",
        validate=resource_check(
            tokens.BACKUP_VAULT,
            lambda a: is_set(a.props, "kmsKeyArn"),
            "backup vault {name} is not encrypted with a customer-managed KMS key",
        ),
        enforcement_level=EnforcementLevel.MANDATORY,
    ),
]
