"""The delivery origin over an in-process moto S3: ranges, conditionals, cache headers, signing."""

from __future__ import annotations

import gzip
import time
from collections.abc import Iterator

import boto3
import brotli
import pytest
from moto import mock_aws
from starlette.testclient import TestClient

from stacks.settings import Settings
from workers.origin.app import create_app
from workers.origin.signing import sign_path

KEY = b"origin-test-signing-key"
SHA = "ab" * 32
AUDIO = f"audio/{SHA}/mp3-320.mp3"
PLAYLIST = f"audio/{SHA}/hls/master.m3u8"
PREMIUM = f"premium/{SHA}/stem.flac"
BODY = bytes(range(256)) * 400  # 102400 bytes, every offset distinguishable
PLAYLIST_TEXT = ("#EXTM3U\n#EXT-X-VERSION:7\n" + "#EXTINF:6.0,\nseg.m4s\n" * 200).encode()


@pytest.fixture
def client(local_settings: Settings) -> Iterator[TestClient]:
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        bucket = local_settings.bucket_name("derivatives")
        s3.create_bucket(Bucket=bucket)
        s3.put_object(Bucket=bucket, Key=AUDIO, Body=BODY, ContentType="audio/mpeg")
        s3.put_object(Bucket=bucket, Key=PLAYLIST, Body=PLAYLIST_TEXT)
        s3.put_object(Bucket=bucket, Key=PREMIUM, Body=b"fLaC" + BODY)
        s3.put_object(
            Bucket=bucket, Key="images/x/meta.webp", Body=b"RIFF", Metadata={"access": "premium"}
        )
        app = create_app(local_settings, s3=s3, signing_key=KEY)
        with TestClient(app) as test_client:
            yield test_client


def test_full_get_has_validators_and_cache_headers(client: TestClient) -> None:
    response = client.get(f"/{AUDIO}")
    assert response.status_code == 200
    assert response.content == BODY
    assert response.headers["etag"].startswith('"')
    assert response.headers["last-modified"].endswith("GMT")
    assert response.headers["accept-ranges"] == "bytes"
    assert response.headers["cache-control"] == "public, max-age=86400, s-maxage=2592000"
    assert response.headers["cache-tag"] == f"audio,audio-{SHA}"
    assert response.headers["content-type"] == "audio/mpeg"


@pytest.mark.parametrize(
    ("header", "first", "last"),
    [("bytes=0-99", 0, 99), ("bytes=1000-", 1000, 102399), ("bytes=-10", 102390, 102399)],
)
def test_range_returns_exact_bytes(client: TestClient, header: str, first: int, last: int) -> None:
    response = client.get(f"/{AUDIO}", headers={"Range": header})
    assert response.status_code == 206
    assert response.content == BODY[first : last + 1]
    assert response.headers["content-range"] == f"bytes {first}-{last}/{len(BODY)}"


def test_unsatisfiable_range_is_416(client: TestClient) -> None:
    response = client.get(f"/{AUDIO}", headers={"Range": "bytes=999999-"})
    assert response.status_code == 416
    assert response.headers["content-range"] == f"bytes */{len(BODY)}"


def test_if_range_with_other_etag_sends_everything(client: TestClient) -> None:
    response = client.get(f"/{AUDIO}", headers={"Range": "bytes=0-9", "If-Range": '"other"'})
    assert response.status_code == 200
    assert len(response.content) == len(BODY)


def test_conditional_requests_get_304(client: TestClient) -> None:
    first = client.get(f"/{AUDIO}")
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    assert client.get(f"/{AUDIO}", headers={"If-None-Match": etag}).status_code == 304
    assert client.get(f"/{AUDIO}", headers={"If-Modified-Since": modified}).status_code == 304
    assert client.get(f"/{AUDIO}", headers={"If-None-Match": '"nope"'}).status_code == 200


def test_playlist_is_brotli_or_gzip_compressed(client: TestClient) -> None:
    br = client.get(f"/{PLAYLIST}", headers={"Accept-Encoding": "gzip, br"})
    assert br.headers["content-encoding"] == "br"
    assert br.headers["content-type"].startswith("application/vnd.apple.mpegurl")
    assert br.headers["vary"] == "Accept-Encoding"
    assert br.headers["cache-control"] == "public, max-age=5, s-maxage=10"
    assert br.content == PLAYLIST_TEXT  # httpx decodes br and gzip
    assert int(br.headers["content-length"]) < len(PLAYLIST_TEXT) / 5
    gz = client.get(f"/{PLAYLIST}", headers={"Accept-Encoding": "gzip"})
    assert gz.headers["content-encoding"] == "gzip"
    assert gz.headers["etag"] != br.headers["etag"]


def test_missing_object_is_404(client: TestClient) -> None:
    assert client.get("/audio/none/x.mp3").status_code == 404
    assert client.get("/audio/../etc/passwd").status_code == 404


def test_premium_needs_a_valid_unexpired_signature(client: TestClient) -> None:
    path = f"/{PREMIUM}"
    assert client.get(path).status_code == 403
    signed = sign_path(KEY, path, 60)
    assert client.get(signed).status_code == 200
    tampered = signed.replace("premium/", "premium//")
    assert client.get(tampered).status_code in {403, 404}
    bad_sig = signed[:-1] + ("0" if signed[-1] != "0" else "1")
    assert client.get(bad_sig).status_code == 403
    other_exp = signed.replace("exp=", "exp=1")
    assert client.get(other_exp).status_code == 403
    expired = sign_path(KEY, path, 10, now=time.time() - 3600)
    assert client.get(expired).status_code == 403
    wrong_key = sign_path(b"another-key", path, 60)
    assert client.get(wrong_key).status_code == 403


def test_premium_by_metadata(client: TestClient) -> None:
    assert client.get("/images/x/meta.webp").status_code == 403
    assert client.get(sign_path(KEY, "/images/x/meta.webp", 60)).status_code == 200


def test_metrics_count_requests_and_rejections(client: TestClient) -> None:
    client.get(f"/{AUDIO}")
    client.get(f"/{PREMIUM}")
    text = client.get("/metrics").text
    assert 'origin_requests_total{cache_class="audio",method="GET",status="200"} 1.0' in text
    assert 'origin_signature_rejections_total{reason="MissingSignatureError"} 1.0' in text
    assert f'origin_response_bytes_total{{cache_class="audio"}} {float(len(BODY))}' in text


def test_brotli_body_is_real_brotli(client: TestClient) -> None:
    with client.stream("GET", f"/{PLAYLIST}", headers={"Accept-Encoding": "br"}) as response:
        raw = b"".join(response.iter_raw())
    assert brotli.decompress(raw) == PLAYLIST_TEXT
    with client.stream("GET", f"/{PLAYLIST}", headers={"Accept-Encoding": "gzip"}) as response:
        raw = b"".join(response.iter_raw())
    assert gzip.decompress(raw) == PLAYLIST_TEXT


def test_range_on_a_playlist_is_not_compressed(client: TestClient) -> None:
    response = client.get(f"/{PLAYLIST}", headers={"Accept-Encoding": "br", "Range": "bytes=0-6"})
    assert response.status_code == 206
    assert response.content == b"#EXTM3U"
    assert "content-encoding" not in response.headers
