"""What a master is: container, codec, rate, depth, channels, duration, cover, tags."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from workers.audio.ffmpeg import UnsupportedMediaError, ffprobe

SUPPORTED_FORMATS = frozenset({"wav", "aiff", "flac", "mp3", "mov,mp4,m4a,3gp,3g2,mj2", "ogg"})
"""ffprobe `format_name`s of the masters we accept: WAV, AIFF, FLAC, MP3, M4A, OGG."""


@dataclass(frozen=True)
class AudioInfo:
    """The first audio stream of a file and the container around it."""

    format_name: str
    codec: str
    sample_rate: int
    channels: int
    bits: int
    """Source bit depth (0 for lossy codecs, which have none)."""
    duration: float
    bit_rate: int
    has_cover: bool
    tags: dict[str, str]
    """Container/stream tags as ffprobe sees them (lower-case keys)."""

    @property
    def lossless(self) -> bool:
        return self.codec.startswith("pcm_") or self.codec in {"flac", "alac"}

    @property
    def pcm_codec(self) -> str:
        """The PCM codec that holds every sample of this source exactly."""
        if self.codec.startswith(("pcm_f", "pcm_f64")):
            return "pcm_f32le" if self.bits <= 32 else "pcm_f64le"
        if self.bits <= 16:
            return "pcm_s16le"
        return "pcm_s24le" if self.bits <= 24 else "pcm_s32le"


def probe(path: Path) -> AudioInfo:
    """Probe `path`; UnsupportedMediaError when it is not an audio file we accept."""
    data = ffprobe(path)
    fmt = data.get("format", {})
    format_name = fmt.get("format_name", "")
    if format_name not in SUPPORTED_FORMATS:
        raise UnsupportedMediaError(f"{path.name}: unsupported container {format_name!r}")
    audio = [s for s in data.get("streams", []) if s.get("codec_type") == "audio"]
    if not audio:
        raise UnsupportedMediaError(f"{path.name}: no audio stream")
    stream = audio[0]
    duration = float(stream.get("duration") or fmt.get("duration") or 0.0)
    sample_rate = int(stream.get("sample_rate") or 0)
    channels = int(stream.get("channels") or 0)
    if duration <= 0 or sample_rate <= 0 or channels <= 0:
        raise UnsupportedMediaError(f"{path.name}: audio stream has no duration, rate or channels")
    bits = int(stream.get("bits_per_raw_sample") or 0) or int(stream.get("bits_per_sample") or 0)
    tags = {k.lower(): v for k, v in {**fmt.get("tags", {}), **stream.get("tags", {})}.items()}
    return AudioInfo(
        format_name=format_name,
        codec=stream.get("codec_name", ""),
        sample_rate=sample_rate,
        channels=channels,
        bits=bits,
        duration=duration,
        bit_rate=int(fmt.get("bit_rate") or 0),
        has_cover=any(
            s.get("codec_type") == "video" and s.get("disposition", {}).get("attached_pic")
            for s in data.get("streams", [])
        ),
        tags=tags,
    )
