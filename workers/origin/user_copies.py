"""Per-user watermarked copies of premium audio, made on the first request and then reused.

`watermarked/<user>/<key>` in the derivatives bucket is `<key>` carrying the invisible payload
`user_payload(audio.watermark_key, user, track_id(key))`, re-encoded with the codec and
bitrate of the original (tags and an MP3 cover kept). A copy records the ETag of the original
it was made from and is remade when the original changes. One encode per user and variant:
requests for the same copy in one process wait on a lock; across processes the store is an
`If-None-Match: *` PUT, so the first copy written is the one every request serves (a Range
request never mixes bytes of two encodes).
"""

from __future__ import annotations

import re
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np
from botocore.exceptions import ClientError

from stacks.settings import AudioSettings
from workers.audio.ffmpeg import BITEXACT_ARGS, ToolError, UnsupportedMediaError, ffmpeg
from workers.audio.ladder import Variant
from workers.audio.pcm import read_pcm
from workers.audio.probe import AudioInfo, probe
from workers.audio.watermark.payload import embed, user_payload
from workers.origin.metrics import OriginMetrics
from workers.origin.signing import check_user

WATERMARKED_PREFIX = "watermarked/"
"""Key prefix of the per-user copies (never served directly)."""
WATERMARKABLE = frozenset({"mp3", "ogg", "m4a", "flac"})
"""Progressive audio the origin watermarks per user (HLS segments are shared)."""
SOURCE_ETAG = "source-etag"
PAYLOAD = "watermark-payload"
LOCK_STRIPES = 64
LOSTRACE_CODES = frozenset({"PreconditionFailed", "ConditionalRequestConflict", "412", "409"})
_VARIANT_NAME = re.compile(r"(mp3|ogg|m4a)-(\d{2,3})\.")


class WatermarkError(RuntimeError):
    """A user's copy could not be made (names the key and the cause); nothing was stored."""


def watermarkable(key: str) -> bool:
    """True for progressive audio (by extension)."""
    name = PurePosixPath(key).name
    return "." in name and name.rsplit(".", 1)[1].lower() in WATERMARKABLE


def copy_key(user: str, key: str) -> str:
    """Where `user`'s copy of `key` lives."""
    return f"{WATERMARKED_PREFIX}{check_user(user)}/{key}"


def track_id(key: str) -> str:
    """The content a key belongs to (`<area>/<id>/...` -> `<id>`): one payload per user and
    track, whatever the variant."""
    parts = PurePosixPath(key).parts
    return parts[1] if len(parts) >= 3 else key


def codec_args(path: Path, info: AudioInfo) -> tuple[str, ...]:
    """Encoder arguments reproducing `path`'s codec and bitrate (the ladder's own flags)."""
    extension = path.suffix.lower().lstrip(".")
    if extension == "flac":
        return ("-c:a", "flac", "-sample_fmt", "s16" if 0 < info.bits <= 16 else "s32")
    named = _VARIANT_NAME.search(path.name)
    kbps = int(named.group(2)) if named else round(info.bit_rate / 1000) or 320
    return Variant(extension, kbps).ffmpeg_args()


def mark_file(src: Path, dst: Path, payload: bytes, audio: AudioSettings) -> Path:
    """Write `src` with `payload` embedded to `dst`: same codec, bitrate, rate and tags."""
    info = probe(src)
    pcm, rate = read_pcm(src)
    marked = embed(pcm, rate, payload, audio.watermark_key, audio.watermark_strength)
    interleaved = np.clip(marked, -1.0, 1.0).T.astype("<f4").tobytes()
    cover: tuple[str, ...] = ()
    if info.has_cover and dst.suffix.lower() == ".mp3":
        cover = ("-map", "1:v:0", "-c:v", "copy", "-disposition:v:0", "attached_pic")
    ffmpeg(
        "-f", "f32le", "-ar", str(rate), "-ac", str(marked.shape[0]), "-i", "pipe:0",
        "-i", src, "-map", "0:a", *cover, "-map_metadata", "1",
        *codec_args(src, info), *BITEXACT_ARGS, dst, stdin=interleaved,
    )  # fmt: skip
    return dst


@dataclass
class UserCopies:
    """Makes and finds per-user copies in `bucket` through an injected S3 client."""

    s3: Any
    bucket: str
    audio: AudioSettings
    metrics: OriginMetrics
    scratch: Path | None = None
    _locks: tuple[threading.Lock, ...] = field(
        init=False, default_factory=lambda: tuple(threading.Lock() for _ in range(LOCK_STRIPES))
    )

    def head(self, key: str) -> dict[str, Any] | None:
        try:
            return dict(self.s3.head_object(Bucket=self.bucket, Key=key))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in {"404", "NoSuchKey", "NotFound"}:
                return None
            raise

    def ensure(self, user: str, key: str, source: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """`(copy key, its head)` of `user`'s copy of `key` (whose head is `source`), made now
        if missing or made from another version of the original."""
        target = copy_key(user, key)
        source_etag = str(source["ETag"])
        with self._locks[hash(target) % LOCK_STRIPES]:
            existing = self.head(target)
            if existing is not None and existing["Metadata"].get(SOURCE_ETAG) == source_etag:
                self.metrics.watermark_copies.labels("reused").inc()
                return target, existing
            outcome = self._make(user, key, target, source, replace=existing is not None)
            self.metrics.watermark_copies.labels(outcome).inc()
            stored = self.head(target)
        if stored is None:
            raise WatermarkError(f"{target}: missing right after it was stored")
        return target, stored

    def _make(
        self, user: str, key: str, target: str, source: dict[str, Any], *, replace: bool
    ) -> str:
        """Encode and store the copy; "encoded", or "lost-race" when another writer was first."""
        payload = user_payload(self.audio.watermark_key, user, track_id(key))
        started = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix="origin-wm-", dir=self.scratch) as scratch:
            name = PurePosixPath(key).name
            src, dst = Path(scratch, "src", name), Path(scratch, "out", name)
            src.parent.mkdir()
            dst.parent.mkdir()
            self.s3.download_file(self.bucket, key, str(src))
            try:
                mark_file(src, dst, payload, self.audio)
            except (ToolError, UnsupportedMediaError, ValueError) as exc:
                self.metrics.watermark_copies.labels("failed").inc()
                raise WatermarkError(f"{key}: cannot watermark for {user}: {exc}") from exc
            extra = {} if replace else {"IfNoneMatch": "*"}
            try:
                self.s3.put_object(
                    Bucket=self.bucket,
                    Key=target,
                    Body=dst.read_bytes(),
                    ContentType=source.get("ContentType") or "application/octet-stream",
                    Metadata={SOURCE_ETAG: str(source["ETag"]), PAYLOAD: payload.hex()},
                    **extra,
                )
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") in LOSTRACE_CODES:
                    return "lost-race"
                raise
        self.metrics.watermark_seconds.observe(time.perf_counter() - started)
        return "encoded"
