"""IAM policies: ECS task roles get least privilege (no `*` or `service:*` actions, no `*`
resources except for the actions AWS only grants on `*`), nobody gets administrator access."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
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
    Statement,
    as_list,
    label,
    of_type,
    referenced,
    statements,
    trusts_service,
)

ECS_TASKS = "ecs-tasks.amazonaws.com"
WILDCARD_RESOURCE_ACTIONS = (
    "ecr:GetAuthorizationToken",
    "cloudwatch:PutMetricData",
    "sns:ListTopics",
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "ssmmessages:CreateControlChannel",
    "ssmmessages:CreateDataChannel",
    "ssmmessages:OpenControlChannel",
    "ssmmessages:OpenDataChannel",
)
"""Actions that do not support resource-level permissions: `Resource: *` is required."""
ALLOWED_MANAGED_POLICIES = (
    "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy",
)
ADMIN_POLICY_NAMES = ("AdministratorAccess", "PowerUserAccess", "IAMFullAccess")


def _documents(role: PolicyResource, resources: list[PolicyResource]) -> Iterator[tuple[str, Any]]:
    """(where, document) for every policy document that grants `role` permissions."""
    for inline in as_list(role.props.get("inlinePolicies")):
        yield f"inline policy {inline.get('name')!r}", inline.get("policy")
    roles = of_type(resources, tokens.IAM_ROLE)
    for role_policy in of_type(resources, tokens.IAM_ROLE_POLICY):
        if role in referenced(role_policy, "role", roles):
            yield f"role policy {role_policy.name}", role_policy.props.get("policy")
    policies = of_type(resources, tokens.IAM_POLICY)
    for attachment in of_type(resources, tokens.IAM_ROLE_POLICY_ATTACHMENT):
        if role in referenced(attachment, "role", roles):
            for policy in referenced(attachment, "policyArn", policies):
                yield f"policy {policy.name}", policy.props.get("policy")


def _managed_policy_arns(role: PolicyResource, resources: list[PolicyResource]) -> list[str]:
    roles = of_type(resources, tokens.IAM_ROLE)
    arns = [str(a) for a in as_list(role.props.get("managedPolicyArns"))]
    for attachment in of_type(resources, tokens.IAM_ROLE_POLICY_ATTACHMENT):
        arn = attachment.props.get("policyArn")
        if role in referenced(attachment, "role", roles) and str(arn).startswith(
            "arn:aws:iam::aws:policy/"
        ):
            arns.append(str(arn))
    return arns


def wildcard_problems(statement: Statement, resource_actions: tuple[str, ...]) -> list[str]:
    """What is too broad in one Allow statement (empty when it is least-privilege)."""
    if statement.get("Effect") != "Allow":
        return []
    if statement.get("NotAction") or statement.get("NotResource"):
        return ["uses NotAction/NotResource in an Allow statement"]
    actions = [str(a) for a in as_list(statement.get("Action"))]
    problems = [
        f"allows the wildcard action {a!r}" for a in actions if a == "*" or a.endswith(":*")
    ]
    resources = [str(r) for r in as_list(statement.get("Resource"))]
    if "*" in resources and not all(a in resource_actions for a in actions):
        broad = [a for a in actions if a not in resource_actions]
        problems.append(f"allows {broad} on Resource '*'")
    return problems


def _task_roles_least_privilege(args: StackValidationArgs, report: ReportViolation) -> None:
    config = args.get_config()
    resource_actions = tuple(config.get("wildcardResourceActions", WILDCARD_RESOURCE_ACTIONS))
    allowed_managed = tuple(config.get("allowedManagedPolicies", ALLOWED_MANAGED_POLICIES))
    resources = list(args.resources)
    for role in of_type(resources, tokens.IAM_ROLE):
        if not trusts_service(role, ECS_TASKS):
            continue
        for where, doc in _documents(role, resources):
            for statement in statements(doc):
                for problem in wildcard_problems(statement, resource_actions):
                    report(f"ECS task role {label(role)}: {where} {problem}", role.urn)
        for arn in _managed_policy_arns(role, resources):
            if arn not in allowed_managed:
                report(f"ECS task role {label(role)} has the AWS managed policy {arn}", role.urn)


def _admin_statement(statement: Mapping[str, Any]) -> bool:
    return (
        statement.get("Effect") == "Allow"
        and "*" in as_list(statement.get("Action"))
        and "*" in as_list(statement.get("Resource"))
    )


def _no_admin(args: ResourceValidationArgs, report: ReportViolation) -> None:
    props = args.props
    arns: list[Any] = []
    documents: list[Any] = []
    if args.resource_type == tokens.IAM_ROLE_POLICY_ATTACHMENT:
        arns = [props.get("policyArn")]
    elif args.resource_type == tokens.IAM_ROLE:
        arns = as_list(props.get("managedPolicyArns"))
        documents = [p.get("policy") for p in as_list(props.get("inlinePolicies"))]
    elif args.resource_type in (tokens.IAM_POLICY, tokens.IAM_ROLE_POLICY):
        documents = [props.get("policy")]
    for arn in arns:
        if str(arn).rsplit("/", 1)[-1] in ADMIN_POLICY_NAMES:
            report(f"{args.name} grants the administrator policy {arn}", None)
    for doc in documents:
        if any(_admin_statement(s) for s in statements(doc)):
            report(f"{args.name} allows Action '*' on Resource '*' (administrator access)", None)


POLICIES = [
    StackValidationPolicy(
        name="iam-task-role-least-privilege",
        description="ECS task roles have no '*' or 'service:*' actions, no '*' resources (except "
        "actions without resource-level permissions) and no AWS managed policies.",
        validate=_task_roles_least_privilege,
        enforcement_level=EnforcementLevel.MANDATORY,
        config_schema=PolicyConfigSchema(
            {
                "wildcardResourceActions": {"type": "array", "items": {"type": "string"}},
                "allowedManagedPolicies": {"type": "array", "items": {"type": "string"}},
            }
        ),
    ),
    ResourceValidationPolicy(
        name="iam-no-admin-access",
        description="No role or policy grants administrator access.",
        validate=_no_admin,
        enforcement_level=EnforcementLevel.MANDATORY,
    ),
]
