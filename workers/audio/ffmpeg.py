"""Run ffmpeg-family tools as argv lists; failures become typed errors naming the command."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

FFMPEG = "ffmpeg"
FFPROBE = "ffprobe"
BASE_ARGS = ("-nostdin", "-hide_banner", "-y")
BITEXACT_ARGS = ("-fflags", "+bitexact", "-flags:a", "+bitexact")
"""Keep encoder/version strings and timestamps out of outputs so re-runs are byte-identical."""


class ToolError(RuntimeError):
    """A tool exited non-zero: names the command and the last line it wrote to stderr."""

    def __init__(self, argv: Sequence[str], returncode: int, stderr: str) -> None:
        self.argv = list(argv)
        self.returncode = returncode
        self.last_line = last_stderr_line(stderr)
        super().__init__(f"{argv[0]} exited {returncode}: {self.last_line}")


class ToolKilledError(ToolError):
    """A tool was killed by a signal (OOM killer, timeout, shutdown): worth retrying."""


class UnsupportedMediaError(ValueError):
    """The input is not audio we can read: corrupt, truncated or of an unsupported kind."""


def last_stderr_line(stderr: str) -> str:
    """The last non-empty line of a tool's stderr, or a placeholder."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    return lines[-1] if lines else "(no output)"


def run(
    argv: Sequence[str], *, stdin: bytes | None = None, check: bool = True
) -> subprocess.CompletedProcess[bytes]:
    """Run `argv`, capturing stdout and stderr; raise ToolError/ToolKilledError on failure.

    `check=False` returns a non-zero exit for the caller to judge (never a signal death).
    """
    try:
        proc = subprocess.run(  # noqa: S603 - argv list built by this package, no shell
            list(argv), input=stdin, capture_output=True, check=False
        )
    except FileNotFoundError as exc:
        raise ToolError(argv, 127, f"{argv[0]} is not installed: {exc}") from None
    if proc.returncode < 0 or (check and proc.returncode != 0):
        stderr = proc.stderr.decode("utf-8", "replace")
        error = ToolKilledError if proc.returncode < 0 else ToolError
        raise error(argv, proc.returncode, stderr)
    return proc


def ffmpeg(*args: str | Path, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    """Run ffmpeg with the standard leading options."""
    return run([FFMPEG, *BASE_ARGS, *(str(a) for a in args)], stdin=stdin)


def ffprobe(path: Path) -> dict[str, Any]:
    """ffprobe's JSON view of a file (format and streams); UnsupportedMediaError if unreadable."""
    argv = [
        FFPROBE, "-v", "error", "-print_format", "json",
        "-show_format", "-show_streams", str(path),
    ]  # fmt: skip
    try:
        proc = run(argv)
    except ToolKilledError:
        raise
    except ToolError as exc:
        raise UnsupportedMediaError(f"{path.name}: unreadable media ({exc.last_line})") from None
    return json.loads(proc.stdout)


def pcm_md5(path: Path, pcm_codec: str) -> str:
    """md5 of the first audio stream decoded to `pcm_codec` (e.g. pcm_s24le): a lossless check."""
    proc = ffmpeg("-v", "error", "-i", path, "-map", "0:a:0", "-c:a", pcm_codec, "-f", "md5", "-")
    return proc.stdout.decode().strip().removeprefix("MD5=")
