"""Delivery policies: Cloudflare zone settings (brotli, HTTP/3, TLS >= 1.2, always HTTPS),
cache-rule TTLs equal to the stack settings, API tokens scoped to named zones and permission
groups, and an HTTPS-only origin load balancer."""

from __future__ import annotations

from collections.abc import Callable, Mapping
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
from policies.resources import as_list, document, number, of_type

CACHE_PHASE = "http_request_cache_settings"
ZONE_RESOURCE_PREFIX = "com.cloudflare.api.account.zone."
TLS_VERSIONS = ("1.0", "1.1", "1.2", "1.3")


def _zones(resources: list[PolicyResource]) -> list[str]:
    """Zone ids the stack manages (from its Cloudflare resources), in order."""
    zones: list[str] = []
    for resource in resources:
        zone = (
            resource.props.get("zoneId")
            if resource.resource_type.startswith("cloudflare:")
            else None
        )
        if isinstance(zone, str) and zone and zone not in zones:
            zones.append(zone)
    return zones


def _zone_setting(
    setting_id: str, accepted: Callable[[Any], bool], expected: str
) -> Callable[[StackValidationArgs, ReportViolation], None]:
    """A stack validation: every managed zone sets `setting_id` to an accepted value."""

    def validate(args: StackValidationArgs, report: ReportViolation) -> None:
        resources = list(args.resources)
        settings = [
            s
            for s in of_type(resources, tokens.CF_ZONE_SETTING)
            if s.props.get("settingId") == setting_id
        ]
        for zone in _zones(resources):
            in_zone = [s for s in settings if s.props.get("zoneId") == zone]
            if not in_zone:
                report(f"zone {zone} does not manage the setting {setting_id!r} ({expected})", None)
            for setting in in_zone:
                if not accepted(setting.props.get("value")):
                    report(
                        f"zone setting {setting.name} sets {setting_id} to "
                        f"{setting.props.get('value')!r}; expected {expected}",
                        setting.urn,
                    )

    return validate


def _min_tls(value: Any) -> bool:
    return value in TLS_VERSIONS and TLS_VERSIONS.index(value) >= TLS_VERSIONS.index("1.2")


def _rule_class(rule: Mapping[str, Any], classes: list[str]) -> str | None:
    """The cache class a ruleset rule implements: by its `ref` (`<class>` or `cache-<class>`),
    else by the class its description names."""
    ref = str(rule.get("ref") or "")
    for candidate in (ref, ref.removeprefix("cache-")):
        if candidate in classes:
            return candidate
    description = str(rule.get("description") or "")
    words = set(description.replace(":", " ").replace(",", " ").split())
    named = [c for c in classes if c in words]
    return named[0] if len(named) == 1 else None


def _seconds(value: Any) -> str:
    seconds = number(value)
    return "none" if seconds is None else f"{seconds:.0f}"


def ttl_problems(parameters: Mapping[str, Any], edge: float, browser: float) -> list[str]:
    """How a rule's cache settings differ from the settings' TTLs (edge 0 = not cached,
    browser 0 = `bypass`); empty when they agree."""
    problems = []
    edge_ttl = parameters.get("edgeTtl") or {}
    browser_ttl = parameters.get("browserTtl") or {}
    if edge > 0:
        if parameters.get("cache") is not True:
            problems.append("caching is off")
        if edge_ttl.get("mode") != "override_origin" or number(edge_ttl.get("default")) != edge:
            problems.append(
                f"edge TTL is {edge_ttl.get('mode')} {_seconds(edge_ttl.get('default'))}, "
                f"settings say override_origin {edge:.0f}"
            )
    elif parameters.get("cache") is not False:
        problems.append("caching is on but the settings' edge TTL is 0 (not cached)")
    if browser > 0:
        if (
            browser_ttl.get("mode") != "override_origin"
            or number(browser_ttl.get("default")) != browser
        ):
            problems.append(
                f"browser TTL is {browser_ttl.get('mode')} {_seconds(browser_ttl.get('default'))}, "
                f"settings say override_origin {browser:.0f}"
            )
    elif browser_ttl.get("mode") != "bypass":
        problems.append(f"browser TTL is {browser_ttl.get('mode')}, settings say bypass (0)")
    return problems


def _cache_ttls(args: ResourceValidationArgs, report: ReportViolation) -> None:
    props = args.props
    if args.resource_type != tokens.CF_RULESET or props.get("phase") != CACHE_PHASE:
        return
    expected: Mapping[str, Mapping[str, Any]] = args.get_config().get("cacheRules") or {}
    if not expected:
        report(
            "no cacheRules in the policy config: run `mediainfra policy config --stack NAME` and "
            "pass the file with --policy-pack-config",
            None,
        )
        return
    classes = list(expected)
    found: set[str] = set()
    for rule in as_list(props.get("rules")):
        cache_class = _rule_class(rule, classes)
        if cache_class is None:
            continue
        found.add(cache_class)
        want = expected[cache_class]
        if rule.get("action") != "set_cache_settings":
            report(
                f"ruleset {args.name} rule {cache_class!r} action is {rule.get('action')!r}", None
            )
        problems = ttl_problems(
            rule.get("actionParameters") or {},
            number(want.get("edgeTtlSeconds")) or 0.0,
            number(want.get("browserTtlSeconds")) or 0.0,
        )
        for problem in problems:
            report(f"ruleset {args.name} rule {cache_class!r}: {problem}", None)
    for cache_class in classes:
        if cache_class not in found:
            report(f"ruleset {args.name} has no rule for the cache class {cache_class!r}", None)


_NETWORK_PROTOCOLS = {"TCP", "UDP", "TCP_UDP", "TLS"}


def _https_listener(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != tokens.LB_LISTENER:
        return
    props = args.props
    if props.get("protocol") in _NETWORK_PROTOCOLS:
        return  # a network load balancer's listener (e.g. Locust's master): no HTTP to redirect
    if props.get("protocol") == "HTTPS":
        policy = str(props.get("sslPolicy") or "")
        if not ("TLS13" in policy or "TLS-1-2" in policy):
            report(f"listener {args.name} uses the SSL policy {policy!r} (needs TLS >= 1.2)", None)
        return
    redirects = [
        a
        for a in as_list(props.get("defaultActions"))
        if a.get("type") == "redirect" and (a.get("redirect") or {}).get("protocol") == "HTTPS"
    ]
    if not redirects:
        report(
            f"listener {args.name} serves {props.get('protocol')} without redirecting to HTTPS",
            None,
        )


def token_policy_problems(policy: Mapping[str, Any]) -> list[str]:
    """What makes one API token policy broader than a named permission group on named zones
    (empty when it is scoped)."""
    problems = []
    groups = [g for g in as_list(policy.get("permissionGroups")) if isinstance(g, Mapping)]
    if not groups or not all(isinstance(g.get("id"), str) and g.get("id") for g in groups):
        problems.append("names no permission group id (the group lookup found nothing?)")
    resources = document(policy.get("resources"))
    if not resources:
        problems.append("names no resources")
    for key in resources:
        zone = str(key).removeprefix(ZONE_RESOURCE_PREFIX)
        if not str(key).startswith(ZONE_RESOURCE_PREFIX) or not zone or "*" in zone:
            problems.append(f"reaches {key!r}, not one named zone")
    return problems


def _token_scoped(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != tokens.CF_API_TOKEN:
        return
    policies = [p for p in as_list(args.props.get("policies")) if isinstance(p, Mapping)]
    if not policies:
        report(f"API token {args.name} has no policy", None)
    for index, policy in enumerate(policies):
        for problem in token_policy_problems(policy):
            report(f"API token {args.name} policy {index} {problem}", None)


POLICIES = [
    StackValidationPolicy(
        name="cloudflare-brotli-on",
        description="Every managed Cloudflare zone has brotli on.",
        validate=_zone_setting("brotli", lambda v: v == "on", "'on'"),
        enforcement_level=EnforcementLevel.MANDATORY,
    ),
    StackValidationPolicy(
        name="cloudflare-http3-on",
        description="Every managed Cloudflare zone has HTTP/3 on.",
        validate=_zone_setting("http3", lambda v: v == "on", "'on'"),
        enforcement_level=EnforcementLevel.MANDATORY,
    ),
    StackValidationPolicy(
        name="cloudflare-min-tls-1-2",
        description="Every managed Cloudflare zone refuses TLS below 1.2.",
        validate=_zone_setting("min_tls_version", _min_tls, "'1.2' or '1.3'"),
        enforcement_level=EnforcementLevel.MANDATORY,
    ),
    StackValidationPolicy(
        name="cloudflare-always-use-https",
        description="Every managed Cloudflare zone redirects HTTP to HTTPS.",
        validate=_zone_setting("always_use_https", lambda v: v == "on", "'on'"),
        enforcement_level=EnforcementLevel.ADVISORY,
    ),
    ResourceValidationPolicy(
        name="cloudflare-cache-ttls-match-settings",
        description="The cache-rules ruleset has one rule per cache class of the stack settings, "
        "caching on, edge and browser TTLs overriding the origin with the settings' values.",
        validate=_cache_ttls,
        enforcement_level=EnforcementLevel.MANDATORY,
        config_schema=PolicyConfigSchema(
            {"cacheRules": {"type": "object", "additionalProperties": {"type": "object"}}}
        ),
    ),
    ResourceValidationPolicy(
        name="cloudflare-api-token-zone-scoped",
        description="Cloudflare API tokens grant named permission groups (non-empty ids) on "
        "named zones only: no account-wide or wildcard resources.",
        validate=_token_scoped,
        enforcement_level=EnforcementLevel.MANDATORY,
    ),
    ResourceValidationPolicy(
        name="alb-https-only",
        description="Load balancer listeners serve HTTPS with a TLS >= 1.2 policy, or redirect "
        "to HTTPS.",
        validate=_https_listener,
        enforcement_level=EnforcementLevel.MANDATORY,
    ),
]
