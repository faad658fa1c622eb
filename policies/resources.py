"""Helpers the policies share: find resources by type, follow references, read documents.

Inputs arrive as the engine sends them (camelCase names, JSON documents as strings, numbers
as floats). Under the Pulumi CLI a preview's unknown values raise `UnknownValueError` when
read; offline they are None.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from pulumi_policy import PolicyResource, ReportViolation, ResourceValidationArgs
from pulumi_policy.proxy import UnknownValueError

Statement = Mapping[str, Any]


def resource_check(
    token: str, ok: Callable[[ResourceValidationArgs], bool], message: str
) -> Callable[[ResourceValidationArgs, ReportViolation], None]:
    """A resource validation for one type: report `message` (formatted with the name) unless ok."""

    def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
        if args.resource_type == token and not ok(args):
            report(message.format(name=args.name), None)

    return validate


def of_type(resources: Iterable[PolicyResource], token: str) -> list[PolicyResource]:
    """The resources of one type, in registration order."""
    return [r for r in resources if r.resource_type == token]


def referenced(
    resource: PolicyResource, prop: str, candidates: Sequence[PolicyResource]
) -> list[PolicyResource]:
    """The candidates that `resource`'s input `prop` refers to.

    Uses the engine's property dependencies; when it has none for `prop`, falls back to the
    candidates among the resource's dependencies, then to a match of the input's value with a
    candidate's name-like inputs (`bucket`, `name`).
    """
    candidate_urns = {c.urn for c in candidates}
    by_property = [
        d for d in resource.property_dependencies.get(prop, []) if d.urn in candidate_urns
    ]
    if by_property:
        return by_property
    by_dependency = [d for d in resource.dependencies if d.urn in candidate_urns]
    if by_dependency:
        return by_dependency
    value = resource.props.get(prop)
    if not isinstance(value, str) or not value:
        return []
    return [c for c in candidates if value in (c.props.get("bucket"), c.props.get("name"))]


def referencing(
    target: PolicyResource, prop: str, resources: Sequence[PolicyResource]
) -> list[PolicyResource]:
    """The resources among `resources` whose input `prop` refers to `target`."""
    return [r for r in resources if target in referenced(r, prop, [target])]


def is_set(props: Mapping[str, Any], key: str) -> bool:
    """Whether an input is given (non-empty), without failing on a preview's unknown value:
    an input computed from another resource's output (a key ARN) is set, its value unknown."""
    if key not in list(props):  # iterating keys reads no value
        return False
    try:
        value = props[key]
    except UnknownValueError:
        return True
    return value not in (None, "") and not (
        isinstance(value, Mapping | Sequence) and not isinstance(value, str) and len(value) == 0
    )


def as_list(value: Any) -> list[Any]:
    """A value that may be a single item, a list, or missing, as a list."""
    if value is None:
        return []
    if isinstance(value, Sequence) and not isinstance(value, str):
        return list(value)
    return [value]


def document(value: Any) -> Mapping[str, Any]:
    """A JSON policy document given as a string or an object ({} when missing or invalid)."""
    if isinstance(value, Mapping):
        return value
    if isinstance(value, str) and value:
        try:
            parsed = json.loads(value)
        except ValueError:
            return {}
        return parsed if isinstance(parsed, Mapping) else {}
    return {}


def statements(value: Any) -> list[Statement]:
    """The statements of a policy document (string or object)."""
    return [s for s in as_list(document(value).get("Statement")) if isinstance(s, Mapping)]


def principals(statement: Statement) -> list[str]:
    """Every principal of a statement (`"*"` for the anonymous principal)."""
    principal = statement.get("Principal")
    if principal == "*":
        return ["*"]
    if isinstance(principal, Mapping):
        return [str(p) for values in principal.values() for p in as_list(values)]
    return []


def trusts_service(role: PolicyResource, service: str) -> bool:
    """Whether a role's assume-role policy lets `service` (e.g. ecs-tasks.amazonaws.com) in."""
    return any(
        service in principals(s) and s.get("Effect") == "Allow"
        for s in statements(role.props.get("assumeRolePolicy"))
    )


def label(resource: PolicyResource) -> str:
    """How a violation names a resource: its physical name when set, else its Pulumi name."""
    for key in ("bucket", "name"):
        value = resource.props.get(key)
        if isinstance(value, str) and value:
            return f"{resource.name} ({value})" if value != resource.name else value
    return resource.name


def number(value: Any) -> float | None:
    """A numeric input (numbers reach policies as floats, sometimes as strings)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None
