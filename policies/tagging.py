"""Tagging policy: every taggable AWS resource carries the standard tags."""

from __future__ import annotations

from collections.abc import Mapping

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)

from policies.resources import as_list
from policies.tokens import accepts_tags

REQUIRED_TAGS = ("service", "stack", "owner", "data-class")


def _tags(value: object) -> dict[str, str]:
    """Tags as a mapping; some resources take a list of {key, value} instead."""
    if isinstance(value, Mapping):
        return {str(k): str(v) for k, v in value.items() if v not in (None, "")}
    return {
        str(t.get("key")): str(t.get("value"))
        for t in as_list(value)
        if isinstance(t, Mapping) and t.get("value") not in (None, "")
    }


def _required_tags(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if not args.resource_type.startswith("aws:") or not accepts_tags(args.resource_type):
        return
    required = tuple(args.get_config().get("requiredTags", REQUIRED_TAGS))
    present = _tags(args.props.get("tags"))
    missing = [tag for tag in required if tag not in present]
    if missing:
        report(f"{args.resource_type.rsplit(':', 1)[-1]} {args.name} lacks tags {missing}", None)


POLICIES = [
    ResourceValidationPolicy(
        name="aws-required-tags",
        description="Every taggable AWS resource has the tags service, stack, owner, data-class.",
        validate=_required_tags,
        enforcement_level=EnforcementLevel.MANDATORY,
        config_schema=PolicyConfigSchema(
            {"requiredTags": {"type": "array", "items": {"type": "string"}}}
        ),
    ),
]
