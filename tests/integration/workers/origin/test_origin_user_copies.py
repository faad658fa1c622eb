"""Per-user watermarked copies at the origin, over a real moto S3 server."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from unittest.mock import patch

import pytest
from mutagen.mp3 import MP3
from starlette.testclient import TestClient

from stacks.settings import Settings
from workers.audio.watermark.payload import detect_file, user_payload
from workers.origin.app import create_app
from workers.origin.metrics import OriginMetrics
from workers.origin.signing import sign_path
from workers.origin.user_copies import UserCopies, copy_key

pytestmark = pytest.mark.integration

KEY = b"origin-user-copies-signing-key"


def _origin(settings: Settings, track, mode: str = "signed-users") -> TestClient:  # type: ignore[no-untyped-def]
    delivery = settings.delivery.model_copy(update={"user_watermark": mode})
    settings = settings.model_copy(update={"delivery": delivery})
    app = create_app(settings, s3=track.s3, signing_key=KEY, bucket=track.bucket)
    return TestClient(app)


@pytest.fixture
def origin(local_settings: Settings, premium_track) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with _origin(local_settings, premium_track) as client:
        yield client


def _copies(client: TestClient, outcome: str) -> float:
    metrics: OriginMetrics = client.app.state.metrics  # type: ignore[attr-defined]
    return metrics.watermark_copies.labels(outcome)._value.get()


def _signed(track, user: str | None) -> str:  # type: ignore[no-untyped-def]
    return sign_path(KEY, f"/{track.key}", 300, user=user)


def test_each_user_gets_a_copy_carrying_their_own_payload(
    origin: TestClient, premium_track, local_settings: Settings, tmp_path: Path
) -> None:
    audio = local_settings.audio
    for user in ("alice", "bob"):
        response = origin.get(_signed(premium_track, user))
        assert response.status_code == 200, response.text
        assert response.headers["cache-control"] == "private, max-age=86400"
        assert "cache-tag" not in response.headers
        assert response.headers["content-type"] == "audio/mpeg"
        assert response.content != premium_track.original
        (tmp_path / f"{user}.mp3").write_bytes(response.content)
    expected = {
        u: user_payload(audio.watermark_key, u, premium_track.track_id) for u in ("alice", "bob")
    }
    assert expected["alice"] != expected["bob"]
    for user in ("alice", "bob"):
        found = detect_file(tmp_path / f"{user}.mp3", audio)
        assert found.payload == expected[user], (user, found.confidence)
    (tmp_path / "original.mp3").write_bytes(premium_track.original)
    assert detect_file(tmp_path / "original.mp3", audio).payload is None
    copy = MP3(tmp_path / "alice.mp3")
    assert abs(copy.info.bitrate - 128_000) <= 8_000  # the variant's bitrate, not 320k
    assert str(copy.tags["TIT2"]) == "Fingerprint Test"
    stored = premium_track.s3.head_object(
        Bucket=premium_track.bucket, Key=copy_key("alice", premium_track.key)
    )
    assert stored["Metadata"]["watermark-payload"] == expected["alice"].hex()


def test_a_second_request_reuses_the_stored_copy(origin: TestClient, premium_track) -> None:
    url = _signed(premium_track, "carol")
    first = origin.get(url)
    assert first.status_code == 200
    key = copy_key("carol", premium_track.key)
    stored = premium_track.s3.head_object(Bucket=premium_track.bucket, Key=key)
    again = origin.get(url)
    ranged = origin.get(url, headers={"Range": "bytes=100-199"})
    revalidated = origin.get(url, headers={"If-None-Match": first.headers["etag"]})
    assert again.content == first.content
    assert (ranged.status_code, ranged.content) == (206, first.content[100:200])
    assert revalidated.status_code == 304
    after = premium_track.s3.head_object(Bucket=premium_track.bucket, Key=key)
    assert (after["ETag"], after["LastModified"]) == (stored["ETag"], stored["LastModified"])
    assert first.headers["etag"] == stored["ETag"]
    assert _copies(origin, "encoded") == 1
    assert _copies(origin, "reused") == 3


def test_concurrent_first_requests_encode_once(origin: TestClient, premium_track) -> None:
    copies: UserCopies = origin.app.state.user_copies  # type: ignore[attr-defined]
    source = premium_track.s3.head_object(Bucket=premium_track.bucket, Key=premium_track.key)
    results: list[str] = []
    start = threading.Barrier(4)

    def request() -> None:
        start.wait()
        _, head = copies.ensure("dave", premium_track.key, source)
        results.append(head["ETag"])

    threads = [threading.Thread(target=request) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 4 and len(set(results)) == 1
    assert (_copies(origin, "encoded"), _copies(origin, "reused")) == (1, 3)


def test_an_origin_losing_the_race_serves_the_first_copy(
    local_settings: Settings, premium_track
) -> None:
    """Two origin tasks both saw no copy: the second PUT is refused (If-None-Match: *)."""
    source = premium_track.s3.head_object(Bucket=premium_track.bucket, Key=premium_track.key)

    def task() -> UserCopies:
        return UserCopies(
            premium_track.s3, premium_track.bucket, local_settings.audio, OriginMetrics()
        )

    first, second = task(), task()
    _, stored = first.ensure("erin", premium_track.key, source)
    real_head = second.head
    missed: list[str] = []

    def head_missing_once(key: str):  # type: ignore[no-untyped-def]
        if not missed:
            missed.append(key)
            return None
        return real_head(key)

    with patch.object(second, "head", side_effect=head_missing_once):
        _, served = second.ensure("erin", premium_track.key, source)
    assert missed == [copy_key("erin", premium_track.key)]
    assert served["ETag"] == stored["ETag"]
    assert served["LastModified"] == stored["LastModified"]
    assert second.metrics.watermark_copies.labels("lost-race")._value.get() == 1


def test_urls_without_a_user_and_the_modes(
    origin: TestClient, premium_track, local_settings: Settings
) -> None:
    shared = origin.get(_signed(premium_track, None))
    assert shared.status_code == 200
    assert shared.content == premium_track.original
    assert shared.headers["cache-control"].startswith("public")
    assert "cache-tag" in shared.headers
    with _origin(local_settings, premium_track, "required") as required:
        assert required.get(_signed(premium_track, None)).status_code == 403
    with _origin(local_settings, premium_track, "off") as off:
        unmarked = off.get(_signed(premium_track, "frank"))
        assert unmarked.status_code == 200
        assert unmarked.content == premium_track.original
    assert _copies(origin, "encoded") == 0


def test_copies_are_reachable_only_through_the_owners_signed_url(
    origin: TestClient, premium_track
) -> None:
    url = _signed(premium_track, "grace")
    assert origin.get(url).status_code == 200
    assert origin.get(f"/{copy_key('grace', premium_track.key)}").status_code == 404
    assert origin.get(url.replace("user=grace", "user=heidi")).status_code == 403
    assert origin.get(url.replace("&user=grace", "")).status_code == 403


def test_a_changed_original_is_watermarked_again(
    origin: TestClient, premium_track, tmp_path: Path
) -> None:
    url = _signed(premium_track, "ivan")
    assert origin.get(url).status_code == 200
    retagged = tmp_path / "retagged.mp3"
    retagged.write_bytes(premium_track.original)
    tags = MP3(retagged)
    tags.tags["TIT2"].text = ["Fingerprint Test (remaster)"]  # type: ignore[index]
    tags.save()
    put = premium_track.s3.put_object(
        Bucket=premium_track.bucket, Key=premium_track.key, Body=retagged.read_bytes()
    )
    response = origin.get(url)
    assert response.status_code == 200
    stored = premium_track.s3.head_object(
        Bucket=premium_track.bucket, Key=copy_key("ivan", premium_track.key)
    )
    assert stored["Metadata"]["source-etag"] == put["ETag"]
    assert _copies(origin, "encoded") == 2
    (tmp_path / "ivan.mp3").write_bytes(response.content)
    assert str(MP3(tmp_path / "ivan.mp3").tags["TIT2"]) == "Fingerprint Test (remaster)"
