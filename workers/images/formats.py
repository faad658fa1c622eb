"""Output formats: encoding a pyvips image to bytes, content types, magic-byte sniffing."""

from __future__ import annotations

import functools
from typing import Literal

import pyvips

from workers.images.errors import CorruptImageError

OutputFormat = Literal["webp", "jpeg", "png", "avif"]

CONTENT_TYPES: dict[str, str] = {
    "webp": "image/webp",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "avif": "image/avif",
}
EXTENSIONS: dict[str, str] = {"webp": "webp", "jpeg": "jpg", "png": "png", "avif": "avif"}


def encode(image: pyvips.Image, fmt: OutputFormat, quality: int) -> bytes:
    """Encode an sRGB image with every metadata block stripped (EXIF, GPS, XMP, ICC).

    JPEG is progressive with optimised Huffman tables; JPEG has no alpha, so transparent
    pixels are flattened onto white. An animation (`page-height` frames) becomes an animated
    WebP with its delays and loop count; without smart subsampling, which doubles the CPU
    time of an animation for no smaller file.
    """
    try:
        if fmt == "webp":
            smart = frame_count(image) == 1
            return image.webpsave_buffer(Q=quality, effort=4, smart_subsample=smart, keep="none")
        if fmt == "jpeg":
            if image.hasalpha():
                image = image.flatten(background=[255, 255, 255])
            return image.jpegsave_buffer(
                Q=quality, interlace=True, optimize_coding=True, keep="none"
            )
        if fmt == "png":
            return image.pngsave_buffer(compression=6, keep="none")
        if fmt == "avif":
            return image.heifsave_buffer(Q=quality, compression="av1", effort=2, keep="none")
    except pyvips.Error as exc:
        raise CorruptImageError(f"cannot encode {fmt}: {_last_line(exc)}") from None
    raise ValueError(f"unknown output format {fmt!r}")


def frame_count(image: pyvips.Image) -> int:
    """Frames in a decoded image: height / `page-height` for an animation, else 1."""
    if "page-height" not in image.get_fields():
        return 1
    page_height = int(image.get("page-height"))
    return image.height // page_height if 0 < page_height < image.height else 1


@functools.cache
def avif_supported() -> bool:
    """Whether this libvips build can encode AVIF (heifsave with an AV1 encoder)."""
    if pyvips.type_find("VipsOperation", "heifsave_buffer") == 0:
        return False
    probe = pyvips.Image.black(16, 16, bands=3).cast("uchar").copy(interpretation="srgb")
    try:
        data = probe.heifsave_buffer(compression="av1", Q=30, effort=0)
    except pyvips.Error:
        return False
    return sniff(data) == "avif"


def sniff(data: bytes) -> str | None:
    """The image format named by the leading magic bytes, or None."""
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data[4:8] == b"ftyp" and data[8:12] in (b"avif", b"avis"):
        return "avif"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    return None


def _last_line(exc: pyvips.Error) -> str:
    detail = (exc.detail or exc.message or "").strip().splitlines()
    return detail[-1] if detail else str(exc)
