"""The edge VCL rendered from the cache rules: compiles, and classifies like Cloudflare."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from components.cache_rules import classify
from local.vcl import VclError, render_vcl, vcl_rules
from stacks.settings import CacheMatch, CacheRule, DeliverySettings, Settings

TOKEN = "t" * 24


def _first_match(delivery: DeliverySettings, path: str) -> str | None:
    for rule in vcl_rules(delivery.cache_rules):
        pattern = re.fullmatch(r'bereq\.url ~ "(.*)"', rule.condition)
        assert pattern is not None
        if re.search(pattern.group(1), path):
            return rule.cache_class
    return None


segments = st.text(alphabet="abAB09._-", min_size=1, max_size=6)


@settings(deadline=None)
@given(
    parts=st.lists(segments, min_size=1, max_size=3),
    extension=st.sampled_from(["mp3", "Mp3", "m3u8", "ts", "webp", "JPG", "json", "", "flac"]),
    prefix=st.sampled_from(["", "/api", "/api/", "/Api/"]),
    query=st.sampled_from(["", "?a=1", "?x=.mp3"]),
)
def test_vcl_conditions_classify_like_the_cloudflare_rules(
    local_settings: Settings, parts: list[str], extension: str, prefix: str, query: str
) -> None:
    path = prefix + "/" + "/".join(parts) + (f".{extension}" if extension else "") + query
    expected = classify(local_settings.delivery.cache_rules, path)
    assert _first_match(local_settings.delivery, path) == (expected and expected.cache_class)


def test_overlapping_rules_last_one_wins(local_settings: Settings) -> None:
    rules = (
        CacheRule(
            cache_class="api",
            match=CacheMatch(path_prefixes=("/api/",)),
            edge_ttl_seconds=300,
            browser_ttl_seconds=0,
        ),
        CacheRule(
            cache_class="images",
            match=CacheMatch(extensions=("png",)),
            edge_ttl_seconds=86400,
            browser_ttl_seconds=3600,
        ),
    )
    delivery = local_settings.delivery.model_copy(update={"cache_rules": rules})
    assert _first_match(delivery, "/api/logo.png") == "images"
    assert _first_match(delivery, "/api/x.json") == "api"


def test_rendered_vcl_has_the_ttls_purge_acl_and_token(local_settings: Settings) -> None:
    vcl = render_vcl(
        local_settings.delivery,
        stack="local",
        origin_host="127.0.0.1",
        origin_port=8081,
        purge_token=TOKEN,
    )
    for rule in local_settings.delivery.cache_rules:
        assert f"set beresp.ttl = {rule.edge_ttl_seconds}s;" in vcl
        assert f'X-Cache-Class = "{rule.cache_class}"' in vcl
    assert '.port = "8081";' in vcl
    assert f'req.http.X-Purge-Token != "{TOKEN}"' in vcl
    assert '"127.0.0.1";' in vcl
    assert "xkey.purge(" in vcl
    assert 'set resp.http.Cache-Control = "no-cache";' in vcl  # api: browser TTL 0


@pytest.mark.skipif(shutil.which("varnishd") is None, reason="varnishd not installed")
def test_rendered_vcl_compiles(local_settings: Settings, tmp_path: Path) -> None:
    vcl = tmp_path / "edge.vcl"
    vcl.write_text(
        render_vcl(
            local_settings.delivery,
            stack="local",
            origin_host="127.0.0.1",
            origin_port=8081,
            purge_token=TOKEN,
        )
    )
    result = subprocess.run(
        ["varnishd", "-j", "none", "-C", "-n", str(tmp_path / "n"), "-f", str(vcl)],
        capture_output=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode()[-2000:]


@pytest.mark.parametrize(
    ("token", "port"), [("short", 8081), ('bad"token-xxxxxxxxxxx', 8081), (TOKEN, 0)]
)
def test_bad_token_or_port_is_refused(local_settings: Settings, token: str, port: int) -> None:
    with pytest.raises(VclError):
        render_vcl(
            local_settings.delivery,
            stack="local",
            origin_host="127.0.0.1",
            origin_port=port,
            purge_token=token,
        )
