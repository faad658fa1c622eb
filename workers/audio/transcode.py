"""Encode one ladder variant per ffmpeg process (`render` runs `parallel_encodes` at a time).

One ffmpeg runs its encoders on one thread (GUIDE §2), so a decode-once multi-output command
saves nothing; parallel processes do. Variants are started longest-first (AAC at high
bitrates costs several times an MP3 encode) so the last process to finish is a short one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from workers.audio.ffmpeg import BITEXACT_ARGS, ffmpeg
from workers.audio.ladder import Variant, output_channels, output_sample_rate
from workers.audio.probe import AudioInfo

RELATIVE_COST = {"m4a": 1.9, "ogg": 1.2, "mp3": 1.0}
"""Measured CPU per minute of audio relative to MP3 (ffmpeg 5.1, 2-core machine)."""
MANAGED_VORBIS_COST = 4.5
"""libvorbis with rate management (`vorbis_rate_managed`)."""


@dataclass(frozen=True)
class EncodedVariant:
    """A finished, tagged variant file."""

    variant: Variant
    path: Path


def encode_cost(variant: Variant) -> float:
    """Relative CPU cost used to order encodes longest-first."""
    base = MANAGED_VORBIS_COST if variant.rate_managed else RELATIVE_COST[variant.codec]
    return base * (1 + variant.bitrate_kbps / 1000)


def encode_argv(src: Path, dst: Path, variant: Variant, info: AudioInfo) -> list[str]:
    """The ffmpeg arguments of one variant: audio only, no metadata (tags are written after)."""
    return [
        "-i", str(src), "-map", "0:a:0", "-map_metadata", "-1",
        "-ar", str(output_sample_rate(info.sample_rate)),
        "-ac", str(output_channels(info.channels)),
        *variant.ffmpeg_args(), *BITEXACT_ARGS, str(dst),
    ]  # fmt: skip


def encode_variant(src: Path, out_dir: Path, variant: Variant, info: AudioInfo) -> EncodedVariant:
    """Encode one variant into `out_dir/<name>.<ext>` (untagged)."""
    dst = out_dir / variant.filename
    ffmpeg(*encode_argv(src, dst, variant, info))
    return EncodedVariant(variant, dst)
