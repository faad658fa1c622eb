"""Standard tags, applied in one place: a stack transformation over every AWS resource.

`register_standard_tags(settings)` merges `settings.tags` (service, stack, owner,
data-class and the stack's extra tags) into the `tags` input of every AWS resource whose
class accepts `tags`. Components never pass the standard tags; resource-specific tags they
do pass (e.g. the backup selection tag) are kept and win over a standard tag of the same key.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pulumi

from stacks.settings import Settings

AWS_TYPE_PREFIX = "aws:"
TAGS = "tags"

Transformation = Callable[
    [pulumi.ResourceTransformationArgs], pulumi.ResourceTransformationResult | None
]


def merge_tags(standard: Mapping[str, str], specific: Mapping[str, str] | None) -> dict[str, str]:
    """Standard tags overlaid with a resource's own tags (its own value wins on a clash)."""
    return {**standard, **(specific or {})}


def is_taggable(type_: str, props: Mapping[str, Any]) -> bool:
    """An AWS resource whose class accepts a `tags` map (generated classes always set the key)."""
    if not type_.startswith(AWS_TYPE_PREFIX) or TAGS not in props:
        return False
    tags = props[TAGS]
    return tags is None or isinstance(tags, Mapping | pulumi.Output)


def standard_tags_transformation(tags: Mapping[str, str]) -> Transformation:
    """A resource transformation that merges `tags` into every taggable AWS resource."""
    standard = dict(tags)

    def transform(
        args: pulumi.ResourceTransformationArgs,
    ) -> pulumi.ResourceTransformationResult | None:
        if not is_taggable(args.type_, args.props):
            return None
        own: Any = args.props[TAGS]
        merged: Any
        if isinstance(own, pulumi.Output):
            merged = own.apply(lambda value: merge_tags(standard, value))
        else:
            merged = merge_tags(standard, own)
        return pulumi.ResourceTransformationResult(
            props={**args.props, TAGS: merged}, opts=args.opts
        )

    return transform


def register_standard_tags(settings: Settings) -> None:
    """Register the standard-tags transformation on the current stack (call before resources)."""
    pulumi.runtime.register_stack_transformation(standard_tags_transformation(settings.tags))
