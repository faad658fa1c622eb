"""Every Uppy multipart endpoint of the uploads API, against moto and a live uvicorn server."""

from __future__ import annotations

import hashlib
import os
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from uploads_harness import SECRET, UploadStack, metric_value

from workers.uploads.tokens import issue_token

pytestmark = pytest.mark.integration
MIB = 1024 * 1024


def _create(api: httpx.Client, filename: str, size: int) -> httpx.Response:
    return api.post(
        "/s3/multipart",
        json={"filename": filename, "type": "audio/wav", "metadata": {}, "size": size},
    )


def _put_parts(api: httpx.Client, created: dict, data: bytes) -> list[dict]:
    parts = []
    psize = created["partSize"]
    for number in range(1, created["partCount"] + 1):
        signed = api.get(
            f"/s3/multipart/{created['uploadId']}/{number}", params={"key": created["key"]}
        )
        assert signed.status_code == 200, signed.text
        chunk = data[(number - 1) * psize : number * psize]
        put = httpx.put(signed.json()["url"], content=chunk)
        assert put.status_code == 200, put.text
        parts.append({"PartNumber": number, "ETag": put.headers["etag"]})
    return parts


def test_health_and_metrics(upload_stack: UploadStack) -> None:
    assert httpx.get(f"{upload_stack.url}/healthz").json()["status"] == "ok"
    metrics = httpx.get(f"{upload_stack.url}/metrics")
    assert metrics.status_code == 200
    assert metric_value(metrics.text, "mediainfra_uploads_started_total") == 0


def test_full_uppy_flow_stores_the_exact_bytes(upload_stack: UploadStack) -> None:
    data = os.urandom(11 * MIB + 123)
    with upload_stack.client("alice") as api:
        response = _create(api, "my track (final).wav", len(data))
        assert response.status_code == 200, response.text
        created = response.json()
        assert created["partSize"] == 5 * MIB
        assert created["partCount"] == 3
        assert created["key"].startswith("alice/")
        assert created["key"].endswith("/my_track_(final).wav")
        parts = _put_parts(api, created, data)

        listed = api.get(f"/s3/multipart/{created['uploadId']}", params={"key": created["key"]})
        assert [(p["PartNumber"], p["Size"]) for p in listed.json()] == [
            (1, 5 * MIB),
            (2, 5 * MIB),
            (3, MIB + 123),
        ]
        done = api.post(
            f"/s3/multipart/{created['uploadId']}/complete",
            params={"key": created["key"]},
            json={"parts": parts},
        )
        assert done.status_code == 200, done.text
        assert done.json()["location"]

    stored = upload_stack.s3.get_object(Bucket=upload_stack.bucket, Key=created["key"])
    assert hashlib.sha256(stored["Body"].read()).digest() == hashlib.sha256(data).digest()
    assert stored["ContentType"] == "audio/wav"
    assert stored["Metadata"]["user-id"] == "alice"
    usage = upload_stack.app.state.service.quotas.usage("alice")
    assert (usage.used_bytes, usage.reserved_bytes) == (len(data), 0)
    metrics = httpx.get(f"{upload_stack.url}/metrics").text
    assert metric_value(metrics, "mediainfra_uploads_completed_total") == 1
    assert metric_value(metrics, "mediainfra_upload_bytes_total") == len(data)


def test_presigned_part_url_is_a_sigv4_upload_part_url(upload_stack: UploadStack) -> None:
    with upload_stack.client("bob") as api:
        created = _create(api, "a.flac", 100).json()
        url = api.get(f"/s3/multipart/{created['uploadId']}/1", params={"key": created["key"]})
    query = parse_qs(urlparse(url.json()["url"]).query)
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert query["X-Amz-Expires"] == [str(upload_stack.settings.uploads.presign_expiry_seconds)]
    assert query["uploadId"] == [created["uploadId"]] and query["partNumber"] == ["1"]
    assert len(query["X-Amz-Signature"][0]) == 64
    assert urlparse(url.json()["url"]).path.endswith(created["key"])


def test_batch_signing_and_part_number_bounds(upload_stack: UploadStack) -> None:
    with upload_stack.client("bob") as api:
        created = _create(api, "b.flac", 12 * MIB).json()
        base = f"/s3/multipart/{created['uploadId']}"
        batch = api.get(f"{base}/batch", params={"key": created["key"], "partNumbers": "1,2,3"})
        assert sorted(batch.json()["presignedUrls"]) == ["1", "2", "3"]
        assert api.get(f"{base}/4", params={"key": created["key"]}).status_code == 400
        assert api.get(f"{base}/0", params={"key": created["key"]}).status_code == 400


def test_complete_with_a_missing_part_is_refused_and_resumable(upload_stack: UploadStack) -> None:
    data = os.urandom(6 * MIB)
    with upload_stack.client("carol") as api:
        created = _create(api, "c.wav", len(data)).json()
        parts = _put_parts(api, created, data)
        incomplete = api.post(
            f"/s3/multipart/{created['uploadId']}/complete",
            params={"key": created["key"]},
            json={"parts": parts[:1]},
        )
        assert incomplete.status_code == 400
        assert incomplete.json()["error"] == "incomplete_upload"
        done = api.post(
            f"/s3/multipart/{created['uploadId']}/complete",
            params={"key": created["key"]},
            json={"parts": parts},
        )
        assert done.status_code == 200, done.text


def test_abort_releases_the_reservation(upload_stack: UploadStack) -> None:
    with upload_stack.client("dave") as api:
        created = _create(api, "d.wav", 7 * MIB).json()
        quotas = upload_stack.app.state.service.quotas
        assert quotas.usage("dave").reserved_bytes == 7 * MIB
        aborted = api.delete(f"/s3/multipart/{created['uploadId']}", params={"key": created["key"]})
        assert aborted.status_code == 200
        assert quotas.usage("dave").total_bytes == 0
        assert upload_stack.multipart_uploads() == []
        gone = api.get(f"/s3/multipart/{created['uploadId']}", params={"key": created["key"]})
        assert gone.status_code == 404
        again = api.delete(f"/s3/multipart/{created['uploadId']}", params={"key": created["key"]})
        assert again.status_code == 404
        assert quotas.usage("dave").total_bytes == 0


@pytest.mark.parametrize(
    "filename",
    ["../../etc/passwd", "..", "a/b.wav", "evil\\..\\x.wav", "bell\x07.wav", "\u202egnp.exe"],
)
def test_traversal_and_control_characters_are_rejected(
    upload_stack: UploadStack, filename: str
) -> None:
    with upload_stack.client("eve") as api:
        response = _create(api, filename, 100)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_filename"
    assert upload_stack.multipart_uploads() == []


def test_zero_byte_file_is_rejected_clearly(upload_stack: UploadStack) -> None:
    with upload_stack.client("eve") as api:
        response = _create(api, "empty.wav", 0)
    assert response.status_code == 400
    assert response.json() == {
        "error": "empty_file",
        "message": "the file is empty (0 bytes): nothing to upload",
    }
    assert upload_stack.multipart_uploads() == []


def test_tokens_tampered_expired_wrong_key_or_missing_get_401(upload_stack: UploadStack) -> None:
    good = upload_stack.token("frank")
    header, payload, signature = good.split(".")
    tampered = f"{header}.{payload[:-2]}{'AA' if payload[-2:] != 'AA' else 'BB'}.{signature}"
    cases = {
        "missing": {},
        "tampered": {"Authorization": f"Bearer {tampered}"},
        "expired": {"Authorization": f"Bearer {issue_token(SECRET, 'frank', 1, now=1000)}"},
        "wrong key": {"Authorization": f"Bearer {issue_token(b'other', 'frank', 3600)}"},
        "garbage": {"Authorization": "Bearer not-a-token"},
    }
    for name, headers in cases.items():
        response = httpx.post(
            f"{upload_stack.url}/s3/multipart",
            json={"filename": "x.wav", "size": 10},
            headers=headers,
        )
        assert response.status_code == 401, name
        assert response.json()["error"] == "unauthorized", name
    assert upload_stack.multipart_uploads() == []


def test_another_users_upload_is_forbidden(upload_stack: UploadStack) -> None:
    with upload_stack.client("grace") as owner, upload_stack.client("mallory") as other:
        created = _create(owner, "g.wav", 100).json()
        for response in (
            other.get(f"/s3/multipart/{created['uploadId']}/1", params={"key": created["key"]}),
            other.get(f"/s3/multipart/{created['uploadId']}", params={"key": created["key"]}),
            other.delete(f"/s3/multipart/{created['uploadId']}", params={"key": created["key"]}),
        ):
            assert response.status_code == 403
    assert len(upload_stack.multipart_uploads()) == 1
