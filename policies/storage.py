"""S3 policies: no public buckets; every bucket versioned, KMS-encrypted, TLS-only, with a
lifecycle that aborts incomplete multipart uploads and expires noncurrent versions, and
server access logging. In aws 7.x each of these is its own resource, so the "every bucket
has X" rules are stack policies that follow the sub-resource's `bucket` reference."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
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
    principals,
    referenced,
    statements,
)

PUBLIC_ACLS = frozenset({"public-read", "public-read-write", "authenticated-read"})
PUBLIC_GRANTEES = (
    "http://acs.amazonaws.com/groups/global/AllUsers",
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
)
PUBLIC_ACCESS_FLAGS = (
    "blockPublicAcls",
    "blockPublicPolicy",
    "ignorePublicAcls",
    "restrictPublicBuckets",
)


def _no_public_access(args: ResourceValidationArgs, report: ReportViolation) -> None:
    props = args.props
    if args.resource_type == tokens.S3_BUCKET:
        if props.get("acl") in PUBLIC_ACLS:
            report(f"bucket {_label_of(args)} has the public canned ACL {props.get('acl')!r}", None)
    elif args.resource_type == tokens.S3_BUCKET_ACL:
        if props.get("acl") in PUBLIC_ACLS:
            report(f"bucket ACL {args.name} is the public canned ACL {props.get('acl')!r}", None)
        policy = props.get("accessControlPolicy") or {}
        for grant in as_list(policy.get("grants")):
            if (grant.get("grantee") or {}).get("uri") in PUBLIC_GRANTEES:
                report(f"bucket ACL {args.name} grants {grant.get('permission')} to everyone", None)
    elif args.resource_type == tokens.S3_PUBLIC_ACCESS_BLOCK:
        off = [flag for flag in PUBLIC_ACCESS_FLAGS if props.get(flag) is not True]
        if off:
            report(f"public access block {args.name} does not set {', '.join(off)} to true", None)
    elif args.resource_type == tokens.S3_POLICY:
        for statement in statements(props.get("policy")):
            if (
                statement.get("Effect") == "Allow"
                and "*" in principals(statement)
                and not statement.get("Condition")
            ):
                report(
                    f"bucket policy {args.name} allows {statement.get('Action')} to any principal",
                    None,
                )


def _label_of(args: ResourceValidationArgs) -> str:
    bucket = args.props.get("bucket")
    return f"{args.name} ({bucket})" if isinstance(bucket, str) and bucket else args.name


def _every_bucket(
    sub_token: str, what: str, ok: Callable[[Mapping[str, Any]], str | None]
) -> Callable[[StackValidationArgs, ReportViolation], None]:
    """A stack validation: each bucket needs a `sub_token` resource for which `ok` is None.

    `ok(props)` returns None when the sub-resource is right, else what is wrong with it.
    """

    def validate(args: StackValidationArgs, report: ReportViolation) -> None:
        buckets = of_type(args.resources, tokens.S3_BUCKET)
        subs = of_type(args.resources, sub_token)
        for bucket in buckets:
            attached = [s for s in subs if bucket in referenced(s, "bucket", buckets)]
            if not attached:
                report(f"bucket {label(bucket)} has no {what}", bucket.urn)
                continue
            problems = [p for p in (ok(s.props) for s in attached) if p]
            if len(problems) == len(attached):
                report(f"bucket {label(bucket)}: {'; '.join(problems)}", bucket.urn)

    return validate


def _versioning_enabled(props: Mapping[str, Any]) -> str | None:
    status = (props.get("versioningConfiguration") or {}).get("status")
    return None if status == "Enabled" else f"versioning status is {status!r}, not 'Enabled'"


def _sse_kms(props: Mapping[str, Any]) -> str | None:
    for rule in as_list(props.get("rules")):
        default = rule.get("applyServerSideEncryptionByDefault") or {}
        if default.get("sseAlgorithm") not in ("aws:kms", "aws:kms:dsse"):
            return f"default encryption is {default.get('sseAlgorithm')!r}, not aws:kms"
        if not is_set(default, "kmsMasterKeyId"):
            return "SSE-KMS names no KMS key (the AWS managed key cannot be audited or rotated)"
        if rule.get("bucketKeyEnabled") is not True:
            return "S3 bucket keys are not enabled (every object costs a KMS call)"
        return None
    return "encryption configuration has no rule"


def _tls_only(props: Mapping[str, Any]) -> str | None:
    for statement in statements(props.get("policy")):
        condition = statement.get("Condition") or {}
        secure = (condition.get("Bool") or {}).get("aws:SecureTransport")
        if statement.get("Effect") == "Deny" and str(secure).lower() == "false":
            return None
    return "bucket policy has no Deny statement on aws:SecureTransport = false"


def _enabled_rules(props: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [r for r in as_list(props.get("rules")) if r.get("status") == "Enabled"]


def _lifecycle_present(props: Mapping[str, Any]) -> str | None:
    return None if _enabled_rules(props) else "lifecycle configuration has no enabled rule"


def _logging_target(props: Mapping[str, Any]) -> str | None:
    return None if is_set(props, "targetBucket") else "access logging has no target bucket"


def _access_logging(args: StackValidationArgs, report: ReportViolation) -> None:
    """Every bucket that is not itself a log target logs its access."""
    buckets = of_type(args.resources, tokens.S3_BUCKET)
    loggings = of_type(args.resources, tokens.S3_LOGGING)
    targets = {t.urn for s in loggings for t in referenced(s, "targetBucket", buckets)}
    check = _every_bucket(tokens.S3_LOGGING, "server access logging", _logging_target)
    untargeted = [r for r in args.resources if r.urn not in targets]
    check(StackValidationArgs(untargeted, args.get_config()), report)


def _abort_multipart(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != tokens.S3_LIFECYCLE:
        return
    max_days = number(args.get_config().get("maxDays", 7)) or 7.0
    days = [
        number((rule.get("abortIncompleteMultipartUpload") or {}).get("daysAfterInitiation"))
        for rule in _enabled_rules(args.props)
        if not _has_prefix_filter(rule)
    ]
    if not any(d is not None and d <= max_days for d in days):
        report(
            f"lifecycle {args.name} does not abort incomplete multipart uploads for the whole "
            f"bucket within {max_days:g} days",
            None,
        )


def _has_prefix_filter(rule: Mapping[str, Any]) -> bool:
    rule_filter = rule.get("filter") or {}
    return bool(rule_filter.get("prefix") or rule_filter.get("tag") or rule_filter.get("and"))


def _noncurrent_expiry(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != tokens.S3_LIFECYCLE:
        return
    if not any(rule.get("noncurrentVersionExpiration") for rule in _enabled_rules(args.props)):
        report(
            f"lifecycle {args.name} never expires noncurrent versions (they are kept forever)", None
        )


POLICIES = [
    ResourceValidationPolicy(
        name="s3-no-public-access",
        description="No bucket is public: public access blocks set all four flags, no public "
        "ACL, no bucket policy allowing any principal without a condition.",
        validate=_no_public_access,
        enforcement_level=EnforcementLevel.MANDATORY,
    ),
    StackValidationPolicy(
        name="s3-public-access-block-on-every-bucket",
        description="Every bucket has a public access block with all four flags true.",
        validate=_every_bucket(
            tokens.S3_PUBLIC_ACCESS_BLOCK,
            "public access block",
            lambda p: (
                None
                if all(p.get(f) is True for f in PUBLIC_ACCESS_FLAGS)
                else "public access block does not set all four flags"
            ),
        ),
        enforcement_level=EnforcementLevel.MANDATORY,
    ),
    StackValidationPolicy(
        name="s3-versioning-enabled",
        description="Every bucket has versioning enabled (aws:s3/bucketVersioning).",
        validate=_every_bucket(tokens.S3_VERSIONING, "versioning", _versioning_enabled),
        enforcement_level=EnforcementLevel.MANDATORY,
    ),
    StackValidationPolicy(
        name="s3-sse-kms",
        description="Every bucket encrypts by default with SSE-KMS, a named key and bucket keys.",
        validate=_every_bucket(tokens.S3_SSE, "default encryption", _sse_kms),
        enforcement_level=EnforcementLevel.MANDATORY,
    ),
    StackValidationPolicy(
        name="s3-tls-only",
        description="Every bucket policy denies requests that do not use TLS.",
        validate=_every_bucket(tokens.S3_POLICY, "bucket policy", _tls_only),
        enforcement_level=EnforcementLevel.MANDATORY,
    ),
    StackValidationPolicy(
        name="s3-lifecycle-configured",
        description="Every bucket has a lifecycle configuration with at least one enabled rule.",
        validate=_every_bucket(tokens.S3_LIFECYCLE, "lifecycle configuration", _lifecycle_present),
        enforcement_level=EnforcementLevel.MANDATORY,
    ),
    ResourceValidationPolicy(
        name="s3-abort-incomplete-multipart",
        description="Lifecycle configurations abort incomplete multipart uploads bucket-wide "
        "within maxDays (default 7).",
        validate=_abort_multipart,
        enforcement_level=EnforcementLevel.MANDATORY,
        config_schema=PolicyConfigSchema({"maxDays": {"type": "integer", "default": 7}}),
    ),
    ResourceValidationPolicy(
        name="s3-noncurrent-versions-expire",
        description="Lifecycle configurations expire noncurrent object versions.",
        validate=_noncurrent_expiry,
        enforcement_level=EnforcementLevel.ADVISORY,
    ),
    StackValidationPolicy(
        name="s3-access-logging",
        description="Every bucket that is not itself a log target has server access logging.",
        validate=_access_logging,
        enforcement_level=EnforcementLevel.ADVISORY,
    ),
]
