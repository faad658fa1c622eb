"""`mediainfra upload --role` as a process: the role reaches the object's metadata."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from uploads_harness import UploadStack

pytestmark = pytest.mark.integration
MEDIAINFRA = [sys.executable, "-c", "from mediainfra.cli import main; main()"]


def _upload(stack: UploadStack, path: Path, *role: str) -> subprocess.CompletedProcess[str]:
    argv = [
        *MEDIAINFRA, "upload", str(path), "--endpoint", stack.url,
        "--token", stack.token("cli-role"), "--no-progress", "--json",
        "--state-dir", str(path.parent / "state"), *role,
    ]  # fmt: skip
    return subprocess.run(argv, capture_output=True, text=True, check=False, timeout=120)


@pytest.mark.parametrize(
    ("name", "option", "expected"),
    [
        ("bass.wav", ["--role", "stem"], "stem"),
        ("mix.wav", [], "track"),
        ("front.png", [], "cover"),  # the client declares cover for an image
        ("front.png", ["--role", "COVER"], "cover"),
    ],
)
def test_the_declared_role_is_the_objects_role_metadata(
    upload_stack: UploadStack, tmp_path: Path, name: str, option: list[str], expected: str
) -> None:
    path = tmp_path / name
    path.write_bytes(b"\x01" * 4096)
    run = _upload(upload_stack, path, *option)
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    assert result["role"] == expected
    head = upload_stack.s3.head_object(Bucket=upload_stack.bucket, Key=result["key"])
    assert head["Metadata"]["role"] == expected


def test_a_role_the_file_contradicts_fails_with_the_reason(
    upload_stack: UploadStack, tmp_path: Path
) -> None:
    path = tmp_path / "song.mp3"
    path.write_bytes(b"\x01" * 4096)
    run = _upload(upload_stack, path, "--role", "stem")
    assert run.returncode == 1
    assert "cannot be a stem" in run.stderr and "role_mismatch" in run.stderr
    assert upload_stack.multipart_uploads() == []


def test_an_unknown_role_is_a_usage_error(upload_stack: UploadStack, tmp_path: Path) -> None:
    path = tmp_path / "a.wav"
    path.write_bytes(b"\x01" * 4096)
    run = _upload(upload_stack, path, "--role", "vocals")
    assert run.returncode == 2
    assert "vocals" in run.stderr
