"""Typed image failures; all are permanent job failures (no retry can fix the input)."""

from __future__ import annotations

from workers.errors import PermanentJobError


class ImageError(PermanentJobError):
    """An image that cannot be processed; `reason` says why."""


class ImageTooLargeError(ImageError):
    """Pixel count (from the header) or file size over the configured limit: a possible bomb."""


class CorruptImageError(ImageError):
    """Truncated or malformed image data."""


class UnsupportedImageError(ImageError):
    """Not an image, or a format/kind this worker refuses (e.g. animated when configured so)."""
