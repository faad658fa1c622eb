"""Scenario: uploads through the uploads API (presigned multipart), measured in MB/s.

The API hands out part URLs; the parts go straight to S3. A bearer token comes from
`--upload-token`, or is issued for a per-user id from `--upload-token-secret` with the
uploads API's own token helper (`workers.uploads.tokens.issue_token`, the documented
`v1.<claims>.<hmac>` format; the one import of worker code in the harness).

Parts go up `--upload-parallel` at a time (greenlets sharing the user's HTTP session), as
the upload CLI and Uppy send them; a failed part aborts the upload, so none is left behind.
"""

from __future__ import annotations

import os
import time
import uuid
from typing import Any

from gevent.pool import Pool
from locust import task

from loadtests.users import MediaUser

TOKEN_TTL_S = 3600


def bearer_token(options: Any, user_id: str) -> str | None:
    if getattr(options, "upload_token", ""):
        return str(options.upload_token)
    secret = getattr(options, "upload_token_secret", "")
    if not secret:
        return None
    from workers.uploads.tokens import issue_token

    return issue_token(str(secret).encode(), user_id, TOKEN_TTL_S)


def multipart_upload(
    user: MediaUser, token: str, body: bytes, filename: str, kind: str, *, sample: bool = True
) -> bool:
    """Upload `body` through the uploads API; True when stored.

    With `sample`, records an `upload` sample (bytes over the whole create-to-complete time).
    """
    recorder = user.harness.recorder
    options = user.environment.parsed_options
    base = str(options.uploads_url).rstrip("/")
    parallel = max(1, int(getattr(options, "upload_parallel", 4)))
    auth = {"Authorization": f"Bearer {token}"}
    started = time.perf_counter()

    def gave_up() -> bool:
        if sample:
            recorder.sample("upload", 0.0, failed=True)
        return False

    def failed(response: Any, what: str) -> bool:
        response.failure(f"{what}: HTTP {response.status_code} {response.text[:200]}")
        return gave_up()

    with user.client.post(
        f"{base}/s3/multipart",
        json={"filename": filename, "type": kind, "size": len(body)},
        headers=auth,
        name="upload_create",
        catch_response=True,
    ) as response:
        if response.status_code != 200:
            return failed(response, "create")
        created = response.json()
    upload_id, key = created["uploadId"], created["key"]
    size, count = int(created["partSize"]), int(created["partCount"])
    numbers = ",".join(str(n) for n in range(1, count + 1))
    with user.client.get(
        f"{base}/s3/multipart/{upload_id}/batch",
        params={"key": key, "partNumbers": numbers},
        headers=auth,
        name="upload_sign",
        catch_response=True,
    ) as response:
        if response.status_code != 200:
            return failed(response, "sign")
        urls = response.json()["presignedUrls"]

    def put_part(number: int) -> tuple[int, Any]:
        chunk = body[(number - 1) * size : number * size]
        with user.client.put(
            urls[str(number)], data=chunk, name="upload_part", catch_response=True
        ) as response:
            if response.status_code != 200:
                response.failure(f"part {number}: HTTP {response.status_code}")
                return number, None
            return number, response.headers.get("ETag", "")

    etags = dict(Pool(parallel).imap_unordered(put_part, range(1, count + 1)))
    if any(etag is None for etag in etags.values()):
        user.client.delete(
            f"{base}/s3/multipart/{upload_id}",
            params={"key": key},
            headers=auth,
            name="upload_abort",
        )
        return gave_up()
    parts = [{"PartNumber": n, "ETag": etags[n]} for n in sorted(etags)]
    with user.client.post(
        f"{base}/s3/multipart/{upload_id}/complete",
        params={"key": key},
        json={"parts": parts},
        headers=auth,
        name="upload_complete",
        catch_response=True,
    ) as response:
        if response.status_code != 200:
            return failed(response, "complete")
    if sample:
        recorder.sample("upload", (time.perf_counter() - started) * 1000, nbytes=len(body))
    return True


class UploadUser(MediaUser):
    weight = 1

    def on_start(self) -> None:
        options = self.environment.parsed_options
        self.user_id = f"load-{uuid.uuid4().hex[:12]}"
        self.token = bearer_token(options, self.user_id)
        self.enabled = bool(getattr(options, "uploads_url", "")) and self.token is not None

    @task
    def upload(self) -> None:
        if not self.enabled or self.token is None:
            self.stop()
            return
        size = int(getattr(self.environment.parsed_options, "upload_bytes", 32 * 1024**2))
        multipart_upload(self, self.token, os.urandom(size), "load.bin", "application/octet-stream")
