"""Signing, ranges and cache classification of the origin (pure functions)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from components.cache_rules import classify as edge_classify
from stacks.settings import Settings
from workers.origin.cache_headers import cache_control, cache_tags, classify
from workers.origin.ranges import RangeNotSatisfiableError, parse_range
from workers.origin.signing import (
    BadSignatureError,
    ExpiredSignatureError,
    MissingSignatureError,
    sign_path,
    verify,
)


def _split(signed: str) -> tuple[str, str, str]:
    path, _, query = signed.partition("?")
    params = dict(part.split("=") for part in query.split("&"))
    return path, params["exp"], params["sig"]


def test_signed_path_verifies_until_it_expires() -> None:
    path, exp, sig = _split(sign_path(b"k" * 16, "/premium/a.flac", 60, now=1000))
    assert verify(b"k" * 16, path, exp, sig, now=1059) == 1060
    with pytest.raises(ExpiredSignatureError):
        verify(b"k" * 16, path, exp, sig, now=1061)


def test_tampering_with_path_expiry_or_key_fails() -> None:
    path, exp, sig = _split(sign_path(b"k" * 16, "/premium/a.flac", 60, now=1000))
    with pytest.raises(BadSignatureError):
        verify(b"k" * 16, "/premium/b.flac", exp, sig, now=1000)
    with pytest.raises(BadSignatureError):
        verify(b"k" * 16, path, str(int(exp) + 1), sig, now=1000)
    with pytest.raises(BadSignatureError):
        verify(b"x" * 16, path, exp, sig, now=1000)
    with pytest.raises(BadSignatureError):
        verify(b"k" * 16, path, "soon", sig, now=1000)
    with pytest.raises(MissingSignatureError):
        verify(b"k" * 16, path, None, None)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("bytes=0-0", (0, 0)),
        ("bytes=5-", (5, 99)),
        ("bytes=-5", (95, 99)),
        ("bytes=-500", (0, 99)),
        ("bytes=90-500", (90, 99)),
        ("bytes=0-1,5-6", None),
        ("items=0-1", None),
        ("bytes=9-3", None),
    ],
)
def test_parse_range(header: str | None, expected: tuple[int, int] | None) -> None:
    assert parse_range(header, 100) == expected


@pytest.mark.parametrize("header", ["bytes=100-", "bytes=-0"])
def test_unsatisfiable_ranges(header: str) -> None:
    with pytest.raises(RangeNotSatisfiableError):
        parse_range(header, 100)


path_segments = st.text(alphabet="abcAB019._-", min_size=1, max_size=8)


@settings(deadline=None)
@given(
    segments=st.lists(path_segments, min_size=1, max_size=4),
    extension=st.sampled_from(["mp3", "MP3", "m3u8", "m4s", "webp", "json", "", "flac", "Ts"]),
    prefix=st.sampled_from(["", "/api", "/api/", "/API/"]),
)
def test_origin_classifies_like_the_edge(
    local_settings: Settings, segments: list[str], extension: str, prefix: str
) -> None:
    path = prefix + "/" + "/".join(segments) + (f".{extension}" if extension else "")
    rules = local_settings.delivery.cache_rules
    assert classify(rules, path) == edge_classify(rules, path)
    assert classify(rules, path + "?exp=1&sig=ab.mp3") == edge_classify(rules, path)


def test_cache_control_and_tags(local_settings: Settings) -> None:
    rules = local_settings.delivery.cache_rules
    api = classify(rules, "/api/v1/tracks.json")
    assert api is not None and api.cache_class == "api"
    assert cache_control(api) == "public, no-cache, s-maxage=300"
    audio = classify(rules, "/audio/abc/mp3-128.mp3")
    assert cache_tags(audio, "audio/abc/mp3-128.mp3") == ["audio", "audio-abc"]
    assert cache_tags(None, "robots.txt") == []
