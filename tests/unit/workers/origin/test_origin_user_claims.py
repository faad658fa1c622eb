"""The user claim of signed URLs, the per-user copy names, and copies that cannot be made."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
from moto import mock_aws
from starlette.testclient import TestClient

from stacks.settings import Settings
from workers.audio.probe import AudioInfo
from workers.origin.app import create_app, private_cache_control
from workers.origin.signing import BadSignatureError, sign_path, verify
from workers.origin.user_copies import codec_args, copy_key, track_id, watermarkable

KEY = b"k" * 16


def _claims(signed: str) -> tuple[str, dict[str, str]]:
    parts = urlsplit(signed)
    return parts.path, {name: values[0] for name, values in parse_qs(parts.query).items()}


def test_a_user_claim_is_signed_and_cannot_be_swapped_added_or_dropped() -> None:
    path, query = _claims(sign_path(KEY, "/premium/t/v/mp3-320.mp3", 60, user="alice", now=1000))
    assert query["user"] == "alice"
    assert verify(KEY, path, query["exp"], query["sig"], user="alice", now=1000) == 1060
    for user in ("bob", None):
        with pytest.raises(BadSignatureError):
            verify(KEY, path, query["exp"], query["sig"], user=user, now=1000)
    _, old = _claims(sign_path(KEY, path, 60, now=1000))
    assert verify(KEY, path, old["exp"], old["sig"], now=1000) == 1060  # old URLs stay valid
    with pytest.raises(BadSignatureError):
        verify(KEY, path, old["exp"], old["sig"], user="alice", now=1000)


@pytest.mark.parametrize("user", ["", "a/b", "a\nb", "x" * 65, "../x"])
def test_bad_user_ids_are_refused(user: str) -> None:
    with pytest.raises(ValueError, match="user id"):
        sign_path(KEY, "/premium/a.mp3", 60, user=user)
    with pytest.raises(BadSignatureError):
        verify(KEY, "/premium/a.mp3", "2000", "00", user=user, now=1000)


def test_copy_names_and_track_ids() -> None:
    assert (
        copy_key("alice", "premium/t1/v2/mp3-128.mp3")
        == "watermarked/alice/premium/t1/v2/mp3-128.mp3"
    )
    assert track_id("premium/t1/v2/mp3-128.mp3") == track_id("premium/t1/v3/ogg-320.ogg") == "t1"
    assert track_id("single.mp3") == "single.mp3"
    assert [watermarkable(k) for k in ("a/b/x.MP3", "a/b/x.m4a", "a/b/seg.m4s", "a/b/x.m3u8")] == [
        True,
        True,
        False,
        False,
    ]
    with pytest.raises(ValueError):
        copy_key("../bob", "premium/t/x.mp3")


def _info(bit_rate: int, bits: int = 0) -> AudioInfo:
    return AudioInfo("mp3", "mp3", 44100, 2, bits, 30.0, bit_rate, False, {})


def test_copies_keep_the_variants_codec_and_bitrate() -> None:
    mp3 = codec_args(Path("mp3-128.mp3"), _info(130_000))
    assert mp3[mp3.index("-c:a") + 1] == "libmp3lame" and mp3[mp3.index("-b:a") + 1] == "128k"
    unnamed = codec_args(Path("track.ogg"), _info(192_400))
    assert unnamed[unnamed.index("-b:a") + 1] == "192k"
    aac = codec_args(Path("m4a-256.m4a"), _info(250_000))
    assert "-aac_ms" in aac
    assert codec_args(Path("stem.flac"), _info(0, bits=16))[-1] == "s16"


def test_private_cache_control(local_settings: Settings) -> None:
    audio = local_settings.delivery.rule_for("audio")
    assert private_cache_control(audio) == f"private, max-age={audio.browser_ttl_seconds}"
    assert private_cache_control(local_settings.delivery.rule_for("api")) == "private, no-cache"


@pytest.fixture
def origin(local_settings: Settings) -> Iterator[tuple[TestClient, object, str]]:
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        bucket = local_settings.bucket_name("derivatives")
        s3.create_bucket(Bucket=bucket)
        s3.put_object(Bucket=bucket, Key="premium/t/v/mp3-128.mp3", Body=b"ID3 not audio")
        with TestClient(create_app(local_settings, s3=s3, signing_key=KEY)) as client:
            yield client, s3, bucket


def test_a_copy_that_cannot_be_made_is_a_500_and_stores_nothing(origin) -> None:  # type: ignore[no-untyped-def]
    client, s3, bucket = origin
    response = client.get(sign_path(KEY, "/premium/t/v/mp3-128.mp3", 60, user="alice"))
    assert response.status_code == 500
    assert "cannot watermark for alice" in response.text
    assert s3.list_objects_v2(Bucket=bucket, Prefix="watermarked/").get("KeyCount") == 0
    metrics = client.app.state.metrics  # type: ignore[attr-defined]
    assert metrics.watermark_copies.labels("failed")._value.get() == 1
