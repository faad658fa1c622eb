"""The Varnish edge in front of the origin: HIT on the second request, MISS after a purge."""

from __future__ import annotations

import uuid

import httpx
import pytest
from typer.testing import CliRunner

from local.cache_cli import app as cache_app
from stacks.settings import BucketRole, Settings

pytestmark = pytest.mark.integration


def _put(edge_stack, settings: Settings, key: str, body: bytes, **extra: str) -> str:  # type: ignore[no-untyped-def]
    edge_stack.s3.put_object(
        Bucket=settings.bucket_name(BucketRole.DERIVATIVES), Key=key, Body=body, **extra
    )
    return f"{edge_stack.state.edge_url}/{key}"


def _x_cache(url: str, **headers: str) -> str:
    response = httpx.get(url, headers=headers)
    assert response.status_code == 200, response.text
    return response.headers["X-Cache"]


def test_second_request_hits_and_purge_by_tag_misses(edge_stack, local_settings: Settings) -> None:
    content = uuid.uuid4().hex
    url = _put(edge_stack, local_settings, f"audio/{content}/mp3-128.mp3", b"ID3" + b"\0" * 5000)
    assert _x_cache(url) == "MISS"
    assert _x_cache(url) == "HIT"
    result = CliRunner().invoke(
        cache_app, ["purge", "--tag", f"audio-{content}", "--root", str(edge_stack.root)]
    )
    assert result.exit_code == 0, result.output
    assert "1 objects" in result.output
    assert _x_cache(url) == "MISS"
    assert _x_cache(url) == "HIT"


def test_purge_by_url_and_by_prefix(edge_stack, local_settings: Settings) -> None:
    content = uuid.uuid4().hex
    first = _put(edge_stack, local_settings, f"images/{content}/w256.webp", b"RIFF0000WEBP")
    second = _put(edge_stack, local_settings, f"images/{content}/w512.webp", b"RIFF0000WEBP")
    for url in (first, second, first, second):
        _x_cache(url)
    assert _x_cache(first) == _x_cache(second) == "HIT"
    runner = CliRunner()
    root = str(edge_stack.root)
    result = runner.invoke(cache_app, ["purge", "--url", first, "--root", root])
    assert result.exit_code == 0, result.output
    assert (_x_cache(first), _x_cache(second)) == ("MISS", "HIT")
    result = runner.invoke(cache_app, ["purge", "--prefix", f"/images/{content}/", "--root", root])
    assert result.exit_code == 0, result.output
    assert (_x_cache(first), _x_cache(second)) == ("MISS", "MISS")


def test_purge_needs_the_token(edge_stack, local_settings: Settings) -> None:
    content = uuid.uuid4().hex
    url = _put(edge_stack, local_settings, f"audio/{content}/a.ogg", b"OggS")
    _x_cache(url)
    edge = edge_stack.state.edge_url
    for method, headers in (
        ("XKEY", {"X-Cache-Tags": f"audio-{content}"}),
        ("PURGE", {}),
        ("BAN", {"X-Ban-Pattern": "."}),
    ):
        denied = httpx.request(method, url if method == "PURGE" else edge, headers=headers)
        assert denied.status_code == 403
        wrong = httpx.request(
            method, url if method == "PURGE" else edge, headers={**headers, "X-Purge-Token": "x"}
        )
        assert wrong.status_code == 403
    assert _x_cache(url) == "HIT"


def test_edge_keeps_brotli_from_the_origin_and_sets_browser_ttl(
    edge_stack, local_settings: Settings
) -> None:
    content = uuid.uuid4().hex
    text = b"#EXTM3U\n" + b"#EXTINF:6.0,\nsegment.m4s\n" * 300
    url = _put(edge_stack, local_settings, f"audio/{content}/hls/index.m3u8", text)
    with httpx.stream("GET", url, headers={"Accept-Encoding": "br"}) as response:
        raw = b"".join(response.iter_raw())
        headers = response.headers
    assert headers["Content-Encoding"] == "br"
    assert headers["Cache-Control"] == "public, max-age=5"
    assert headers["X-Cache-Class"] == "hls-playlists"
    assert len(raw) < len(text) / 5
    plain = httpx.get(url, headers={"Accept-Encoding": "identity"})
    assert plain.content == text
    assert "Content-Encoding" not in plain.headers


def test_signed_premium_url_through_the_edge(edge_stack, local_settings: Settings) -> None:
    from workers.origin.signing import sign_path

    content = uuid.uuid4().hex
    url = _put(edge_stack, local_settings, f"premium/{content}/stem.flac", b"fLaC" * 100)
    assert httpx.get(url).status_code == 403
    key = edge_stack.state.secrets.origin_signing_key.encode()
    signed = sign_path(key, f"/premium/{content}/stem.flac", 60)
    assert httpx.get(f"{edge_stack.state.edge_url}{signed}").status_code == 200
    tampered = signed.replace("sig=", "sig=0")
    assert httpx.get(f"{edge_stack.state.edge_url}{tampered}").status_code == 403


def test_cache_warm_fetches_the_top_paths(edge_stack, local_settings: Settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    content = uuid.uuid4().hex
    urls = [
        _put(edge_stack, local_settings, f"audio/{content}/{name}.mp3", b"ID3" + name.encode())
        for name in ("a", "b", "c")
    ]
    trending = tmp_path / "trending.txt"
    trending.write_text("\n".join(u.removeprefix(edge_stack.state.edge_url) for u in urls[:2]))
    result = CliRunner().invoke(
        cache_app,
        ["warm", "--top", "2", "--trending", str(trending), "--root", str(edge_stack.root)],
    )
    assert result.exit_code == 0, result.output
    assert "before 0%, after 100%" in result.output
    assert _x_cache(urls[0]) == "HIT"
    assert _x_cache(urls[2]) == "MISS"
    from_log = CliRunner().invoke(cache_app, ["warm", "--top", "1", "--root", str(edge_stack.root)])
    assert from_log.exit_code == 0, from_log.output
    assert "after 100%" in from_log.output
