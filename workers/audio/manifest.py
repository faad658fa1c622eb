"""The result manifest: every output with codec, bitrate, duration, size and sha256."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MANIFEST_NAME = "manifest.json"
MANIFEST_VERSION = 1
CONTENT_TYPES = {
    ".mp3": "audio/mpeg",
    ".ogg": "audio/ogg",
    ".m4a": "audio/mp4",
    ".flac": "audio/flac",
    ".m3u8": "application/vnd.apple.mpegurl",
    ".m4s": "video/iso.segment",
    ".mp4": "audio/mp4",
}


@dataclass(frozen=True)
class OutputFile:
    """One produced file, relative to the output root."""

    name: str
    """Path relative to the output root, with forward slashes (also the key suffix)."""
    kind: str
    """variant | stem | hls-master | hls-playlist | hls-init | hls-segment"""
    codec: str | None = None
    bitrate_kbps: int | None = None
    duration: float | None = None


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def content_type(name: str) -> str:
    return CONTENT_TYPES.get(Path(name).suffix.lower(), "application/octet-stream")


def output_entry(root: Path, output: OutputFile, key_prefix: str = "") -> dict[str, Any]:
    """The manifest entry of one output: what it is plus size and sha256 of the bytes."""
    path = root / output.name
    return {
        "key": f"{key_prefix}{output.name}",
        "kind": output.kind,
        "codec": output.codec,
        "bitrate_kbps": output.bitrate_kbps,
        "duration_seconds": None if output.duration is None else round(output.duration, 3),
        "size": path.stat().st_size,
        "sha256": sha256_file(path),
        "content_type": content_type(output.name),
    }


def manifest_bytes(manifest: dict[str, Any]) -> bytes:
    """Canonical JSON (sorted keys) so identical results give identical bytes."""
    return (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode()
