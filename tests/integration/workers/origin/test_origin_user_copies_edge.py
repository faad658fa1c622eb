"""Per-user copies through the real edge: Varnish in front of the origin process, on moto."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
import pytest

from stacks.settings import BucketRole, Settings
from workers.audio.watermark.payload import detect_file, user_payload
from workers.origin.signing import sign_path

pytestmark = pytest.mark.integration


def test_the_edge_passes_each_user_their_own_copy(
    edge_stack, local_settings: Settings, track_mp3: Path, tmp_path: Path
) -> None:
    track = uuid.uuid4().hex
    key = f"premium/{track}/v1/mp3-128.mp3"
    edge_stack.s3.put_object(
        Bucket=local_settings.bucket_name(BucketRole.DERIVATIVES),
        Key=key,
        Body=track_mp3.read_bytes(),
        ContentType="audio/mpeg",
    )
    signing_key = edge_stack.state.secrets.origin_signing_key.encode()
    audio = local_settings.audio
    for user in ("alice", "bob"):
        url = f"{edge_stack.state.edge_url}{sign_path(signing_key, f'/{key}', 300, user=user)}"
        first, second = httpx.get(url, timeout=60), httpx.get(url, timeout=60)
        for response in (first, second):
            assert response.status_code == 200, response.text
            assert response.headers["x-cache"] == "MISS"  # never stored at the edge
            assert response.headers["cache-control"].startswith("private")
            assert "cache-tag" not in response.headers
        assert second.content == first.content  # the stored copy, not a second encode
        (tmp_path / f"{user}.mp3").write_bytes(first.content)
        found = detect_file(tmp_path / f"{user}.mp3", audio)
        assert found.payload == user_payload(audio.watermark_key, user, track)
    metrics = httpx.get(f"http://127.0.0.1:{edge_stack.state.ports.origin}/metrics").text
    assert 'origin_watermark_copies_total{outcome="encoded"} 2.0' in metrics
    assert 'origin_watermark_copies_total{outcome="reused"} 2.0' in metrics
