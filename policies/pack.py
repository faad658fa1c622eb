"""The policy pack's contents: every policy, and the enforcement-level mapping.

`policy-config.json` (next to this module) holds one enforcement level per policy, in the
format `pulumi preview --policy-pack-config` reads: `"name": "mandatory"` or
`"name": {"enforcementLevel": "advisory", <property>: <value>}`. A policy it does not name
keeps its default level. The same file drives the pack under the CLI and the offline check.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pulumi_policy import EnforcementLevel, Policy

from policies import backup, delivery, iam, observability, queues, storage, tagging

PACK_NAME = "media-infra"
CONFIG_FILE = Path(__file__).resolve().with_name("policy-config.json")
DOMAINS = (storage, backup, queues, iam, tagging, delivery, observability)

PolicyConfig = dict[str, dict[str, Any]]
"""Policy name -> {"enforcementLevel": level, <property>: value, ...}."""


class PolicyConfigError(ValueError):
    """A policy config names an unknown policy or an invalid enforcement level."""


def all_policies() -> list[Policy]:
    """Every policy of the pack, domain by domain."""
    return [policy for domain in DOMAINS for policy in domain.POLICIES]


def default_level(policy: Policy) -> EnforcementLevel:
    return policy.enforcement_level or EnforcementLevel.ADVISORY


def normalize(config: Mapping[str, Any], *, source: str) -> PolicyConfig:
    """Validate a policy config and give every entry the object form."""
    known = {p.name for p in all_policies()}
    levels = {level.value for level in EnforcementLevel}
    result: PolicyConfig = {}
    for name, value in config.items():
        if name not in known:
            raise PolicyConfigError(f"{source}: {name}: unknown policy")
        entry = {"enforcementLevel": value} if isinstance(value, str) else dict(value)
        level = entry.get("enforcementLevel")
        if level is not None and level not in levels:
            raise PolicyConfigError(
                f"{source}: {name}.enforcementLevel: {level!r} is not one of {sorted(levels)}"
            )
        result[name] = entry
    return result


def load_config(path: Path | str = CONFIG_FILE) -> PolicyConfig:
    """Read and validate a policy config file (JSON)."""
    path = Path(path)
    try:
        document = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise PolicyConfigError(f"{path}: {exc}") from None
    if not isinstance(document, dict):
        raise PolicyConfigError(f"{path}: expected a JSON object of policy name -> config")
    return normalize(document, source=str(path))


def merge(*configs: Mapping[str, Mapping[str, Any]]) -> PolicyConfig:
    """Merge policy configs; later ones win, property by property."""
    result: PolicyConfig = {}
    for config in configs:
        for name, entry in config.items():
            result.setdefault(name, {}).update(entry)
    return result


def enforcement_level(policy: Policy, config: Mapping[str, Mapping[str, Any]]) -> EnforcementLevel:
    """The level a policy runs at under `config` (its default when the config does not say)."""
    level = config.get(policy.name, {}).get("enforcementLevel")
    return EnforcementLevel(level) if level else default_level(policy)


def properties(policy: Policy, config: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """The policy's own config properties (what `args.get_config()` returns)."""
    entry = config.get(policy.name, {})
    return {k: v for k, v in entry.items() if k != "enforcementLevel"}


def initial_config(config: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """`PolicyPack(initial_config=...)`: levels as EnforcementLevel, properties as given."""
    result: dict[str, Any] = {}
    for name, entry in config.items():
        converted = dict(entry)
        if "enforcementLevel" in converted:
            converted["enforcementLevel"] = EnforcementLevel(converted["enforcementLevel"])
        result[name] = converted
    return result
