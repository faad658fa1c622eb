"""The variant table: which (codec, bitrate) encodes a role gets, from the settings. Pure."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from typing import Literal

from stacks.settings import AudioSettings

Role = Literal["track", "stem"]

CODEC_ARGS: dict[str, tuple[str, ...]] = {
    "mp3": ("-c:a", "libmp3lame", "-id3v2_version", "3", "-write_xing", "1"),
    "ogg": ("-c:a", "libvorbis"),
    "m4a": ("-c:a", "aac", "-movflags", "+faststart"),
}
AAC_NO_MS_FROM_KBPS = 256
"""ffmpeg's AAC encoder with mid/side stereo saturates near 245 kbps and spends 4x the CPU;
without it 256 and 320 kbps are reached (measured on 48 kHz stereo noise + tone)."""
VORBIS_MIN_RATE_PERCENT = 90
"""With `vorbis_rate_managed`: libvorbis by estimate lands ~30 % under target on noise; a
managed floor at 90 % keeps every rung near its nominal bitrate, at ~4x the CPU."""
CONTENT_TYPES = {"mp3": "audio/mpeg", "ogg": "audio/ogg", "m4a": "audio/mp4"}
CODEC_NAMES = {"mp3": "mp3", "ogg": "vorbis", "m4a": "aac"}
"""ffprobe codec_name of each ladder codec."""


@dataclass(frozen=True, order=True)
class Variant:
    """One rung of the ladder."""

    codec: str
    bitrate_kbps: int
    rate_managed: bool = False
    """Vorbis only: libvorbis rate management (a bitrate floor) instead of VBR by estimate."""

    @property
    def name(self) -> str:
        return f"{self.codec}-{self.bitrate_kbps}"

    @property
    def filename(self) -> str:
        return f"{self.name}.{self.codec}"

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.codec]

    def ffmpeg_args(self) -> tuple[str, ...]:
        args = (*CODEC_ARGS[self.codec], "-b:a", f"{self.bitrate_kbps}k")
        if self.codec == "m4a" and self.bitrate_kbps >= AAC_NO_MS_FROM_KBPS:
            args += ("-aac_ms", "0")
        if self.codec == "ogg" and self.rate_managed:
            args += ("-minrate", f"{self.bitrate_kbps * VORBIS_MIN_RATE_PERCENT // 100}k")
        return args


def full_ladder(settings: AudioSettings) -> tuple[Variant, ...]:
    """Every codec x bitrate of the settings, highest bitrate first within a codec."""
    return tuple(
        Variant(codec, kbps, rate_managed=codec == "ogg" and settings.vorbis_rate_managed)
        for codec in settings.codecs
        for kbps in sorted(settings.bitrates_kbps, reverse=True)
    )


def ladder(settings: AudioSettings, role: Role) -> tuple[Variant, ...]:
    """The variants the lossy policy keeps for `role` (patterns like `mp3-*`, `*-320`)."""
    patterns = settings.lossy_policy.get(role, ())
    keep = [p if "-" in p or p != "*" else "*-*" for p in patterns]
    return tuple(v for v in full_ladder(settings) if any(fnmatch.fnmatch(v.name, p) for p in keep))


def output_sample_rate(source_rate: int) -> int:
    """Lossy outputs are 44.1 or 48 kHz: keep those, map other rates to the nearer family."""
    if source_rate in (44100, 48000):
        return source_rate
    return 44100 if source_rate % 11025 == 0 else 48000


def output_channels(source_channels: int) -> int:
    """Lossy outputs are stereo: multichannel is downmixed, mono duplicated (libvorbis has no
    mono mode above ~240 kbps, and players expect the same layout on every rung)."""
    return 2
