"""Policy config derived from a stack's settings: what "equal to the settings" means.

The policies run where the settings are not loaded (a policy-pack process under the Pulumi
CLI), so the values they compare against travel as policy config properties.
"""

from __future__ import annotations

from policies.pack import PolicyConfig
from stacks.settings import Settings, load_stack, stack_file


def settings_config(settings: Settings) -> PolicyConfig:
    """Per-policy properties for one stack: cache TTLs, retention floors, required tags."""
    return {
        "cloudflare-cache-ttls-match-settings": {
            "cacheRules": {
                rule.cache_class: {
                    "edgeTtlSeconds": rule.edge_ttl_seconds,
                    "browserTtlSeconds": rule.browser_ttl_seconds,
                }
                for rule in settings.delivery.cache_rules
            }
        },
        "aws-required-tags": {"requiredTags": sorted(settings.tags)},
    }


def stack_policy_config(stack: str) -> PolicyConfig:
    """`settings_config` of a named stack, or {} when there is no such stack file."""
    if not stack or not stack_file(stack).is_file():
        return {}
    return settings_config(load_stack(stack))
