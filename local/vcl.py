"""Render the Varnish VCL of the local edge from the stack's typed cache rules.

The same `settings.delivery.cache_rules` render the Cloudflare cache ruleset: per cache
class an edge TTL that overrides the origin's and a browser TTL (`Cache-Control` sent to
the client). Purges (PURGE by URL, BAN by URL pattern, XKEY by the origin's `Cache-Tag`)
are accepted only from the ACL and with the purge token. Varnish's own gzip is off
(`http_gzip_support=off`, see `VARNISH_PARAMETERS`): the origin compresses (Brotli or gzip)
and the edge keeps one variant per normalised `Accept-Encoding`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import jinja2

from stacks.settings import CacheRule, DeliverySettings

TEMPLATES = Path(__file__).resolve().parent / "templates"
VARNISH_PARAMETERS: tuple[str, ...] = ("http_gzip_support=off", "ban_lurker_sleep=0.1")
"""`-p` parameters varnishd runs with (gzip off: the origin compresses, incl. Brotli)."""

_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,128}$")


class VclError(ValueError):
    """The VCL cannot be rendered from these inputs (names what is wrong)."""


@dataclass(frozen=True)
class VclRule:
    """One cache rule as VCL sees it: a regex condition on the request URL and the TTLs."""

    cache_class: str
    condition: str
    edge_ttl_seconds: int
    browser_cache_control: str


def path_regex(rule: CacheRule) -> str:
    """A PCRE on the URL matching the rule's prefixes (case-sensitive) or extensions.

    The extension is the text after the last dot of the path's last segment, compared
    case-insensitively (Cloudflare's lowercased `http.request.uri.path.extension`); the query
    string is not part of the path.
    """
    alternatives = [re.escape(prefix) for prefix in rule.match.path_prefixes]
    if rule.match.extensions:
        extensions = "|".join(re.escape(ext) for ext in rule.match.extensions)
        alternatives.append(rf"[^?]*\.(?i:{extensions})(\?.*)?$")
    return "^(" + "|".join(alternatives) + ")"


def browser_cache_control(rule: CacheRule) -> str:
    """`Cache-Control` for the client: the browser TTL, or revalidate every time when 0."""
    if rule.browser_ttl_seconds == 0:
        return "no-cache"
    return f"public, max-age={rule.browser_ttl_seconds}"


def vcl_rules(rules: Sequence[CacheRule]) -> list[VclRule]:
    """The rules in the order VCL's if/elsif must test them.

    Cloudflare applies every matching rule and the later one wins (`components.cache_rules`
    documents it); a first-match chain therefore tests the table from its end.
    """
    return [
        VclRule(
            cache_class=rule.cache_class,
            condition=f'bereq.url ~ "{path_regex(rule)}"',
            edge_ttl_seconds=rule.edge_ttl_seconds,
            browser_cache_control=browser_cache_control(rule),
        )
        for rule in reversed(rules)
    ]


def render_vcl(
    delivery: DeliverySettings,
    *,
    stack: str,
    origin_host: str,
    origin_port: int,
    purge_token: str,
    purge_acl: Sequence[str] = ("127.0.0.1",),
    grace_seconds: int = 60,
) -> str:
    """The VCL of the edge in front of the origin at `origin_host:origin_port`."""
    if not _TOKEN.fullmatch(purge_token):
        raise VclError("purge token must be 16-128 characters of [A-Za-z0-9_-]")
    if not 0 < origin_port < 65536:
        raise VclError(f"origin port {origin_port} out of range")
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
    )
    return environment.get_template("edge.vcl.j2").render(
        stack=stack,
        origin_host=origin_host,
        origin_port=origin_port,
        purge_token=purge_token,
        purge_acl=list(purge_acl),
        rules=vcl_rules(delivery.cache_rules),
        grace_seconds=grace_seconds,
    )
