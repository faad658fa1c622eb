"""The cache-rules table: Cloudflare expressions, TTLs and the neutral matcher."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from components.cache_rules import (
    BYPASS,
    CACHE_ACTION,
    OVERRIDE_ORIGIN,
    USER_COPIES_REF,
    carries_user_claim,
    classify,
    cloudflare_expression,
    cloudflare_rules,
    first_match_order,
    path_extension,
    rule_matches,
    ruleset_rules,
    user_copies_bypass_rule,
)
from stacks.settings import CacheMatch, CacheRule, Settings
from workers.origin.signing import sign_path

# ------------------------------------------------------------------ an independent evaluator

_EXT_CLAUSE = re.compile(r'^http\.request\.uri\.path\.extension in \{((?:"[a-z0-9]+" ?)+)\}$')
_PREFIX_CLAUSE = re.compile(r'^starts_with\(http\.request\.uri\.path, "([^"]*)"\)$')


def evaluate(expression: str, path: str) -> bool:
    """Evaluate the subset of the Cloudflare Rules language the renderer emits."""
    clauses = expression.split(" or ")
    if len(clauses) > 1:
        assert all(c.startswith("(") and c.endswith(")") for c in clauses), expression
        clauses = [c[1:-1] for c in clauses]
    uri_path = path.split("?", 1)[0].split("#", 1)[0]
    segment = uri_path.rsplit("/", 1)[-1]
    extension = segment.rsplit(".", 1)[1].lower() if "." in segment else ""
    for clause in clauses:
        if found := _EXT_CLAUSE.match(clause):
            if extension in re.findall(r'"([a-z0-9]+)"', found.group(1)):
                return True
        elif found := _PREFIX_CLAUSE.match(clause):
            if uri_path.startswith(found.group(1)):
                return True
        else:
            raise AssertionError(f"unexpected clause {clause!r}")
    return False


# ------------------------------------------------------------------ strategies

extensions = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=8)
prefixes = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABC0123456789/_.-", min_size=0, max_size=12
).map(lambda s: "/" + s)
segments = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFG0123456789_.-", max_size=12)
paths = st.lists(segments, min_size=1, max_size=4).map(lambda parts: "/" + "/".join(parts))


@st.composite
def rules(draw: st.DrawFn) -> CacheRule:
    exts = draw(st.lists(extensions, max_size=4, unique=True))
    pres = draw(st.lists(prefixes, max_size=3, unique=True, min_size=0 if exts else 1))
    return CacheRule(
        cache_class=draw(st.sampled_from(["images", "audio", "api", "static"])),
        match=CacheMatch(extensions=tuple(exts), path_prefixes=tuple(pres)),
        edge_ttl_seconds=draw(st.integers(0, 31536000)),
        browser_ttl_seconds=draw(st.integers(0, 31536000)),
    )


# ------------------------------------------------------------------ expressions


def test_expression_of_extensions_is_a_set_membership() -> None:
    rule = CacheRule(
        cache_class="images",
        match=CacheMatch(extensions=("jpg", "png")),
        edge_ttl_seconds=1,
        browser_ttl_seconds=1,
    )
    assert cloudflare_expression(rule) == 'http.request.uri.path.extension in {"jpg" "png"}'


def test_expression_of_a_prefix_is_starts_with() -> None:
    rule = CacheRule(
        cache_class="api",
        match=CacheMatch(path_prefixes=("/api/",)),
        edge_ttl_seconds=300,
        browser_ttl_seconds=0,
    )
    assert cloudflare_expression(rule) == 'starts_with(http.request.uri.path, "/api/")'


def test_expression_with_both_ors_parenthesised_clauses() -> None:
    rule = CacheRule(
        cache_class="static",
        match=CacheMatch(extensions=("css",), path_prefixes=("/static/", "/assets/")),
        edge_ttl_seconds=60,
        browser_ttl_seconds=60,
    )
    assert cloudflare_expression(rule) == (
        '(http.request.uri.path.extension in {"css"}) or '
        '(starts_with(http.request.uri.path, "/static/")) or '
        '(starts_with(http.request.uri.path, "/assets/"))'
    )


@given(rule=rules(), path=paths, query=st.sampled_from(["", "?v=1.jpg", "?a=/api/"]))
def test_expression_and_matcher_agree(rule: CacheRule, path: str, query: str) -> None:
    assert evaluate(cloudflare_expression(rule), path + query) == rule_matches(rule, path + query)


# ------------------------------------------------------------------ the matcher


@given(rule=rules(), stem=segments.filter(lambda s: "." not in s), data=st.data())
def test_listed_extension_in_any_case_matches(
    rule: CacheRule, stem: str, data: st.DataObject
) -> None:
    if not rule.match.extensions:
        return
    ext = data.draw(st.sampled_from(rule.match.extensions))
    mixed = "".join(c.upper() if data.draw(st.booleans()) else c for c in ext)
    assert rule_matches(rule, f"/media/{stem}.{mixed}")
    assert rule_matches(rule, f"/media/{stem}.{mixed}?token=abc")


@given(rule=rules(), tail=segments)
def test_path_under_a_prefix_matches(rule: CacheRule, tail: str) -> None:
    for prefix in rule.match.path_prefixes:
        assert rule_matches(rule, prefix + tail)


@given(rule=rules(), path=paths)
def test_unlisted_extension_outside_prefixes_does_not_match(rule: CacheRule, path: str) -> None:
    if any(path.startswith(p) for p in rule.match.path_prefixes):
        return
    if path_extension(path) in rule.match.extensions:
        return
    assert not rule_matches(rule, path)


@pytest.mark.parametrize(
    ("path", "extension"),
    [
        ("/a/b.JPG", "jpg"),
        ("/a/b.tar.gz", "gz"),
        ("/a.dir/file", ""),
        ("/a/file.", ""),
        ("/a/b.mp3?x=y.png", "mp3"),
        ("/", ""),
    ],
)
def test_path_extension(path: str, extension: str) -> None:
    assert path_extension(path) == extension


def test_classify_with_the_prod_table(prod_settings: Settings) -> None:
    table = prod_settings.delivery.cache_rules
    expected = {
        "/covers/abc.jpg": "images",
        "/covers/abc.AVIF": "images",
        "/audio/t/320.mp3": "audio",
        "/hls/t/master.m3u8": "hls-playlists",
        "/hls/t/seg-0001.m4s": "hls-segments",
        "/api/v1/tracks?page=2": "api",
        "/api/v1/cover.jpg": "api",  # the later rule overrides, as on Cloudflare
    }
    for path, cache_class in expected.items():
        rule = classify(table, path)
        assert rule is not None and rule.cache_class == cache_class, path
    assert classify(table, "/index.html") is None
    assert classify(table, "/apis/readme") is None


@given(table=st.lists(rules(), max_size=5), path=paths)
def test_first_match_order_gives_the_same_rule(table: list[CacheRule], path: str) -> None:
    first = next((r for r in first_match_order(table) if rule_matches(r, path)), None)
    assert first is classify(table, path)


# ------------------------------------------------------------------ rendered rules


def test_prod_rules_carry_the_settings_ttls(prod_settings: Settings) -> None:
    table = prod_settings.delivery.cache_rules
    rendered = cloudflare_rules(table)
    assert len(rendered) == len(table)
    for rule, args in zip(table, rendered, strict=True):
        assert args.action == CACHE_ACTION
        assert args.expression == cloudflare_expression(rule)
        assert args.ref == f"cache-{rule.cache_class}"
        params = args.action_parameters
        assert params is not None
        assert params.cache is True
        assert params.edge_ttl.mode == OVERRIDE_ORIGIN
        assert params.edge_ttl.default == rule.edge_ttl_seconds
        if rule.browser_ttl_seconds:
            assert params.browser_ttl.mode == OVERRIDE_ORIGIN
            assert params.browser_ttl.default == rule.browser_ttl_seconds
        else:
            assert params.browser_ttl.mode == BYPASS
    by_class = {r.cache_class: a for r, a in zip(table, rendered, strict=True)}
    assert by_class["images"].action_parameters.edge_ttl.default == 365 * 24 * 3600
    assert by_class["audio"].action_parameters.edge_ttl.default == 30 * 24 * 3600
    assert by_class["api"].action_parameters.edge_ttl.default == 300


@given(rule=rules())
def test_zero_edge_ttl_turns_caching_off(rule: CacheRule) -> None:
    (args,) = cloudflare_rules([rule])
    params = args.action_parameters
    if rule.edge_ttl_seconds == 0:
        assert params.cache is False and params.edge_ttl is None
    else:
        assert params.cache is True and params.edge_ttl.default == rule.edge_ttl_seconds


# ------------------------------------------------------------------ per-user copies bypass

_QUERY_CLAUSE = re.compile(r'^http\.request\.uri\.query contains "([^"]+)"$')
users = st.from_regex(r"[A-Za-z0-9_-]{1,64}", fullmatch=True)
signed_paths = st.sampled_from(
    ["/premium/abc/1/mp3-320.mp3", "/audio/a b/track.flac", "/images/c/800.webp", "/x"]
)


def test_bypass_rule_is_last_and_turns_caching_off(prod_settings: Settings) -> None:
    delivery = prod_settings.delivery
    assert delivery.user_watermark == "signed-users"
    rules = ruleset_rules(delivery)
    assert len(rules) == len(delivery.cache_rules) + 1
    table = cloudflare_rules(delivery.cache_rules)
    assert [(r.ref, r.expression) for r in rules[:-1]] == [(r.ref, r.expression) for r in table]
    last = rules[-1]
    assert last.ref == USER_COPIES_REF and last.enabled is True
    assert last.action == CACHE_ACTION
    assert last.expression == 'http.request.uri.query contains "user="'
    parameters = last.action_parameters
    assert parameters is not None and parameters.cache is False
    assert parameters.edge_ttl is None
    assert parameters.browser_ttl is not None and parameters.browser_ttl.mode == "respect_origin"
    # the policy pack maps rules to classes by ref or by a class named in the description
    words = set(str(last.description).replace(":", " ").replace(",", " ").split())
    assert not words & {rule.cache_class for rule in delivery.cache_rules}


@pytest.mark.parametrize("mode", ["signed-users", "required"])
def test_bypass_rule_whenever_user_copies_are_made(prod_settings: Settings, mode: str) -> None:
    delivery = prod_settings.delivery.model_copy(update={"user_watermark": mode})
    assert ruleset_rules(delivery)[-1].ref == USER_COPIES_REF


def test_no_bypass_rule_when_user_watermark_is_off(prod_settings: Settings) -> None:
    delivery = prod_settings.delivery.model_copy(update={"user_watermark": "off"})
    rules = ruleset_rules(delivery)
    assert [r.ref for r in rules] == [r.ref for r in cloudflare_rules(delivery.cache_rules)]
    assert USER_COPIES_REF not in [r.ref for r in rules]


@given(path=signed_paths, user=users, ttl=st.integers(1, 86400))
def test_bypass_matches_urls_signed_for_a_user_only(path: str, user: str, ttl: int) -> None:
    """The origin's own signed URLs: with a user claim the rule matches, without it not."""
    found = _QUERY_CLAUSE.match(str(user_copies_bypass_rule().expression))
    assert found is not None
    needle = found.group(1)
    with_user = sign_path(b"k" * 32, path, ttl, user=user).split("?", 1)[1]
    without = sign_path(b"k" * 32, path, ttl).split("?", 1)[1]
    assert needle in with_user and carries_user_claim(with_user)
    assert needle not in without and not carries_user_claim(without)


@given(path=paths, user=users)
def test_the_bypass_is_no_cache_class(path: str, user: str) -> None:
    """`classify` (and the VCL rendered from the same table) ignore the query: the bypass rule
    is Cloudflare-only, Varnish passes the origin's `private` responses instead."""
    table = (
        CacheRule(
            cache_class="audio",
            match=CacheMatch(extensions=("mp3",)),
            edge_ttl_seconds=60,
            browser_ttl_seconds=60,
        ),
    )
    assert classify(table, f"{path}?user={user}") is classify(table, path)
