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
    classify,
    cloudflare_expression,
    cloudflare_rules,
    first_match_order,
    path_extension,
    rule_matches,
)
from stacks.settings import CacheMatch, CacheRule, Settings

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
