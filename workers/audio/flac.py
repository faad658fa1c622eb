"""Lossless stems: FLAC at the source bit depth, verified bit-exact by a decoded-PCM md5."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from workers.audio.ffmpeg import BITEXACT_ARGS, UnsupportedMediaError, ffmpeg, pcm_md5
from workers.audio.probe import AudioInfo, probe

FLAC_MAX_BITS = 24
"""ffmpeg 5.1's FLAC encoder writes up to 24 bits (32-bit FLAC is experimental there)."""


class LosslessMismatchError(RuntimeError):
    """The FLAC does not decode to the source's samples."""


@dataclass(frozen=True)
class FlacResult:
    """A verified FLAC and what it holds."""

    path: Path
    bits: int
    sample_rate: int
    channels: int
    duration: float
    pcm_md5: str
    """md5 of the decoded samples at the source depth: equal for source and FLAC."""


def _check_lossless_source(src: Path, info: AudioInfo) -> None:
    if not info.lossless:
        raise UnsupportedMediaError(
            f"{src.name}: {info.codec} is lossy; a stem must be lossless (WAV, AIFF, FLAC)"
        )
    if info.codec.startswith("pcm_f"):
        raise UnsupportedMediaError(f"{src.name}: floating-point PCM cannot be stored as FLAC")
    if info.bits > FLAC_MAX_BITS:
        raise UnsupportedMediaError(f"{src.name}: {info.bits}-bit audio exceeds FLAC's 24 bits")


def encode_flac(src: Path, dst: Path, *, info: AudioInfo | None = None) -> FlacResult:
    """Encode a lossless source to FLAC at its own depth and prove the samples are identical.

    Raises UnsupportedMediaError for lossy, float or >24-bit sources and
    LosslessMismatchError if the decoded FLAC differs from the source.
    """
    info = info or probe(src)
    _check_lossless_source(src, info)
    sample_fmt = "s16" if info.bits <= 16 else "s32"
    dst.parent.mkdir(parents=True, exist_ok=True)
    ffmpeg(
        "-i", src, "-map", "0:a:0", "-map_metadata", "-1", "-c:a", "flac",
        "-sample_fmt", sample_fmt, "-bits_per_raw_sample", str(max(info.bits, 16)),
        "-compression_level", "8", *BITEXACT_ARGS, dst,
    )  # fmt: skip
    source_md5 = pcm_md5(src, info.pcm_codec)
    flac_md5 = pcm_md5(dst, info.pcm_codec)
    if source_md5 != flac_md5:
        raise LosslessMismatchError(f"{dst.name}: decoded PCM md5 {flac_md5} != {source_md5}")
    out = probe(dst)
    return FlacResult(
        path=dst,
        bits=out.bits,
        sample_rate=out.sample_rate,
        channels=out.channels,
        duration=out.duration,
        pcm_md5=flac_md5,
    )
