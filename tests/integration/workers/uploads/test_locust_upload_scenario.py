"""The Locust upload scenario against the real uploads API on moto: parallel parts, stored whole."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from uploads_harness import SECRET, UploadStack

pytestmark = pytest.mark.integration

PACKAGE = Path(__file__).resolve().parents[4] / "loadtests"
UPLOAD_BYTES = 12 * 1024**2  # three 5 MiB-or-less parts


def test_upload_scenario_sends_parallel_parts_and_stores_whole_objects(
    upload_stack: UploadStack, tmp_path: Path
) -> None:
    argv = [
        sys.executable, "-m", "locust", "-f", str(PACKAGE), "--headless",
        "--host", upload_stack.url, "-u", "1", "-r", "1", "--run-time", "5s",
        "--stop-timeout", "30", "--stack", "local", "--uploads-url", upload_stack.url,
        "--upload-token-secret", SECRET.decode(), "--upload-bytes", str(UPLOAD_BYTES),
        "--upload-parallel", "3", "--report-dir", str(tmp_path), "--only-summary",
        "--sla", "avg upload > 0.001MB/s", "UploadUser",
    ]  # fmt: skip
    result = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode in (0, 3), result.stderr[-2000:]

    listed = upload_stack.s3.list_objects_v2(Bucket=upload_stack.bucket).get("Contents", [])
    assert listed, result.stderr[-2000:]
    for obj in listed:
        head = upload_stack.s3.head_object(Bucket=upload_stack.bucket, Key=obj["Key"])
        assert head["ContentLength"] == UPLOAD_BYTES
        assert head["ETag"].strip('"').endswith("-3")  # completed from all three parts
    assert upload_stack.multipart_uploads() == []

    measured = json.loads((tmp_path / "loadtest.json").read_text())["measurements"]
    assert measured["avg upload"] > 0
    assert measured["rate failures"] == 0.0
