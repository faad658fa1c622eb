"""Processing options of a transform URL (imgproxy syntax) and the encoded source.

Path after the signature: `/<option>/<option>/.../<source>`. Options are `name:arg:arg`;
the source is either base64url (optionally split by `/`, optional `.<ext>` to choose the
output format) or `plain/<percent-encoded source>[@<ext>]`.

Options: `resize|rs:<fit|fill|force>:<w>:<h>[:<enlarge>]`, `size|s:<w>:<h>[:<enlarge>]`,
`resizing_type|rt:<type>`, `width|w:<w>`, `height|h:<h>`, `enlarge|el:<bool>`,
`gravity|g:<ce|no|so|ea|we|noea|nowe|soea|sowe|sm>`, `crop|c:<w>:<h>[:<gravity>]` (on the
source, before resizing), `quality|q:<1-100>`, `format|f|ext:<webp|avif|jpeg|jpg|png>`,
`watermark|wm:<opacity 0-1>[:<position>]`, `preset|pr:<name>[:<name>...]`.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import unquote

RESIZE_TYPES = ("fit", "fill", "force")
GRAVITIES = ("ce", "no", "so", "ea", "we", "noea", "nowe", "soea", "sowe", "sm")
FORMATS = {"webp": "webp", "avif": "avif", "jpeg": "jpeg", "jpg": "jpeg", "png": "png"}
_TRUE = ("1", "t", "true")
_FALSE = ("0", "f", "false")
_MAX_PRESET_DEPTH = 4


class OptionsError(ValueError):
    """A malformed transform path or option (answered 400)."""


@dataclass(frozen=True)
class Crop:
    """A region cut from the source before resizing (0 = the full source dimension)."""

    width: int
    height: int
    gravity: str


@dataclass(frozen=True)
class ProcessingOptions:
    """What to do to the source image."""

    resize_type: str = "fit"
    width: int = 0
    height: int = 0
    enlarge: bool = False
    gravity: str = "ce"
    crop: Crop | None = None
    quality: int | None = None
    format: str | None = None
    watermark_opacity: float = 0.0
    watermark_position: str = "soea"


def parse_path(path: str, presets: Mapping[str, str]) -> tuple[ProcessingOptions, str]:
    """Split "/<options>/<source>" into the options and the decoded source string."""
    segments = path.lstrip("/").split("/")
    options = ProcessingOptions()
    index = 0
    while index < len(segments) and ":" in segments[index]:
        options = _apply(options, segments[index], presets, depth=0)
        index += 1
    source_segments = segments[index:]
    if not source_segments or source_segments == [""]:
        raise OptionsError("no source in the path")
    source, extension = _decode_source(source_segments)
    if extension is not None:
        options = replace(options, format=_format(extension))
    return options, source


def expand_presets(presets: Mapping[str, str]) -> dict[str, ProcessingOptions]:
    """Parse every preset (OptionsError names a broken one): validates settings at startup."""
    parsed = {}
    for name, text in presets.items():
        options = ProcessingOptions()
        try:
            for segment in text.split("/"):
                options = _apply(options, segment, presets, depth=1)
        except OptionsError as exc:
            raise OptionsError(f"preset {name!r}: {exc}") from None
        parsed[name] = options
    return parsed


def _apply(
    options: ProcessingOptions, segment: str, presets: Mapping[str, str], depth: int
) -> ProcessingOptions:
    name, *args = segment.split(":")
    changes: dict[str, Any]
    if name in ("resize", "rs"):
        _arity(segment, args, 1, 4)
        changes = {"resize_type": _choice(args[0], RESIZE_TYPES, "resize type")}
        changes.update(_size_args(args[1:]))
    elif name in ("size", "s"):
        _arity(segment, args, 1, 3)
        changes = _size_args(args)
    elif name in ("resizing_type", "rt"):
        _arity(segment, args, 1, 1)
        changes = {"resize_type": _choice(args[0], RESIZE_TYPES, "resize type")}
    elif name in ("width", "w"):
        _arity(segment, args, 1, 1)
        changes = {"width": _int(args[0], "width")}
    elif name in ("height", "h"):
        _arity(segment, args, 1, 1)
        changes = {"height": _int(args[0], "height")}
    elif name in ("enlarge", "el"):
        _arity(segment, args, 1, 1)
        changes = {"enlarge": _bool(args[0])}
    elif name in ("gravity", "g"):
        _arity(segment, args, 1, 1)
        changes = {"gravity": _choice(args[0], GRAVITIES, "gravity")}
    elif name in ("crop", "c"):
        _arity(segment, args, 2, 3)
        gravity = _choice(args[2], GRAVITIES, "gravity") if len(args) > 2 else "ce"
        changes = {"crop": Crop(_int(args[0], "crop width"), _int(args[1], "crop height"), gravity)}
    elif name in ("quality", "q"):
        _arity(segment, args, 1, 1)
        quality = _int(args[0], "quality")
        if not 1 <= quality <= 100:
            raise OptionsError(f"quality {quality} is not within 1-100")
        changes = {"quality": quality}
    elif name in ("format", "f", "ext"):
        _arity(segment, args, 1, 1)
        changes = {"format": _format(args[0])}
    elif name in ("watermark", "wm"):
        _arity(segment, args, 1, 2)
        try:
            opacity = float(args[0])
        except ValueError:
            raise OptionsError(f"watermark opacity {args[0]!r} is not a number") from None
        if not 0 <= opacity <= 1:
            raise OptionsError("watermark opacity must be within 0-1")
        changes = {"watermark_opacity": opacity}
        if len(args) > 1:
            changes["watermark_position"] = _choice(args[1], GRAVITIES[:-1], "position")
    elif name in ("preset", "pr"):
        _arity(segment, args, 1, 8)
        for preset in args:
            options = _preset(options, preset, presets, depth)
        return options
    else:
        raise OptionsError(f"unknown option {name!r}")
    return replace(options, **changes)


def _preset(
    options: ProcessingOptions, name: str, presets: Mapping[str, str], depth: int
) -> ProcessingOptions:
    if name not in presets:
        raise OptionsError(f"unknown preset {name!r}")
    if depth >= _MAX_PRESET_DEPTH:
        raise OptionsError(f"preset {name!r} nests too deeply")
    for segment in presets[name].split("/"):
        options = _apply(options, segment, presets, depth + 1)
    return options


def _size_args(args: list[str]) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    if len(args) > 0 and args[0] != "":
        changes["width"] = _int(args[0], "width")
    if len(args) > 1 and args[1] != "":
        changes["height"] = _int(args[1], "height")
    if len(args) > 2 and args[2] != "":
        changes["enlarge"] = _bool(args[2])
    return changes


def _decode_source(segments: list[str]) -> tuple[str, str | None]:
    if segments[0] == "plain":
        plain = unquote("/".join(segments[1:]))
        source, at, extension = plain.rpartition("@")
        return (source, extension) if at else (plain, None)
    encoded = "".join(segments)
    encoded, dot, extension = encoded.partition(".")
    try:
        padded = encoded + "=" * (-len(encoded) % 4)
        source = base64.urlsafe_b64decode(padded.encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise OptionsError("source is not valid base64url") from None
    return source, (extension if dot else None)


def encode_source(source: str, extension: str | None = None) -> str:
    """The base64url form of a source (what `parse_path` decodes), with an optional `.ext`."""
    encoded = base64.urlsafe_b64encode(source.encode()).rstrip(b"=").decode()
    return f"{encoded}.{extension}" if extension else encoded


def _arity(segment: str, args: list[str], low: int, high: int) -> None:
    if not low <= len(args) <= high:
        raise OptionsError(f"option {segment!r} takes {low}-{high} arguments")


def _int(text: str, what: str) -> int:
    if not text.isdigit() or len(text) > 6:
        raise OptionsError(f"{what} {text!r} is not a non-negative integer")
    return int(text)


def _bool(text: str) -> bool:
    if text.lower() in _TRUE:
        return True
    if text.lower() in _FALSE:
        return False
    raise OptionsError(f"{text!r} is not a boolean")


def _choice(text: str, allowed: tuple[str, ...], what: str) -> str:
    if text not in allowed:
        raise OptionsError(f"{what} {text!r} is not one of {', '.join(allowed)}")
    return text


def _format(text: str) -> str:
    if text.lower() not in FORMATS:
        raise OptionsError(f"format {text!r} is not one of webp, avif, jpeg, png")
    return FORMATS[text.lower()]
