"""The offline policy check: run the program in-process, feed its resources to the pack.

`check_stack` runs the Pulumi program under mocks (`stacks.engine.run_program`, no CLI, no
cloud credentials), converts each `ResourceRecord` into the arguments CrossGuard passes to
validate functions (`ResourceValidationArgs` per custom resource, one `StackValidationArgs`
with every resource), runs every enabled policy and collects the violations it reports.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import unknown_checking_proxy

from policies.config import settings_config
from policies.pack import (
    PolicyConfig,
    all_policies,
    enforcement_level,
    load_config,
    merge,
    properties,
)
from stacks.engine import ResourceRecord, run_program
from stacks.settings import Settings, SettingsError, load_file, stack_file

Program = Callable[[Settings], Any]
"""What the check runs: `stacks.program.build` or a test's variant of it."""


class PolicyCrashed(RuntimeError):
    """A validate function raised: a bug in the policy (or an input shape it never saw)."""


@dataclass(frozen=True)
class Violation:
    """One reported violation."""

    policy: str
    level: EnforcementLevel
    urn: str
    """The resource's URN ("" when a stack policy reported the stack as a whole)."""
    resource: str
    """The resource's Pulumi name (or "<stack>")."""
    message: str


@dataclass(frozen=True)
class CheckReport:
    """What a check found over one stack."""

    stack: str
    policies: tuple[str, ...]
    """Names of the policies that ran (disabled ones excluded)."""
    resources: int
    violations: tuple[Violation, ...]
    records: tuple[ResourceRecord, ...] = field(repr=False, default=())

    @property
    def mandatory(self) -> list[Violation]:
        return [v for v in self.violations if v.level == EnforcementLevel.MANDATORY]

    @property
    def advisory(self) -> list[Violation]:
        return [v for v in self.violations if v.level == EnforcementLevel.ADVISORY]

    @property
    def passed(self) -> bool:
        """No mandatory violation."""
        return not self.mandatory


def build_program(settings: Settings) -> Any:
    """The stack's real program (`stacks.program.build`), imported when first needed."""
    from stacks.program import build

    return build(settings)


def load_target(target: str | Path | Settings) -> tuple[Settings, dict[str, Any]]:
    """Settings and the stack file's `config:` block, from a stack name, a file or settings."""
    if isinstance(target, Settings):
        return target, {}
    path = Path(target) if isinstance(target, Path) else stack_file(target)
    settings = load_file(path)
    try:
        document = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise SettingsError(str(path), [("<file>", str(exc))]) from None
    return settings, dict(document.get("config") or {})


def run_stack(
    target: str | Path | Settings, program: Program = build_program
) -> tuple[Settings, list[ResourceRecord]]:
    """Run the program for a stack under offline mocks; its settings and resource records."""
    settings, config = load_target(target)
    records = run_program(lambda: program(settings), stack=settings.stack, config=config)
    return settings, records


def _identifiers(record: ResourceRecord) -> tuple[set[str], set[str]]:
    """(exact identifiers, long identifiers that may appear inside documents) of a resource."""
    state = record.state
    exact = {record.id, *(str(state.get(k) or "") for k in ("name", "bucket", "arn", "url", "id"))}
    contained = {str(state.get(k) or "") for k in ("arn", "url")}
    return {v for v in exact if v}, {v for v in contained if len(v) > 20}


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


def property_dependencies(
    record: ResourceRecord, by_urn: Mapping[str, ResourceRecord]
) -> dict[str, list[str]]:
    """Input name -> URNs it refers to, by matching input values with dependencies' outputs.

    The engine's records keep dependencies per resource, not per input; the ids, names,
    ARNs and URLs the mocks gave the dependencies tell which input holds which reference.
    """
    result: dict[str, list[str]] = {}
    for key, value in record.inputs.items():
        strings = list(_strings(value))
        for urn in record.dependencies:
            dependency = by_urn.get(urn)
            if dependency is None:
                continue
            exact, contained = _identifiers(dependency)
            if any(s in exact or any(c in s for c in contained) for s in strings):
                result.setdefault(key, []).append(urn)
    return result


def _options(record: ResourceRecord) -> PolicyResourceOptions:
    return PolicyResourceOptions(
        protect=False,
        ignore_changes=[],
        delete_before_replace=None,
        aliases=[],
        custom_timeouts=PolicyCustomTimeouts(0, 0, 0),
        additional_secret_outputs=[],
        parent=record.parent or None,
    )


def policy_resources(records: Sequence[ResourceRecord]) -> list[PolicyResource]:
    """Every record as the `PolicyResource` a stack validation sees, links resolved."""
    by_urn = {r.urn: r for r in records}
    resources = {
        r.urn: PolicyResource(
            r.type, unknown_checking_proxy(r.inputs), r.urn, r.name, _options(r), None, None, [], {}
        )
        for r in records
    }
    for record in records:
        resource = resources[record.urn]
        resource.parent = resources.get(record.parent)
        resource.dependencies = [resources[d] for d in record.dependencies if d in resources]
        resource.property_dependencies = {
            key: [resources[u] for u in urns]
            for key, urns in property_dependencies(record, by_urn).items()
        }
    return list(resources.values())


def resource_args(record: ResourceRecord, config: Mapping[str, Any]) -> ResourceValidationArgs:
    """The arguments of a resource validation for one record."""
    return ResourceValidationArgs(
        record.type,
        unknown_checking_proxy(record.inputs),
        record.urn,
        record.name,
        _options(record),
        None,
        dict(config),
    )


def _name_of(urn: str) -> str:
    return urn.rsplit("::", 1)[-1] if urn else "<stack>"


def run_policies(
    records: Sequence[ResourceRecord],
    config: PolicyConfig,
    policies: Sequence[Policy] | None = None,
) -> tuple[list[str], list[Violation]]:
    """Run each enabled policy over the records; the names that ran and their violations."""
    policies = all_policies() if policies is None else list(policies)
    stack_resources = policy_resources(records)
    ran: list[str] = []
    violations: list[Violation] = []
    for policy in policies:
        level = enforcement_level(policy, config)
        if level == EnforcementLevel.DISABLED:
            continue
        if level == EnforcementLevel.REMEDIATE:
            level = EnforcementLevel.MANDATORY
        ran.append(policy.name)
        policy_config = properties(policy, config)

        def report(
            message: str,
            urn: str | None = None,
            *,
            _policy: Policy = policy,
            _level: EnforcementLevel = level,
            _default_urn: str = "",
        ) -> None:
            target = urn or _default_urn
            violations.append(Violation(_policy.name, _level, target, _name_of(target), message))

        if isinstance(policy, ResourceValidationPolicy):
            for record in records:
                if not record.custom:
                    continue
                args = resource_args(record, policy_config)
                _call(
                    policy,
                    args,
                    lambda m, u=None, _r=record.urn: report(m, u, _default_urn=_r),
                    record.urn,
                )
        elif isinstance(policy, StackValidationPolicy):
            _call(policy, StackValidationArgs(stack_resources, policy_config), report, "<stack>")
    return ran, violations


def _call(policy: Any, args: Any, report: Callable[..., None], where: str) -> None:
    try:
        policy.validate(args, report)
    except Exception as exc:
        if type(exc).__name__ == "_NotApplicableError":
            return
        raise PolicyCrashed(f"policy {policy.name} failed on {where}: {exc!r}") from exc


def check_stack(
    target: str | Path | Settings,
    *,
    program: Program = build_program,
    policy_config: Path | str | None = None,
) -> CheckReport:
    """Run the program for a stack (name, stack file or settings) and check every policy."""
    settings, records = run_stack(target, program)
    config = merge(
        load_config(policy_config) if policy_config else load_config(), settings_config(settings)
    )
    ran, violations = run_policies(records, config)
    return CheckReport(
        stack=settings.stack,
        policies=tuple(ran),
        resources=len(records),
        violations=tuple(violations),
        records=tuple(records),
    )
