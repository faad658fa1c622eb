"""Header-only inspection of a source image, and the limits checked before any decoding.

pyvips has no pixel limit and decodes lazily: opening a file reads only its header, so
width x height is known (and a decompression bomb refused) before a single pixel is decoded.
An animated GIF/WebP declares its frame count there too (libvips walks the GIF's frame
descriptors without decoding them): width x height x frames is checked as well.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import pyvips

from stacks.settings import ImageSettings
from workers.images.errors import (
    CorruptImageError,
    ImageTooLargeError,
    UnsupportedImageError,
)
from workers.images.formats import sniff

ALLOWED_LOADERS = frozenset({"jpeg", "png", "webp", "gif", "tiff", "heif"})
"""Source formats accepted (libvips loader names without `load`/`_buffer`/`_source`)."""


@dataclass(frozen=True)
class ImageHeader:
    """What the header says about a source image (dimensions as displayed, after orientation)."""

    format: str
    width: int
    height: int
    pages: int
    orientation: int
    has_icc: bool
    interpretation: str
    delays_ms: tuple[int, ...] = ()
    """Per-frame display times of an animation (empty for a still)."""
    loop: int | None = None
    """Times an animation plays (0: forever); None for a still."""

    @property
    def animated(self) -> bool:
        return self.pages > 1 and self.format in ("gif", "webp")


def read_header(source: Path | bytes, settings: ImageSettings) -> ImageHeader:
    """Open `source` (a file or bytes) header-only and enforce the limits; raises ImageError.

    Refuses: files over `max_source_bytes`, non-images and disallowed formats, a first frame
    of more than `max_pixels` pixels, animated images when `settings.animated` is "refuse",
    and (when it is "animate": every frame will be decoded) animations of more than
    `max_animation_pixels` pixels in all frames.
    """
    size = source.stat().st_size if isinstance(source, Path) else len(source)
    if size > settings.max_source_bytes:
        raise ImageTooLargeError(
            f"source is {size} bytes, over the limit of {settings.max_source_bytes}"
        )
    image = _open_lazily(source)
    fmt = _loader_format(image)
    if fmt not in ALLOWED_LOADERS:
        raise UnsupportedImageError(f"format {fmt!r} is not accepted")
    pixels = image.width * image.height
    if pixels > settings.max_pixels:
        raise ImageTooLargeError(
            f"{image.width}x{image.height} = {pixels} pixels exceeds the limit of "
            f"{settings.max_pixels} (refused from the header, before decoding)"
        )
    fields = set(image.get_fields())
    pages = int(image.get("n-pages")) if "n-pages" in fields else 1
    orientation = int(image.get("orientation")) if "orientation" in fields else 1
    width, height = image.width, image.height
    if orientation in (5, 6, 7, 8):
        width, height = height, width
    header = ImageHeader(
        format=fmt,
        width=width,
        height=height,
        pages=pages,
        orientation=orientation,
        has_icc="icc-profile-data" in fields,
        interpretation=str(image.interpretation),
    )
    if not header.animated:
        return header
    if settings.animated == "refuse":
        raise UnsupportedImageError(f"animated {fmt} with {pages} frames is refused")
    if settings.animated == "animate":
        total = pixels * pages
        if total > settings.max_animation_pixels:
            raise ImageTooLargeError(
                f"animated {fmt}: {image.width}x{image.height} x {pages} frames = {total} "
                f"pixels exceeds the limit of {settings.max_animation_pixels} "
                "(refused from the header, before decoding)"
            )
    return replace(
        header,
        delays_ms=_delays(image, fields, pages),
        loop=int(image.get("loop")) if "loop" in fields else 0,
    )


def _delays(image: pyvips.Image, fields: set[str], pages: int) -> tuple[int, ...]:
    """The per-frame delays in milliseconds (libvips' `delay`; GIF's own default otherwise)."""
    if "delay" in fields:
        delays = tuple(int(delay) for delay in image.get("delay"))
        if len(delays) == pages:
            return delays
    return (100,) * pages


def _open_lazily(source: Path | bytes) -> pyvips.Image:
    try:
        if isinstance(source, Path):
            return pyvips.Image.new_from_file(str(source), access="sequential")
        return pyvips.Image.new_from_buffer(source, "", access="sequential")
    except pyvips.Error as exc:
        if isinstance(source, Path):
            with source.open("rb") as handle:
                kind = sniff(handle.read(16))
        else:
            kind = sniff(source[:16])
        detail = (exc.detail or exc.message or "").strip().splitlines()
        why = detail[-1] if detail else "unreadable"
        if kind is not None:
            raise CorruptImageError(f"malformed {kind} header: {why}") from None
        raise UnsupportedImageError(f"not a recognised image: {why}") from None


def _loader_format(image: pyvips.Image) -> str:
    loader = str(image.get("vips-loader"))
    for suffix in ("_buffer", "_source"):
        loader = loader.removesuffix(suffix)
    return loader.removesuffix("load")
