"""Optimise one image: full-size WebP and progressive JPEG plus responsive widths.

Every output is decoded with `pyvips.Image.thumbnail` (shrink-on-load, EXIF autorotation,
ICC/CMYK/16-bit converted to 8-bit sRGB), encoded with all metadata stripped, and written
under a deterministic name; `manifest.json` is written last. Encodes run on
`ImageSettings.parallel_encodes` threads (libvips releases the GIL; WebP encoding dominates).

Animated GIF/WebP sources (`ImageSettings.animated`): "animate" (default) writes every WebP
as an animated WebP with all frames, their delays and loop count, at full size and at each
responsive width, while the JPEGs are progressive stills of the first frame
(`from_first_frame` in the manifest); "first-frame" makes every output a still of frame 0;
"refuse" refuses the source. Frames x width x height is checked from the header first.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Literal

import pyvips

from stacks.settings import ImageSettings
from workers.images.errors import CorruptImageError
from workers.images.formats import (
    CONTENT_TYPES,
    EXTENSIONS,
    OutputFormat,
    encode,
    frame_count,
)
from workers.images.manifest import MANIFEST_NAME, ImageManifest, ImageOutput, SourceInfo
from workers.images.probe import ImageHeader, read_header

FULL_FORMATS: tuple[OutputFormat, ...] = ("webp", "jpeg")
UNBOUNDED = 10_000_000
"""A thumbnail box side that never constrains (libvips' maximum coordinate)."""


def optimize(src: Path, out_dir: Path, settings: ImageSettings) -> ImageManifest:
    """Write the variant set of `src` into `out_dir` and return its manifest.

    Raises an `ImageError` subclass (a `PermanentJobError`) for a bomb, a corrupt or
    unsupported file; nothing is written for a refused source (its header is checked first).
    """
    src = Path(src)
    header = read_header(src, settings)
    animate = header.animated and settings.animated == "animate"
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = safe_stem(src.stem)
    widths = [width for width in settings.sizes if width < header.width]
    planned = [f"{stem}-full.{EXTENSIONS[fmt]}" for fmt in FULL_FORMATS] + [
        f"{stem}-{width}.{EXTENSIONS[fmt]}"
        for width in widths
        for fmt in settings.responsive_formats
    ]
    try:
        full = _variant_images(src, header, header.width, header.height, FULL_FORMATS, animate)
        tasks = [
            partial(_encode_all, out_dir, f"{stem}-full", "full", full, (fmt,), header, settings)
            for fmt in FULL_FORMATS
        ] + [
            partial(_responsive, src, header, out_dir, stem, width, settings, animate)
            for width in widths
        ]
        with ThreadPoolExecutor(max_workers=settings.parallel_encodes) as pool:
            outputs = [item for batch in pool.map(lambda task: task(), tasks) for item in batch]
    except BaseException:
        for name in planned:  # whatever this run wrote: the names are deterministic
            (out_dir / name).unlink(missing_ok=True)
            (out_dir / f".{name}.part").unlink(missing_ok=True)
        raise

    manifest = ImageManifest(
        source=_source_info(src, header),
        animated_policy=settings.animated,
        outputs=tuple(outputs),
    )
    _write_atomically(out_dir / MANIFEST_NAME, manifest.to_json().encode())
    return manifest


def load_srgb(
    src: Path | bytes,
    header: ImageHeader,
    width: int,
    height: int,
    *,
    size: str = "down",
    all_frames: bool = False,
) -> pyvips.Image:
    """Decode the first frame fitted inside width x height as 8-bit sRGB, in memory.

    Shrink-on-load, EXIF orientation applied, an embedded ICC profile or CMYK imported and
    exported as sRGB, 16-bit reduced to 8-bit; `size` is libvips' "down" (never upscale),
    "both" or "force" (exactly width x height). Truncated or corrupt data raises
    CorruptImageError.

    `all_frames`: every frame of an animation, each fitted inside width x height, as one
    tall image (`page-height`, `delay`, `loop` kept); left lazy, so it streams through its
    encoder instead of holding every frame in memory.
    """
    options: dict[str, object] = {"height": height, "size": size, "fail_on": "error"}
    if header.has_icc or header.interpretation == "cmyk":
        # Only then: on an untagged image the ICC round trip costs ~8x the decode, for nothing.
        options["export_profile"] = "srgb"
    try:
        if all_frames:
            source = pyvips.Source.new_from_file(str(src)) if isinstance(src, Path) else None
            loader_options = "n=-1,fail_on=error"
            image = (
                pyvips.Image.thumbnail_source(
                    source, width, option_string=loader_options, **options
                )
                if source is not None
                else pyvips.Image.thumbnail_buffer(
                    src, width, option_string=loader_options, **options
                )
            )
        elif isinstance(src, Path):
            image = pyvips.Image.thumbnail(str(src), width, **options)
        else:
            # thumbnail_buffer ignores the fail_on argument: pass it as a loader option.
            image = pyvips.Image.thumbnail_buffer(
                src, width, option_string="fail_on=error", **options
            )
        if image.interpretation != "srgb":
            image = image.colourspace("srgb")
        if image.format != "uchar":
            image = image.cast("uchar")
        return image if all_frames else image.copy_memory()
    except pyvips.Error as exc:
        detail = (exc.detail or exc.message or "").strip().splitlines()
        raise CorruptImageError(f"cannot decode: {detail[-1] if detail else exc}") from None


def safe_stem(stem: str) -> str:
    """A file-name stem reduced to [A-Za-z0-9._-] (deterministic output names)."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip(".-")
    return cleaned[:100] or "image"


def quality_for(fmt: OutputFormat, settings: ImageSettings) -> int:
    """The configured encoder quality of a format."""
    return {
        "webp": settings.webp_quality,
        "jpeg": settings.jpeg_quality,
        "avif": settings.avif_quality,
        "png": 100,
    }[fmt]


def _variant_images(
    src: Path,
    header: ImageHeader,
    width: int,
    height: int,
    formats: tuple[OutputFormat, ...],
    animate: bool,
) -> dict[OutputFormat, pyvips.Image]:
    """The image each format is encoded from: the first frame, or (WebP) every frame."""
    still = load_srgb(src, header, width, height)
    images: dict[OutputFormat, pyvips.Image] = dict.fromkeys(formats, still)
    if animate and "webp" in images:
        images["webp"] = load_srgb(src, header, width, height, all_frames=True)
    return images


def _responsive(
    src: Path,
    header: ImageHeader,
    out_dir: Path,
    stem: str,
    width: int,
    settings: ImageSettings,
    animate: bool,
) -> list[ImageOutput]:
    formats = settings.responsive_formats
    images = _variant_images(src, header, width, UNBOUNDED, formats, animate)
    base = f"{stem}-{width}"
    return _encode_all(out_dir, base, "responsive", images, formats, header, settings)


def _encode_all(
    out_dir: Path,
    base: str,
    role: Literal["full", "responsive"],
    images: Mapping[OutputFormat, pyvips.Image],
    formats: tuple[OutputFormat, ...],
    header: ImageHeader,
    settings: ImageSettings,
) -> list[ImageOutput]:
    return [
        _write(out_dir, f"{base}.{EXTENSIONS[fmt]}", role, images[fmt], fmt, header, settings)
        for fmt in formats
    ]


def _write(
    out_dir: Path,
    name: str,
    role: Literal["full", "responsive"],
    image: pyvips.Image,
    fmt: OutputFormat,
    header: ImageHeader,
    settings: ImageSettings,
) -> ImageOutput:
    data = encode(image, fmt, quality_for(fmt, settings))
    _write_atomically(out_dir / name, data)
    frames = frame_count(image)
    return ImageOutput(
        name=name,
        role=role,
        format=fmt,
        content_type=CONTENT_TYPES[fmt],
        width=image.width,
        height=image.height // frames,
        bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        frames=frames,
        from_first_frame=header.animated and frames == 1,
    )


def _write_atomically(path: Path, data: bytes) -> None:
    partial = path.with_name(f".{path.name}.part")
    partial.write_bytes(data)
    os.replace(partial, path)


def _source_info(src: Path, header: ImageHeader) -> SourceInfo:
    digest = hashlib.sha256()
    with src.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return SourceInfo(
        name=src.name,
        format=header.format,
        width=header.width,
        height=header.height,
        pages=header.pages,
        orientation=header.orientation,
        bytes=src.stat().st_size,
        sha256=digest.hexdigest(),
        animated=header.animated,
        delays_ms=header.delays_ms,
        loop=header.loop,
    )
