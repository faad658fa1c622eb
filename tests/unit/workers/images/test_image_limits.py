"""Refusals: decompression bombs (from the header, low memory), corrupt and non-image input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any
from unittest.mock import patch

import pytest
from imagegen import bomb_png, photo_array, write_jpeg, write_png

from stacks.settings import ImageSettings
from workers.errors import PermanentJobError
from workers.images import optimize as optimize_module
from workers.images.errors import (
    CorruptImageError,
    ImageError,
    ImageTooLargeError,
    UnsupportedImageError,
)
from workers.images.optimize import optimize
from workers.images.probe import read_header

REPO = Path(__file__).resolve().parents[4]

# Peak RSS from VmHWM: unlike ru_maxrss, it starts afresh at exec (ru_maxrss inherits the
# forking parent's peak, which under pytest-xdist hides whatever the child allocates).
REFUSAL_SCRIPT = """
import json, re, sys
from pathlib import Path
from stacks.settings import ImageSettings
from workers.images import optimize as optimize_module
from workers.images.optimize import optimize
def peak_kib():
    status = Path("/proc/self/status").read_text()
    return int(re.search(r"VmHWM:\\s+(\\d+) kB", status).group(1))
before = peak_kib()
try:
    optimize(Path(sys.argv[1]), Path(sys.argv[2]), ImageSettings())
    outcome = "accepted"
except Exception as exc:
    outcome = type(exc).__name__
after = peak_kib()
print(json.dumps({"outcome": outcome, "before_kib": before, "after_kib": after}))
"""


def test_image_errors_are_permanent_job_errors() -> None:
    for error in (ImageTooLargeError, CorruptImageError, UnsupportedImageError):
        assert issubclass(error, ImageError) and issubclass(error, PermanentJobError)


def test_50000_square_png_refused_from_header(tmp_path: Path) -> None:
    bomb = bomb_png(tmp_path / "bomb.png")
    assert bomb.stat().st_size < 10_000
    with pytest.raises(ImageTooLargeError, match="50000x50000") as refused:
        optimize(bomb, tmp_path / "out", ImageSettings())
    assert "before decoding" in refused.value.reason
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
    with pytest.raises(ImageTooLargeError):
        read_header(bomb.read_bytes(), ImageSettings())


def test_bomb_refusal_peak_memory_stays_low(tmp_path: Path) -> None:
    """Decoding 2.5 gigapixels needs gigabytes; the refusal must not grow the peak RSS."""
    bomb = bomb_png(tmp_path / "bomb.png")
    run = subprocess.run(
        [sys.executable, "-c", REFUSAL_SCRIPT, str(bomb), str(tmp_path / "out")],
        capture_output=True,
        check=False,
        cwd=REPO,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout.strip().splitlines()[-1])
    assert report["outcome"] == "ImageTooLargeError"
    assert report["after_kib"] - report["before_kib"] < 32 * 1024
    assert report["after_kib"] < 400 * 1024


def test_pixel_limit_comes_from_settings(tmp_path: Path) -> None:
    src = write_png(tmp_path / "wide.png", photo_array(300, 200))
    with pytest.raises(ImageTooLargeError, match="60000 pixels"):
        optimize(src, tmp_path / "out", ImageSettings(max_pixels=59_999))
    optimize(src, tmp_path / "ok", ImageSettings(max_pixels=60_000))


def test_source_byte_limit(tmp_path: Path) -> None:
    src = write_png(tmp_path / "big.png", photo_array(300, 200))
    limit = src.stat().st_size - 1
    with pytest.raises(ImageTooLargeError, match="bytes"):
        optimize(src, tmp_path / "out", ImageSettings(max_source_bytes=limit))


@pytest.mark.parametrize("fraction", [0.3, 0.7])
def test_truncated_jpeg_is_a_typed_error_and_writes_nothing(
    tmp_path: Path, fraction: float
) -> None:
    whole = write_jpeg(tmp_path / "whole.jpg", photo_array(640, 480)).read_bytes()
    src = tmp_path / "cut.jpg"
    src.write_bytes(whole[: int(len(whole) * fraction)])
    with pytest.raises(CorruptImageError):
        optimize(src, tmp_path / "out", ImageSettings())
    assert list((tmp_path / "out").glob("*")) == []


def test_truncated_png_is_a_typed_error(tmp_path: Path) -> None:
    whole = write_png(tmp_path / "whole.png", photo_array(640, 480)).read_bytes()
    src = tmp_path / "cut.png"
    src.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(CorruptImageError):
        optimize(src, tmp_path / "out", ImageSettings())


def test_not_an_image_is_unsupported(tmp_path: Path) -> None:
    src = tmp_path / "notes.jpg"
    src.write_text("this is not an image\n" * 50)
    with pytest.raises(UnsupportedImageError):
        optimize(src, tmp_path / "out", ImageSettings())


def test_broken_header_of_a_known_format_is_corrupt(tmp_path: Path) -> None:
    src = tmp_path / "broken.png"
    src.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)
    with pytest.raises(ImageError):
        optimize(src, tmp_path / "out", ImageSettings())


def test_disallowed_format_is_refused(tmp_path: Path) -> None:
    src = tmp_path / "table.csv"
    src.write_text("1,2,3\n4,5,6\n")
    with pytest.raises(UnsupportedImageError):
        optimize(src, tmp_path / "out", ImageSettings())


def test_failure_mid_set_leaves_no_partial_outputs(tmp_path: Path) -> None:
    src = write_jpeg(tmp_path / "art.jpg", photo_array(700, 500))
    real_encode = optimize_module.encode
    calls: list[str] = []

    def encode_then_fail(image: Any, fmt: Any, quality: int) -> bytes:
        calls.append(fmt)
        if len(calls) == 4:
            raise CorruptImageError("injected encoder failure")
        return real_encode(image, fmt, quality)

    with (
        patch.object(optimize_module, "encode", encode_then_fail),
        pytest.raises(CorruptImageError, match="injected"),
    ):
        optimize(src, tmp_path / "out", ImageSettings())
    assert len(calls) >= 4
    assert list((tmp_path / "out").iterdir()) == []
