"""Render one transform: crop, resize (fit/fill/force), watermark, encode.

The caller has already read the header (pixel limit enforced). Output dimensions are capped
at `ImageSettings.max_output_dimension` on the longest side, whatever the request says.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyvips

from stacks.settings import ImageSettings
from workers.images.formats import OutputFormat, avif_supported, encode
from workers.images.optimize import load_srgb, quality_for
from workers.images.probe import ImageHeader
from workers.images.transform.options import Crop, OptionsError, ProcessingOptions

DEFAULT_FORMAT: dict[str, OutputFormat] = {
    "jpeg": "jpeg",
    "png": "png",
    "webp": "webp",
    "gif": "png",
    "tiff": "jpeg",
    "heif": "jpeg",
}


@dataclass(frozen=True)
class Rendered:
    """An encoded transform output."""

    data: bytes
    format: OutputFormat
    width: int
    height: int


def render(
    data: bytes, header: ImageHeader, options: ProcessingOptions, settings: ImageSettings
) -> Rendered:
    """Apply `options` to the source bytes and encode; raises ImageError on bad data."""
    base_w, base_h = header.width, header.height
    region = None
    if options.crop is not None:
        full = load_srgb(data, header, base_w, base_h)
        region = _cut(full, options.crop)
        base_w, base_h = region.width, region.height

    (scaled_w, scaled_h), (out_w, out_h) = plan_size(base_w, base_h, options, settings)
    if region is not None:
        image = region.thumbnail_image(scaled_w, height=scaled_h, size="force")
    else:
        image = load_srgb(data, header, scaled_w, scaled_h, size="force")
    if (out_w, out_h) != (image.width, image.height):
        image = _fill_crop(image, out_w, out_h, options.gravity)
    if options.watermark_opacity > 0:
        opacity = settings.watermark_opacity * options.watermark_opacity
        image = _watermark(image, settings.watermark_text, opacity, options.watermark_position)

    fmt = _output_format(options, header)
    quality = options.quality or quality_for(fmt, settings)
    return Rendered(encode(image, fmt, quality), fmt, image.width, image.height)


def plan_size(
    width: int, height: int, options: ProcessingOptions, settings: ImageSettings
) -> tuple[tuple[int, int], tuple[int, int]]:
    """(resized size, final size after a fill crop) for a width x height source.

    fit: inside the box; fill: cover the box then crop to it; force: exactly the box.
    A 0 side follows the aspect ratio (or keeps the source side for force). Without
    `enlarge` nothing is upscaled; the longest side never exceeds max_output_dimension.
    A fill whose covering intermediate would exceed max_pixels raises OptionsError.
    """
    want_w, want_h = options.width, options.height
    if options.resize_type == "force":
        scale_x = want_w / width if want_w else 1.0
        scale_y = want_h / height if want_h else 1.0
        if not options.enlarge:
            scale_x, scale_y = min(scale_x, 1.0), min(scale_y, 1.0)
        out = (_side(width * scale_x), _side(height * scale_y))
        return _cap(out, out, settings.max_output_dimension)
    fill = options.resize_type == "fill" and want_w > 0 and want_h > 0
    ratios = [r for r in (want_w / width if want_w else 0, want_h / height if want_h else 0) if r]
    scale = (max(ratios) if fill else min(ratios)) if ratios else 1.0
    if not options.enlarge:
        scale = min(scale, 1.0)
    scaled = (_side(width * scale), _side(height * scale))
    final = (min(want_w, scaled[0]), min(want_h, scaled[1])) if fill else scaled
    scaled, final = _cap(scaled, final, settings.max_output_dimension)
    if scaled[0] * scaled[1] > settings.max_pixels:
        raise OptionsError(
            f"fill {want_w}x{want_h} of a {width}x{height} image needs a "
            f"{scaled[0]}x{scaled[1]} intermediate, over the pixel limit"
        )
    return scaled, final


def _cap(
    scaled: tuple[int, int], final: tuple[int, int], limit: int
) -> tuple[tuple[int, int], tuple[int, int]]:
    longest = max(final)
    if longest <= limit:
        return scaled, final
    factor = limit / longest
    return (
        (_side(scaled[0] * factor), _side(scaled[1] * factor)),
        (min(limit, _side(final[0] * factor)), min(limit, _side(final[1] * factor))),
    )


def _side(value: float) -> int:
    return max(1, round(value))


def offset(gravity: str, free_x: int, free_y: int) -> tuple[int, int]:
    """Top-left of a box placed by compass gravity in the free space (free_x, free_y)."""
    x = {"we": 0, "nowe": 0, "sowe": 0, "ea": free_x, "noea": free_x, "soea": free_x}
    y = {"no": 0, "noea": 0, "nowe": 0, "so": free_y, "soea": free_y, "sowe": free_y}
    return x.get(gravity, free_x // 2), y.get(gravity, free_y // 2)


def _cut(image: pyvips.Image, crop: Crop) -> pyvips.Image:
    width = min(crop.width or image.width, image.width)
    height = min(crop.height or image.height, image.height)
    if crop.gravity == "sm":
        return image.smartcrop(width, height, interesting="attention")
    x, y = offset(crop.gravity, image.width - width, image.height - height)
    return image.crop(x, y, width, height)


def _fill_crop(image: pyvips.Image, width: int, height: int, gravity: str) -> pyvips.Image:
    width, height = min(width, image.width), min(height, image.height)
    if gravity == "sm":
        return image.smartcrop(width, height, interesting="attention")
    x, y = offset(gravity, image.width - width, image.height - height)
    return image.crop(x, y, width, height)


def _watermark(image: pyvips.Image, text: str, opacity: float, position: str) -> pyvips.Image:
    """Overlay `text` in white at `opacity`, a quarter of the image wide, placed by gravity."""
    mask = pyvips.Image.text(text, dpi=300)
    target_w = max(8, image.width // 4)
    mask = mask.resize(target_w / mask.width)
    margin = max(1, image.width // 50)
    free_x = max(0, image.width - mask.width - 2 * margin)
    free_y = max(0, image.height - mask.height - 2 * margin)
    x, y = offset(position, free_x, free_y)
    alpha = (mask * opacity).cast("uchar")
    white = alpha.new_from_image([255, 255, 255]).copy(interpretation="srgb")
    overlay = white.bandjoin(alpha)
    bands = image.bands
    result = image.composite2(overlay, "over", x=x + margin, y=y + margin)
    if not image.hasalpha():
        result = result.extract_band(0, n=bands)
    return result.cast("uchar").copy_memory()


def _output_format(options: ProcessingOptions, header: ImageHeader) -> OutputFormat:
    fmt: OutputFormat = options.format or DEFAULT_FORMAT.get(header.format, "jpeg")  # type: ignore[assignment]
    if fmt == "avif" and not avif_supported():
        return "webp"
    return fmt
