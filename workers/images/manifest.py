"""The manifest of an optimised image set: every output with its size and content hash."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

MANIFEST_NAME = "manifest.json"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SourceInfo(_Frozen):
    """The source image as read (dimensions as displayed, after EXIF orientation)."""

    name: str
    format: str
    width: int
    height: int
    pages: int
    orientation: int
    bytes: int
    sha256: str
    animated: bool = False
    """An animated GIF/WebP (more than one frame)."""
    delays_ms: tuple[int, ...] = ()
    """Per-frame display times of an animation."""
    loop: int | None = None
    """Times an animation plays (0: forever)."""


class ImageOutput(_Frozen):
    """One written variant."""

    name: str
    role: Literal["full", "responsive"]
    format: Literal["webp", "jpeg", "png", "avif"]
    content_type: str
    width: int
    height: int
    """Of one frame, for an animation."""
    bytes: int
    sha256: str
    frames: int = 1
    """Frames in this output: the source's frames for an animated WebP, else 1."""
    from_first_frame: bool = False
    """A still made from the first frame of an animated source (JPEG always is)."""


class ImageManifest(_Frozen):
    """`manifest.json`: the source and its outputs; written last (the commit point)."""

    version: Literal[1] = 1
    source: SourceInfo
    animated_policy: Literal["animate", "first-frame", "refuse"]
    outputs: tuple[ImageOutput, ...]

    def to_json(self) -> str:
        return self.model_dump_json(indent=2) + "\n"

    @classmethod
    def read(cls, path: Path) -> ImageManifest:
        return cls.model_validate_json(path.read_text())
