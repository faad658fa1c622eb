"""Worker parameters: the audio ladder, image optimisation, virus scanning."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field, field_validator

from stacks.settings.base import (
    Frozen,
    PositiveFloat,
    PositiveInt,
)

AudioCodec = Literal["mp3", "ogg", "m4a"]


class AudioSettings(Frozen):
    """The transcoding ladder, lossy policy per role, HLS packaging and watermark parameters."""

    codecs: tuple[AudioCodec, ...] = ("mp3", "ogg", "m4a")
    bitrates_kbps: tuple[Literal[96, 128, 160, 192, 256, 320], ...] = (128, 256, 320)
    lossy_policy: dict[Literal["track", "stem"], tuple[str, ...]] = {
        "track": ("*",),
        "stem": (),
    }
    """Ladder variants kept per role: `*`, `<codec>-*`, `*-<kbps>` or `<codec>-<kbps>`."""
    hls_min_duration_seconds: Annotated[float, Field(ge=0)] = 180.0
    hls_segment_seconds: PositiveInt = 6
    parallel_encodes: PositiveInt = 2
    vorbis_rate_managed: bool = False
    """Hold Vorbis to >= 90 % of its bitrate (libvorbis rate management: ~4x the CPU);
    off, Vorbis is VBR by estimate (near target on music, ~30 % under on noise)."""
    stem_format: Literal["flac"] = "flac"
    watermark_key: str = Field(default="media-infra-dev-watermark-key", min_length=8)
    """Secret keying the invisible watermark (set with `pulumi config set --secret`)."""
    watermark_strength: Annotated[float, Field(gt=0, le=0.5)] = 0.1
    """Relative band-gain modulation of the invisible watermark (0.1 = +/-0.8 dB)."""
    trial_interval_seconds: PositiveFloat = 20.0
    trial_gain_db: Annotated[float, Field(le=0)] = -12.0

    @field_validator("lossy_policy")
    @classmethod
    def _variant_patterns(cls, value: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        for patterns in value.values():
            for pattern in patterns:
                if not re.fullmatch(r"\*|(mp3|ogg|m4a|\*)-(\d+|\*)", pattern):
                    raise ValueError(f"bad variant pattern {pattern!r}: expected e.g. 'mp3-320'")
        return value


ImageQuality = Annotated[int, Field(ge=1, le=100)]
ImagePresetName = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$")]
ImagePresetOptions = Annotated[str, Field(pattern=r"^[a-z_]+:[^/]*(/[a-z_]+:[^/]*)*$")]
SigningKeyId = Annotated[str, Field(pattern=r"^[A-Za-z0-9_]{1,32}$")]


class ImageSettings(Frozen):
    """Image optimisation, the signed transform service, and their safety limits."""

    sizes: tuple[PositiveInt, ...] = Field(
        default=(256, 512, 1024, 2048), min_length=3, max_length=5
    )
    """Responsive widths in pixels (never upscaled)."""
    responsive_formats: tuple[Literal["webp", "jpeg"], ...] = Field(
        default=("webp", "jpeg"), min_length=1
    )
    webp_quality: ImageQuality = 80
    jpeg_quality: ImageQuality = 85
    avif_quality: ImageQuality = 50
    max_pixels: PositiveInt = 50_000_000
    """Source width x height refused (from the header, before decoding) above this."""
    max_source_bytes: PositiveInt = 200 * 1024**2
    max_output_dimension: PositiveInt = 4096
    """Longest side of a transform-service output; larger requests are capped."""
    animated: Literal["animate", "first-frame", "refuse"] = "animate"
    """Animated GIF/WebP: animated WebP outputs (JPEG from the first frame), stills of the
    first frame only, or refuse the image."""
    max_animation_pixels: PositiveInt = 200_000_000
    """Animated source width x height x frames refused (from the header) above this."""
    presets: dict[ImagePresetName, ImagePresetOptions] = {
        "thumb": "rs:fill:256:256/g:sm/q:80",
        "cover": "rs:fit:1024:1024",
        "avatar": "rs:fill:128:128/g:ce/f:webp",
    }
    """Named transform options, used as `preset:<name>` (imgproxy syntax)."""
    transform_sources: tuple[Literal["derivatives", "masters"], ...] = ("derivatives", "masters")
    """Bucket roles the transform service may read sources from."""
    signing_key_ids: tuple[SigningKeyId, ...] = Field(default=("k1",), min_length=1, max_length=2)
    """Active URL-signing keys (two during a rotation); the key and salt of id `K` are
    hex strings in `MEDIAINFRA_IMAGE_KEY_K` / `MEDIAINFRA_IMAGE_SALT_K` (secrets, never here)."""
    watermark_text: str = "media-infra"
    watermark_opacity: Annotated[float, Field(gt=0, le=1)] = 0.5
    transform_concurrency: PositiveInt = 2
    parallel_encodes: PositiveInt = 2
    """Variants encoded at once by the image worker (threads)."""

    @field_validator("sizes")
    @classmethod
    def _sizes_increasing(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if list(value) != sorted(set(value)):
            raise ValueError("sizes must be strictly increasing")
        return value


class ScanSettings(Frozen):
    """Virus scanning limits: larger files are never treated as clean."""

    clamd_address: str = "127.0.0.1:3310"
    """clamd to use: `HOST:PORT` (TCP, 127.0.0.1 locally) or the path of a unix socket."""
    max_file_bytes: Annotated[int, Field(gt=0, le=4 * 1024**3 - 1)] = 2 * 1024**3
    """Larger files are not scanned and never clean; also clamd's StreamMaxLength/MaxFileSize."""
    chunk_bytes: Annotated[int, Field(ge=65536)] = 1024 * 1024
    timeout_seconds: PositiveFloat = 120.0
    max_attempts: PositiveInt = 3
    """Receives of a scan job before an unscannable file is quarantined (capped by the queue)."""
    retry_backoff_seconds: Annotated[float, Field(ge=0)] = 10.0
    """First visibility delay after a transient failure; doubles per receive."""
