"""The edge: Cloudflare zone settings, the origin, the typed cache rules."""

from __future__ import annotations

import ipaddress
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from stacks.settings.base import (
    Frozen,
    PositiveInt,
)

CacheClass = Literal["images", "audio", "api", "hls-playlists", "hls-segments", "static"]


class CacheMatch(Frozen):
    """What a cache rule matches: URI path prefixes and/or file extensions (OR-ed)."""

    path_prefixes: tuple[Annotated[str, Field(pattern=r"^/[A-Za-z0-9/_.-]*$")], ...] = ()
    extensions: tuple[Annotated[str, Field(pattern=r"^[a-z0-9]{1,8}$")], ...] = ()

    @model_validator(mode="after")
    def _not_empty(self) -> CacheMatch:
        if not self.path_prefixes and not self.extensions:
            raise ValueError("a cache rule must match path_prefixes or extensions")
        return self


class CacheRule(Frozen):
    """One cache class: what it matches and how long the edge and the browser keep it."""

    cache_class: CacheClass
    match: CacheMatch
    edge_ttl_seconds: Annotated[int, Field(ge=0)]
    browser_ttl_seconds: Annotated[int, Field(ge=0)]
    cache_tag: str | None = None
    """Cache-Tag the origin sets on responses of this class (purge by tag)."""


class ZoneSettings(Frozen):
    """Cloudflare zone settings enforced by the delivery component and the policies."""

    brotli: Literal["on", "off"] = "on"
    http3: Literal["on", "off"] = "on"
    zero_rtt: Literal["on", "off"] = "on"
    early_hints: Literal["on", "off"] = "on"
    min_tls_version: Literal["1.0", "1.1", "1.2", "1.3"] = "1.2"
    always_use_https: Literal["on", "off"] = "on"
    tiered_cache: bool = True


S3Uri = Annotated[str, Field(pattern=r"^s3://[a-z0-9.-]+/.+$")]
CLOUDFLARE_IPV4_CIDRS = (
    "173.245.48.0/20",
    "103.21.244.0/22",
    "103.22.200.0/22",
    "103.31.4.0/22",
    "141.101.64.0/18",
    "108.162.192.0/18",
    "190.93.240.0/20",
    "188.114.96.0/20",
    "197.234.240.0/22",
    "198.41.128.0/17",
    "162.158.0.0/15",
    "104.16.0.0/13",
    "104.24.0.0/14",
    "172.64.0.0/13",
    "131.0.72.0/22",
)
CLOUDFLARE_IPV6_CIDRS = (
    "2400:cb00::/32",
    "2606:4700::/32",
    "2803:f800::/32",
    "2405:b500::/32",
    "2405:8100::/32",
    "2a06:98c0::/29",
    "2c0f:f248::/32",
)


class DeliverySettings(Frozen):
    """The edge: Cloudflare zone, the origin behind it, and the cache rules."""

    domain: str
    cloudflare_account_id: str = ""
    cloudflare_zone_id: str = ""
    origin_hostname: str
    origin_port: Annotated[int, Field(gt=0, lt=65536)] = 443
    origin_container_port: Annotated[int, Field(gt=0, lt=65536)] = 8080
    """Port the delivery origin service (`mediainfra origin serve`) listens on in its task."""
    origin_health_path: Annotated[str, Field(pattern=r"^/[A-Za-z0-9/_.-]*$")] = "/healthz"
    origin_pull_ca_bundle_s3_uri: S3Uri | None = None
    """CA bundle (Cloudflare's origin-pull CA) for the ALB trust store: with it the HTTPS
    listener verifies the client certificate of authenticated origin pulls (mTLS `verify`);
    without it the listener passes the certificate through to the origin (`passthrough`)."""
    cloudflare_ipv4_cidrs: tuple[str, ...] = CLOUDFLARE_IPV4_CIDRS
    """Cloudflare's edge ranges (https://www.cloudflare.com/ips-v4): the only origin ingress."""
    cloudflare_ipv6_cidrs: tuple[str, ...] = CLOUDFLARE_IPV6_CIDRS
    zone: ZoneSettings = ZoneSettings()
    cache_rules: tuple[CacheRule, ...]
    signed_url_ttl_seconds: PositiveInt = 3600
    user_watermark: Literal["off", "signed-users", "required"] = "signed-users"
    """Premium progressive audio (mp3, ogg, m4a, flac) for a URL signed for a user: that
    user's invisibly watermarked copy (`signed-users`; URLs signed without a user get the
    shared copy), the same but URLs without a user are refused (`required`), or never
    (`off`). HLS segments are always the shared copy."""
    user_copy_expire_days: PositiveInt = 30
    """Days after which a per-user copy (`watermarked/` in `derivatives`) expires: the origin
    makes it again on the next request. A lifecycle rule on that prefix, whatever the mode
    (copies made before `user_watermark` was switched off go too)."""

    @field_validator("cloudflare_ipv4_cidrs", "cloudflare_ipv6_cidrs")
    @classmethod
    def _cidrs(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for cidr in value:
            ipaddress.ip_network(cidr)  # ValueError names the bad range
        return value

    @field_validator("cache_rules")
    @classmethod
    def _disjoint(cls, rules: tuple[CacheRule, ...]) -> tuple[CacheRule, ...]:
        seen_classes: set[str] = set()
        seen_ext: dict[str, str] = {}
        for rule in rules:
            if rule.cache_class in seen_classes:
                raise ValueError(f"cache class {rule.cache_class!r} defined twice")
            seen_classes.add(rule.cache_class)
            for ext in rule.match.extensions:
                if ext in seen_ext:
                    raise ValueError(
                        f"extension {ext!r} in both {seen_ext[ext]!r} and {rule.cache_class!r}"
                    )
                seen_ext[ext] = rule.cache_class
        return rules

    def rule_for(self, cache_class: str) -> CacheRule:
        """The cache rule of a class; KeyError when the class has none."""
        for rule in self.cache_rules:
            if rule.cache_class == cache_class:
                return rule
        raise KeyError(cache_class)
