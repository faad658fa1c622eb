"""The `mediainfra upload` and `mediainfra uploads-api` commands as real processes."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest
import yaml
from uploads_harness import (
    SECRET,
    UploadStack,
    metric_value,
    object_sha256,
    provision,
    write_random_file,
)

from stacks.settings import load_file, stack_file

pytestmark = pytest.mark.integration
MIB = 1024 * 1024
MEDIAINFRA = [sys.executable, "-c", "from mediainfra.cli import main; main()"]


def _stored_parts(stack: UploadStack, key: str, upload_id: str) -> dict[int, int]:
    parts = stack.s3.list_parts(Bucket=stack.bucket, Key=key, UploadId=upload_id)
    return {p["PartNumber"]: p["Size"] for p in parts.get("Parts", [])}


def _settled_parts(stack: UploadStack, key: str, upload_id: str) -> dict[int, int]:
    """Parts stored once the killed client's last request is over (two equal listings)."""
    previous = _stored_parts(stack, key, upload_id)
    while True:
        time.sleep(0.3)
        current = _stored_parts(stack, key, upload_id)
        if current == previous:
            return current
        previous = current


def _wait_for_parts(state_dir: Path, count: int, process: subprocess.Popen[bytes]) -> dict:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for path in state_dir.glob("*.json"):
            try:
                state = json.loads(path.read_text())
            except (OSError, ValueError):
                continue
            if len(state["parts"]) >= count:
                return state
        assert process.poll() is None, process.stderr.read() if process.stderr else ""
        time.sleep(0.02)
    raise AssertionError(f"the upload never recorded {count} parts")


def test_killed_upload_resumes_sending_only_missing_parts(
    upload_stack: UploadStack, tmp_path: Path
) -> None:
    source = tmp_path / "session.wav"
    digest = write_random_file(source, 40 * MIB)  # 8 parts of 5 MiB
    state_dir = tmp_path / "state"
    argv = [
        *MEDIAINFRA,
        "upload",
        str(source),
        "--endpoint",
        upload_stack.url,
        "--token",
        upload_stack.token("pat"),
        "--state-dir",
        str(state_dir),
        "--no-progress",
    ]
    first = subprocess.Popen(
        [*argv, "--parallel", "1", "--limit-rate", "8M"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    state = _wait_for_parts(state_dir, 2, first)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    assert first.returncode == -signal.SIGKILL

    stored = _settled_parts(upload_stack, state["key"], state["upload_id"])
    complete = {n for n, size in stored.items() if size == 5 * MIB}
    assert 2 <= len(complete) < 8
    exposition = httpx.get(f"{upload_stack.url}/metrics").text
    signed_before = metric_value(exposition, "mediainfra_upload_parts_signed_total")

    second = subprocess.run([*argv, "--parallel", "4", "--json"], capture_output=True, check=False)
    assert second.returncode == 0, second.stderr.decode()
    result = json.loads(second.stdout)
    assert result["upload_id"] == state["upload_id"]
    assert result["parts_resumed"] == len(complete)
    assert result["parts_sent"] == 8 - len(complete)
    exposition = httpx.get(f"{upload_stack.url}/metrics").text
    signed_after = metric_value(exposition, "mediainfra_upload_parts_signed_total")
    assert signed_after - signed_before == 8 - len(complete)
    assert object_sha256(upload_stack.s3, upload_stack.bucket, result["key"]) == digest
    assert list(state_dir.glob("*.json")) == []


def test_upload_command_reports_bad_input_clearly(
    upload_stack: UploadStack, tmp_path: Path
) -> None:
    empty = tmp_path / "empty.wav"
    empty.touch()
    base = ["--endpoint", upload_stack.url, "--token", upload_stack.token("quinn")]
    result = subprocess.run(
        [*MEDIAINFRA, "upload", str(empty), *base], capture_output=True, check=False
    )
    assert result.returncode == 1
    assert "empty (0 bytes): nothing to upload" in result.stderr.decode()

    source = tmp_path / "ok.wav"
    write_random_file(source, 1000)
    tampered = [*base[:3], upload_stack.token("quinn")[:-3] + "AAA"]
    result = subprocess.run(
        [*MEDIAINFRA, "upload", str(source), *tampered, "--no-progress"],
        capture_output=True,
        check=False,
    )
    assert result.returncode == 1
    assert "HTTP 401" in result.stderr.decode()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_uploads_api_command_serves_a_stack(moto_endpoint: str, tmp_path: Path) -> None:
    document = yaml.safe_load(stack_file("local").read_text())
    document["config"]["media-infra:stack"] = f"srv{uuid.uuid4().hex[:8]}"
    settings_path = tmp_path / "Pulumi.serve.yaml"
    settings_path.write_text(yaml.safe_dump(document))
    settings = load_file(settings_path)
    stack = provision(settings, moto_endpoint)
    env = {
        **os.environ,
        "AWS_ENDPOINT_URL": moto_endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        settings.uploads.token_secret_env: SECRET.decode(),
    }
    port = _free_port()
    serve = [*MEDIAINFRA, "uploads-api", "--stack-file", str(settings_path)]
    server = subprocess.Popen(
        [*serve, "--port", str(port)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            assert server.poll() is None, server.stderr.read() if server.stderr else ""
            try:
                if httpx.get(f"{url}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the API did not come up"
                time.sleep(0.1)
        token = (
            subprocess.run(
                [*serve, "--issue-token", "rae"], env=env, capture_output=True, check=True
            )
            .stdout.decode()
            .strip()
        )
        source = tmp_path / "demo.wav"
        digest = write_random_file(source, 7 * MIB)
        upload = subprocess.run(
            [
                *MEDIAINFRA,
                "upload",
                str(source),
                "--endpoint",
                url,
                "--token",
                token,
                "--state-dir",
                str(tmp_path / "state"),
                "--json",
                "--no-progress",
            ],
            capture_output=True,
            check=False,
        )
        assert upload.returncode == 0, upload.stderr.decode()
        key = json.loads(upload.stdout)["key"]
        assert key.startswith("rae/")
        assert object_sha256(stack["s3"], settings.bucket_name("incoming"), key) == digest
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=10)


def test_uploads_api_command_refuses_to_start_without_a_secret(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "MEDIAINFRA_UPLOAD_TOKEN_SECRET"}
    result = subprocess.run(
        [*MEDIAINFRA, "uploads-api", "--port", str(_free_port())],
        env=env,
        capture_output=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 2
    assert "MEDIAINFRA_UPLOAD_TOKEN_SECRET" in result.stderr.decode()
