"""The transform service reading sources from a real moto S3, in-process and as `image serve`."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import pyvips
from imagejob_media import jpeg_bytes
from starlette.testclient import TestClient

from stacks.settings import BucketRole, ImageSettings, Settings
from workers.images.formats import sniff
from workers.images.transform.app import create_app
from workers.images.transform.signing import SigningKey, signed_url_path

pytestmark = pytest.mark.integration

MEDIAINFRA = [sys.executable, "-c", "from mediainfra.cli import main; main()"]
KEY = SigningKey("k1", b"integration-key", b"integration-salt")


def test_sources_come_from_s3(image_stack: Settings, s3: Any) -> None:
    limited = image_stack.model_copy(update={"images": ImageSettings(max_source_bytes=200_000)})
    small, huge = jpeg_bytes(640, 400), jpeg_bytes(2400, 2400)
    assert len(small) < 200_000 < len(huge)
    s3.put_object(Bucket=image_stack.bucket_name(BucketRole.DERIVATIVES), Key="c/a.jpg", Body=small)
    s3.put_object(Bucket=image_stack.bucket_name(BucketRole.MASTERS), Key="c/huge.jpg", Body=huge)
    client = TestClient(create_app(limited, s3=s3, keys=[KEY]))

    ok = client.get(signed_url_path(KEY, "rs:fit:320:320/f:webp/plain/derivatives/c/a.jpg"))
    assert ok.status_code == 200
    assert sniff(ok.content) == "webp"
    image = pyvips.Image.new_from_buffer(ok.content, "")
    assert (image.width, image.height) == (320, 200)
    bucket_url = f"s3://{image_stack.bucket_name(BucketRole.DERIVATIVES)}/c/a.jpg"
    assert client.get(signed_url_path(KEY, f"w:50/plain/{bucket_url}")).status_code == 200

    assert client.get(signed_url_path(KEY, "w:50/plain/derivatives/c/none.jpg")).status_code == 404
    too_big = client.get(signed_url_path(KEY, "w:50/plain/masters/c/huge.jpg"))
    assert too_big.status_code == 422
    assert "bytes" in too_big.text


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def served(moto_endpoint: str, s3: Any) -> Iterator[tuple[str, dict[str, str]]]:
    """`mediainfra image serve` on 127.0.0.1 against the moto server (stack `local`)."""
    port = free_port()
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "MEDIAINFRA_IMAGE_KEY_k1": b"served-key".hex(),
        "MEDIAINFRA_IMAGE_SALT_k1": b"served-salt".hex(),
    }
    argv = [*MEDIAINFRA, "image", "serve", "--port", str(port)]
    argv += ["--stack", "local", "--endpoint-url", moto_endpoint]
    process = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            if process.poll() is not None:
                _, stderr = process.communicate()
                pytest.fail(f"serve exited: {stderr.decode()[-500:]}")
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        yield base, env
    finally:
        process.terminate()
        process.communicate(timeout=10)


def test_cli_sign_and_serve(
    served: tuple[str, dict[str, str]], s3: Any, local_settings: Settings
) -> None:
    base, env = served
    bucket = local_settings.bucket_name(BucketRole.DERIVATIVES)
    if bucket not in {b["Name"] for b in s3.list_buckets()["Buckets"]}:
        s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="served/cover.jpg", Body=jpeg_bytes(800, 600))

    sign = [*MEDIAINFRA, "image", "sign", "pr:thumb/plain/derivatives/served/cover.jpg"]
    signed = subprocess.run(
        [*sign, "--key-id", "k1"],
        env=env,
        capture_output=True,
        check=False,
        text=True,
    )
    assert signed.returncode == 0, signed.stderr
    path = signed.stdout.strip()
    response = httpx.get(base + path, timeout=30)
    assert response.status_code == 200
    image = pyvips.Image.new_from_buffer(response.content, "")
    assert (image.width, image.height) == (256, 256)
    assert "immutable" in response.headers["cache-control"]

    tampered = path.replace("thumb", "cover")
    assert httpx.get(base + tampered, timeout=30).status_code == 403
