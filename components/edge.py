"""The Cloudflare side of delivery: zone settings, tiered cache, cache rules, origin pulls,
DNS and the cache-purge token. Called by `MediaDelivery` when the zone id is set.

The ruleset's rules come from `components.cache_rules` (pure, shared with the local Varnish):
the cache classes of the settings, then the bypass of per-user copies.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import partial
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_cloudflare as cf

from components.cache_rules import CACHE_PHASE, ruleset_rules
from stacks.settings import Settings

CACHE_PURGE_GROUP = "Cache Purge"
ZONE_SCOPE = "com.cloudflare.api.account.zone"
AUTOMATIC_TTL = 1


def zone_setting_values(settings: Settings) -> dict[str, str]:
    """Cloudflare setting id -> value, from the typed zone settings."""
    zone = settings.delivery.zone
    return {
        "brotli": zone.brotli,
        "http3": zone.http3,
        "0rtt": zone.zero_rtt,
        "early_hints": zone.early_hints,
        "min_tls_version": zone.min_tls_version,
        "always_use_https": zone.always_use_https,
    }


def purge_token_resources(zone_id: str) -> str:
    """The API token policy's resources JSON: this zone only."""
    return json.dumps({f"{ZONE_SCOPE}.{zone_id}": "*"})


def field_of(value: Any, name: str) -> Any:
    """A field of an SDK output object (attribute) or of a plain mapping."""
    if hasattr(value, name):
        return getattr(value, name)
    return value.get(name) if isinstance(value, dict) else None


def validation_field(options: Any, domain: str, field: str) -> str:
    """One field of the ACM DNS validation option for `domain` ("" until it is known)."""
    for option in options or []:
        if field_of(option, "domain_name") == domain:
            return str(field_of(option, field) or "")
    return ""


def permission_group_id(results: Any, name: str) -> str:
    """The id of the permission group called `name` in an invoke result."""
    for group in results or []:
        if field_of(group, "name") == name and field_of(group, "id"):
            return str(field_of(group, "id"))
    message = f"Cloudflare permission group {name!r} not found"
    if not pulumi.runtime.is_dry_run():
        raise LookupError(message)
    pulumi.log.warn(f"{message} (preview: the token's permission group is left empty)")
    return ""


@dataclass(frozen=True)
class Edge:
    """The Cloudflare resources other components refer to."""

    cache_ruleset: cf.Ruleset
    purge_token: cf.ApiToken


def build_edge(
    parent: pulumi.Resource,
    prefix: str,
    settings: Settings,
    load_balancer: aws.lb.LoadBalancer | None,
) -> Edge:
    """The zone's edge configuration; DNS records only when there is a load balancer."""
    delivery, zone_id = settings.delivery, settings.delivery.cloudflare_zone_id
    child = pulumi.ResourceOptions(parent=parent)
    for setting_id, value in zone_setting_values(settings).items():
        cf.ZoneSetting(
            f"{prefix}-zone-{setting_id.replace('_', '-')}",
            zone_id=zone_id,
            setting_id=setting_id,
            value=value,
            opts=child,
        )
    if delivery.zone.tiered_cache:
        tiered = cf.ArgoTieredCaching(
            f"{prefix}-tiered-cache", zone_id=zone_id, value="on", opts=child
        )
        cf.TieredCache(
            f"{prefix}-smart-tiered-cache",
            zone_id=zone_id,
            value="on",
            opts=pulumi.ResourceOptions(parent=parent, depends_on=[tiered]),
        )
    ruleset = cf.Ruleset(
        f"{prefix}-cache-rules",
        zone_id=zone_id,
        kind="zone",
        phase=CACHE_PHASE,
        name=settings.resource_name("cache-rules"),
        description="Cache TTLs per media class, rendered from the stack settings",
        rules=ruleset_rules(delivery),
        opts=child,
    )
    cf.AuthenticatedOriginPullsSettings(
        f"{prefix}-origin-pulls", zone_id=zone_id, enabled=True, opts=child
    )
    if load_balancer is not None:
        for role, hostname, proxied in (
            ("media", delivery.domain, True),
            ("origin", delivery.origin_hostname, False),
        ):
            cf.DnsRecord(
                f"{prefix}-dns-{role}",
                zone_id=zone_id,
                name=hostname,
                type="CNAME",
                content=load_balancer.dns_name,
                proxied=proxied,
                ttl=AUTOMATIC_TTL,
                comment="media-infra origin ALB",
                opts=child,
            )
    return Edge(cache_ruleset=ruleset, purge_token=purge_token(parent, prefix, settings))


def purge_token(parent: pulumi.Resource, prefix: str, settings: Settings) -> cf.ApiToken:
    """An API token that may purge this zone's cache and nothing else."""
    # Filtered by scope only and picked by name here: the API's `name` filter wants the name
    # URL-encoded ("Cache%20Purge"), which a plain-text name would silently miss.
    groups = cf.get_api_token_permission_groups_list_output(
        scope=ZONE_SCOPE, opts=pulumi.InvokeOptions(parent=parent)
    )
    group_id = groups.results.apply(partial(permission_group_id, name=CACHE_PURGE_GROUP))
    return cf.ApiToken(
        f"{prefix}-purge-token",
        name=settings.resource_name("cache-purge"),
        policies=[
            cf.ApiTokenPolicyArgs(
                effect="allow",
                permission_groups=[cf.ApiTokenPolicyPermissionGroupArgs(id=group_id)],
                resources=purge_token_resources(settings.delivery.cloudflare_zone_id),
            )
        ],
        opts=pulumi.ResourceOptions(parent=parent),
    )


def certificate_validation_records(
    parent: pulumi.Resource,
    prefix: str,
    zone_id: str,
    certificate: aws.acm.Certificate,
    domains: tuple[str, ...],
) -> list[cf.DnsRecord]:
    """The DNS-only CNAMEs that prove control of each of the certificate's domains."""
    options = certificate.domain_validation_options
    return [
        cf.DnsRecord(
            f"{prefix}-cert-validation-{index}",
            zone_id=zone_id,
            name=options.apply(
                partial(validation_field, domain=domain, field="resource_record_name")
            ),
            type="CNAME",
            content=options.apply(
                partial(validation_field, domain=domain, field="resource_record_value")
            ),
            ttl=AUTOMATIC_TTL,
            proxied=False,
            opts=pulumi.ResourceOptions(parent=parent),
        )
        for index, domain in enumerate(domains)
    ]
