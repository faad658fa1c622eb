"""The catalogue the scenarios draw from: URL paths of downloads, HLS masters, small files.

A catalogue is a JSON file `{"downloads": [...], "hls": [...], "first_byte": [...]}` of paths
on the edge host, most popular first. `seed_catalogue` puts a synthetic one into a stack's
derivatives bucket through the S3 API (tracks of random bytes and fMP4-style HLS trees) for
stacks that have no real content yet, such as a fresh local stack.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

SEED_PREFIX = "loadtest/"


@dataclass(frozen=True)
class Catalogue:
    downloads: list[str] = field(default_factory=list)
    hls: list[str] = field(default_factory=list)
    first_byte: list[str] = field(default_factory=list)

    def dump(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(asdict(self), indent=2))
        return path


def load_catalogue(path: str | Path) -> Catalogue:
    """Read a catalogue file; a missing or malformed one is a clear error."""
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise ValueError(f"cannot read the catalogue {path}: {exc}") from None
    unknown = set(data) - {"downloads", "hls", "first_byte"}
    if unknown:
        raise ValueError(f"catalogue {path}: unknown keys {sorted(unknown)}")
    return Catalogue(**{k: [str(p) for p in v] for k, v in data.items()})


def hls_master(rendition: str = "a128/index.m3u8", bandwidth: int = 128000) -> str:
    return (
        "#EXTM3U\n#EXT-X-VERSION:7\n"
        f'#EXT-X-STREAM-INF:BANDWIDTH={bandwidth},CODECS="mp4a.40.2"\n{rendition}\n'
    )


def hls_rendition(segments: int, duration: float) -> str:
    lines = [
        "#EXTM3U",
        "#EXT-X-VERSION:7",
        f"#EXT-X-TARGETDURATION:{round(duration)}",
        "#EXT-X-PLAYLIST-TYPE:VOD",
        '#EXT-X-MAP:URI="init.mp4"',
    ]
    for index in range(segments):
        lines += [f"#EXTINF:{duration:.3f},", f"seg-{index:03d}.m4s"]
    return "\n".join([*lines, "#EXT-X-ENDLIST", ""])


def seed_catalogue(
    s3: Any,
    bucket: str,
    tracks: int = 50,
    track_bytes: int = 256 * 1024,
    hls_items: int = 5,
    segments: int = 6,
    segment_seconds: float = 2.0,
) -> Catalogue:
    """Put a synthetic catalogue under `loadtest/` (skipping keys already there)."""
    existing = {
        obj["Key"]
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=SEED_PREFIX)
        for obj in page.get("Contents", [])
    }

    def put(key: str, body: bytes, content_type: str) -> None:
        if key not in existing:
            s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType=content_type)

    downloads = []
    for index in range(tracks):
        key = f"{SEED_PREFIX}tracks/track-{index:04d}.mp3"
        put(key, os.urandom(track_bytes), "audio/mpeg")
        downloads.append(f"/{key}")
    hls = []
    segment_bytes = int(128000 / 8 * segment_seconds)
    for index in range(hls_items):
        root = f"{SEED_PREFIX}hls/item-{index:03d}/"
        put(f"{root}master.m3u8", hls_master().encode(), "application/vnd.apple.mpegurl")
        rendition = hls_rendition(segments, segment_seconds).encode()
        put(f"{root}a128/index.m3u8", rendition, "application/vnd.apple.mpegurl")
        put(f"{root}a128/init.mp4", os.urandom(800), "audio/mp4")
        for seg in range(segments):
            put(f"{root}a128/seg-{seg:03d}.m4s", os.urandom(segment_bytes), "audio/mp4")
        hls.append(f"/{root}master.m3u8")
    return Catalogue(downloads=downloads, hls=hls, first_byte=downloads[: max(1, tracks // 5)])
