"""Abandoned uploads: aborted and their quota given back, on demand and by the app's timer."""

from __future__ import annotations

import time
import uuid

import httpx
import pytest
from uploads_harness import SECRET, LiveServer, UploadStack, provision

from stacks.settings import Settings
from workers.uploads.api import create_app
from workers.uploads.tokens import issue_token

pytestmark = pytest.mark.integration


def _create(url: str, user: str, size: int) -> dict:
    response = httpx.post(
        f"{url}/s3/multipart",
        json={"filename": "left.wav", "size": size},
        headers={"Authorization": f"Bearer {issue_token(SECRET, user, 600)}"},
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_reap_releases_only_old_reservations(upload_stack: UploadStack) -> None:
    service = upload_stack.app.state.service
    _create(upload_stack.url, "gus", 300)
    _create(upload_stack.url, "hal", 200)
    assert service.reap_abandoned(3600) == 0
    assert len(upload_stack.multipart_uploads()) == 2

    assert service.reap_abandoned(3600, now=time.time() + 7200) == 2
    assert upload_stack.multipart_uploads() == []
    assert service.quotas.usage("gus").total_bytes == 0
    assert service.quotas.usage("hal").total_bytes == 0
    assert service.reap_abandoned(0, now=time.time() + 7200) == 0


def test_completed_uploads_are_not_touched(upload_stack: UploadStack) -> None:
    created = _create(upload_stack.url, "ida", 10)
    headers = {"Authorization": f"Bearer {upload_stack.token('ida')}"}
    signed = httpx.get(
        f"{upload_stack.url}/s3/multipart/{created['uploadId']}/1",
        params={"key": created["key"]},
        headers=headers,
    ).json()
    etag = httpx.put(signed["url"], content=b"0123456789").headers["etag"]
    httpx.post(
        f"{upload_stack.url}/s3/multipart/{created['uploadId']}/complete",
        params={"key": created["key"]},
        json={"parts": [{"PartNumber": 1, "ETag": etag}]},
        headers=headers,
    ).raise_for_status()
    service = upload_stack.app.state.service
    assert service.reap_abandoned(0, now=time.time() + 10) == 0
    assert service.quotas.usage("ida").used_bytes == 10


def test_the_running_app_reaps_on_its_timer(local_settings: Settings, moto_endpoint: str) -> None:
    settings = local_settings.model_copy(update={"stack": f"rp{uuid.uuid4().hex[:8]}"})
    resources = provision(settings, moto_endpoint)
    app = create_app(
        settings,
        s3=resources["s3"],
        dynamodb=resources["dynamodb"],
        sns=resources["sns"],
        token_secret=SECRET,
        reap_every_s=0.1,
        abandon_after_s=0,
    )
    server = LiveServer(app, lifespan="on")
    server.start()
    try:
        _create(server.url, "jon", 100)
        deadline = time.monotonic() + 20
        while app.state.service.quotas.usage("jon").total_bytes:
            assert time.monotonic() < deadline, "the abandoned upload was never reaped"
            time.sleep(0.1)
        bucket = settings.bucket_name("incoming")
        assert resources["s3"].list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    finally:
        server.stop()
