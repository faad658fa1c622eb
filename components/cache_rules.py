"""The cache-rules table, rendered from the typed settings by pure functions.

One table (`settings.delivery.cache_rules`) drives every edge: the Cloudflare ruleset here,
the local Varnish VCL elsewhere. Both must agree on which rule a request path gets, so the
match semantics live in one place:

- a rule matches when the path starts with one of its `path_prefixes` (case-sensitive) OR
  its lowercased file extension is one of its `extensions` (Cloudflare's
  `http.request.uri.path.extension`: the text after the last dot of the last path segment,
  lowercased, without the dot; "" when that segment has no dot);
- the query string is not part of the path;
- Cloudflare runs EVERY matching rule of a `http_request_cache_settings` ruleset and a later
  rule's settings override an earlier one's: the effective rule is the LAST match in table
  order. `classify` returns that rule; a first-match engine (VCL `if`/`elsif`) must test the
  rules in `first_match_order(rules)`.

TTL rendering: a TTL > 0 is `override_origin` with exactly the settings' seconds; an edge TTL
of 0 turns caching off for the class (`cache=False`); a browser TTL of 0 is `bypass` (the
browser must not cache).

Per-user copies: unless `delivery.user_watermark` is `off`, `ruleset_rules` appends one rule
after the table, so it wins over every class: a request whose query string carries a user
claim (`user=`, see `workers/origin/signing.py`) is not cached at the edge and the browser
gets the origin's own `Cache-Control` (`private, max-age=...`). Cloudflare's `override_origin`
edge TTL ignores `private`; without this rule one user's copy would sit in the edge cache
(never served to another user: the cache key holds the whole query, `user` and `sig`
included). It is Cloudflare-only and no cache class (`classify` never returns it): the local
Varnish passes every `private` response instead (`local/templates/edge.vcl.j2`).
"""

from __future__ import annotations

from collections.abc import Sequence

import pulumi_cloudflare as cf

from stacks.settings import CacheRule, DeliverySettings

CACHE_PHASE = "http_request_cache_settings"
CACHE_ACTION = "set_cache_settings"
OVERRIDE_ORIGIN = "override_origin"
BYPASS = "bypass"
RESPECT_ORIGIN = "respect_origin"
USER_CLAIM = "user="
"""What a signed URL's query carries when it was signed for a user (`?exp=&user=<id>&sig=`)."""
USER_COPIES_REF = "bypass-user-claims"
USER_COPIES_EXPRESSION = 'http.request.uri.query contains "user="'
"""The bypass rule's match (Cloudflare Rules language; `contains` is a substring test)."""


def path_extension(path: str) -> str:
    """The lowercased extension of a URI path as Cloudflare computes it ("" when none)."""
    last_segment = strip_query(path).rsplit("/", 1)[-1]
    if "." not in last_segment:
        return ""
    return last_segment.rsplit(".", 1)[1].lower()


def strip_query(path: str) -> str:
    """The path without its query string or fragment."""
    for separator in ("?", "#"):
        path = path.split(separator, 1)[0]
    return path


def rule_matches(rule: CacheRule, path: str) -> bool:
    """Whether a request for `path` matches `rule` (see the module docstring)."""
    bare = strip_query(path)
    if any(bare.startswith(prefix) for prefix in rule.match.path_prefixes):
        return True
    return path_extension(bare) in rule.match.extensions


def classify(rules: Sequence[CacheRule], path: str) -> CacheRule | None:
    """The rule Cloudflare applies to `path`: the last matching rule, or None."""
    matched: CacheRule | None = None
    for rule in rules:
        if rule_matches(rule, path):
            matched = rule
    return matched


def first_match_order(rules: Sequence[CacheRule]) -> list[CacheRule]:
    """The rules in the order a first-match engine (VCL if/elsif) must test them."""
    return list(reversed(rules))


def _quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def cloudflare_expression(rule: CacheRule) -> str:
    """The Cloudflare Rules language expression of a rule's match."""
    clauses: list[str] = []
    if rule.match.extensions:
        listed = " ".join(_quoted(ext) for ext in rule.match.extensions)
        clauses.append(f"http.request.uri.path.extension in {{{listed}}}")
    clauses.extend(
        f"starts_with(http.request.uri.path, {_quoted(prefix)})"
        for prefix in rule.match.path_prefixes
    )
    if len(clauses) == 1:
        return clauses[0]
    return " or ".join(f"({clause})" for clause in clauses)


def rule_ref(rule: CacheRule) -> str:
    """Stable reference of a rule in the ruleset (keeps its id across updates)."""
    return f"cache-{rule.cache_class}"


def cloudflare_rule(rule: CacheRule) -> cf.RulesetRuleArgs:
    """One `set_cache_settings` rule with the settings' TTLs."""
    if rule.edge_ttl_seconds > 0:
        parameters = cf.RulesetRuleActionParametersArgs(
            cache=True,
            edge_ttl=cf.RulesetRuleActionParametersEdgeTtlArgs(
                mode=OVERRIDE_ORIGIN, default=rule.edge_ttl_seconds
            ),
            browser_ttl=_browser_ttl(rule),
        )
    else:
        parameters = cf.RulesetRuleActionParametersArgs(cache=False, browser_ttl=_browser_ttl(rule))
    return cf.RulesetRuleArgs(
        action=CACHE_ACTION,
        expression=cloudflare_expression(rule),
        description=f"{rule.cache_class}: edge {rule.edge_ttl_seconds}s, "
        f"browser {rule.browser_ttl_seconds}s",
        enabled=True,
        ref=rule_ref(rule),
        action_parameters=parameters,
    )


def _browser_ttl(rule: CacheRule) -> cf.RulesetRuleActionParametersBrowserTtlArgs:
    if rule.browser_ttl_seconds == 0:
        return cf.RulesetRuleActionParametersBrowserTtlArgs(mode=BYPASS)
    return cf.RulesetRuleActionParametersBrowserTtlArgs(
        mode=OVERRIDE_ORIGIN, default=rule.browser_ttl_seconds
    )


def cloudflare_rules(rules: Sequence[CacheRule]) -> list[cf.RulesetRuleArgs]:
    """The ruleset's rules, in table order (later rules override earlier matches)."""
    return [cloudflare_rule(rule) for rule in rules]


def carries_user_claim(query: str) -> bool:
    """Whether the bypass rule matches a request with this query string (without the `?`):
    Cloudflare's `contains` is a plain substring test."""
    return USER_CLAIM in query


def user_copies_bypass_rule() -> cf.RulesetRuleArgs:
    """Requests with a user claim: no edge caching, the origin's `Cache-Control` to the browser.

    Its description names no cache class on purpose: the policy pack matches rules to classes
    by `ref` or by the class named in the description."""
    return cf.RulesetRuleArgs(
        action=CACHE_ACTION,
        expression=USER_COPIES_EXPRESSION,
        description="per-user copies (query with a user claim): never stored at the edge, "
        "the origin's private Cache-Control reaches the browser",
        enabled=True,
        ref=USER_COPIES_REF,
        action_parameters=cf.RulesetRuleActionParametersArgs(
            cache=False,
            browser_ttl=cf.RulesetRuleActionParametersBrowserTtlArgs(mode=RESPECT_ORIGIN),
        ),
    )


def ruleset_rules(delivery: DeliverySettings) -> list[cf.RulesetRuleArgs]:
    """The cache ruleset of the zone: the table's rules, then (last, so it wins over them) the
    user-claim bypass unless `delivery.user_watermark` is `off`."""
    rules = cloudflare_rules(delivery.cache_rules)
    if delivery.user_watermark != "off":
        rules.append(user_copies_bypass_rule())
    return rules
