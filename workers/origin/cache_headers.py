"""Cache headers of a derivative from the stack's cache rules (no Pulumi here).

Match semantics are the edge's (see `components.cache_rules`, which renders the Cloudflare
ruleset from the same table, and `local.vcl`): a rule matches when the path starts with one
of its prefixes or its lowercased extension is listed; the LAST matching rule wins.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import PurePosixPath

from stacks.settings import CacheRule

_TAG_UNSAFE = re.compile(r"[^A-Za-z0-9_.:-]")


def path_extension(path: str) -> str:
    """Lowercased text after the last dot of the last path segment ("" without a dot)."""
    last = path.split("?", 1)[0].rsplit("/", 1)[-1]
    return last.rsplit(".", 1)[1].lower() if "." in last else ""


def classify(rules: Sequence[CacheRule], path: str) -> CacheRule | None:
    """The rule the edge applies to `path` (the last match), or None."""
    bare = path.split("?", 1)[0]
    matched = None
    for rule in rules:
        prefixed = any(bare.startswith(prefix) for prefix in rule.match.path_prefixes)
        if prefixed or path_extension(bare) in rule.match.extensions:
            matched = rule
    return matched


def cache_control(rule: CacheRule | None) -> str:
    """`Cache-Control` the origin sends: browser TTL, and the edge TTL as s-maxage."""
    if rule is None:
        return "public, max-age=60"
    if rule.edge_ttl_seconds == 0:
        return "no-store"
    browser = "no-cache" if rule.browser_ttl_seconds == 0 else f"max-age={rule.browser_ttl_seconds}"
    return f"public, {browser}, s-maxage={rule.edge_ttl_seconds}"


def content_tag(key: str) -> str | None:
    """Tag of everything derived from one content: `<area>-<id>` for `<area>/<id>/...` keys."""
    parts = PurePosixPath(key).parts
    if len(parts) < 3:
        return None
    return _TAG_UNSAFE.sub("_", f"{parts[0]}-{parts[1]}")[:128]


def cache_tags(rule: CacheRule | None, key: str) -> list[str]:
    """Tags for purge by tag: the class's `cache_tag` and the content's own tag."""
    tags = []
    if rule is not None and rule.cache_tag:
        tags.append(rule.cache_tag)
    tag = content_tag(key)
    if tag:
        tags.append(tag)
    return tags
