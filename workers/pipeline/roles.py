"""What an upload is: its declared role (`track`, `stem`, `cover`) and the files each role takes.

The uploads API stores the role in the object's `role` metadata (`x-amz-meta-role`) and the
pipeline routes by it: tracks to audio transcoding, stems to the `stems` bucket as FLAC,
covers to the image worker. The extension tables say which files a role can be processed
from; an extension outside every table (`.bin`, none) is stored but never processed.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from pathlib import PurePosixPath
from types import MappingProxyType


class UploadRole(StrEnum):
    """The role an upload declares."""

    TRACK = "track"
    STEM = "stem"
    COVER = "cover"


DEFAULT_ROLE = UploadRole.TRACK
"""The role of an upload that declares none (an Uppy client sending no `metadata.role`)."""
ROLE_METADATA_KEY = "role"
"""The S3 user-metadata key of the role (`x-amz-meta-role`)."""

TRACK_EXTENSIONS = frozenset({".wav", ".flac", ".aiff", ".aif", ".mp3", ".m4a", ".ogg"})
STEM_TO_FLAC_EXTENSIONS = frozenset({".wav", ".aiff", ".aif", ".flac"})
"""Lossless sources only: a stem is kept bit-exact as FLAC."""
COVER_EXTENSIONS = frozenset({".jpg", ".jpeg", ".png", ".webp", ".tif", ".tiff", ".gif", ".avif"})

ROLE_EXTENSIONS: Mapping[UploadRole, frozenset[str]] = MappingProxyType(
    {
        UploadRole.TRACK: TRACK_EXTENSIONS,
        UploadRole.STEM: STEM_TO_FLAC_EXTENSIONS,
        UploadRole.COVER: COVER_EXTENSIONS,
    }
)
KNOWN_EXTENSIONS = TRACK_EXTENSIONS | COVER_EXTENSIONS


class InvalidRoleError(ValueError):
    """A role that is not one of `track`, `stem`, `cover`."""


class RoleMismatchError(ValueError):
    """A file whose kind contradicts its declared role (a `.wav` cover, an `.mp3` stem)."""


def parse_role(value: object) -> UploadRole:
    """The `UploadRole` named by `value` (case-sensitive); `InvalidRoleError` otherwise."""
    if isinstance(value, str):
        try:
            return UploadRole(value)
        except ValueError:
            pass
    allowed = ", ".join(role.value for role in UploadRole)
    raise InvalidRoleError(f"unknown role {value!r}: expected one of {allowed}")


def extension(filename: str) -> str:
    """The lower-cased extension of a file name or key (`""` when it has none)."""
    return PurePosixPath(filename).suffix.lower()


def fits_role(role: UploadRole, filename: str) -> bool:
    """True when `filename` can be processed as `role`."""
    return extension(filename) in ROLE_EXTENSIONS[role]


def check_role_fits(role: UploadRole, filename: str) -> None:
    """Refuse a file of a known media kind that contradicts `role` (`RoleMismatchError`).

    An extension that is no known media kind (`.bin`, none) passes: such a file is stored
    and never processed, whatever it declares.
    """
    suffix = extension(filename)
    if suffix in KNOWN_EXTENSIONS and suffix not in ROLE_EXTENSIONS[role]:
        accepted = " ".join(sorted(ROLE_EXTENSIONS[role]))
        raise RoleMismatchError(
            f"{filename!r} cannot be a {role.value}: a {role.value} is one of {accepted}"
        )


def role_for_filename(filename: str) -> UploadRole:
    """The role a client declares when its user names none: `cover` for images, else `track`."""
    return UploadRole.COVER if extension(filename) in COVER_EXTENSIONS else DEFAULT_ROLE
