"""Filenames and object keys of uploads: `<user_id>/<upload id>/<sanitised filename>`.

A filename that tries to leave its folder (`/`, `\\`, `.`/`..`) or carries control or
format characters (NUL, newlines, bidi overrides) is rejected; other characters outside a
conservative set are replaced by `_` so keys stay readable in logs, events and shells.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from dataclasses import dataclass

from workers.uploads.tokens import InvalidUserIdError, check_user_id

MAX_FILENAME_CHARS = 200
_UNSAFE = re.compile(r"[^\w.\-()+,@=]+")
_KEY = re.compile(r"^(?P<user>[^/]+)/(?P<upload>[0-9a-f]{32})/(?P<name>[^/]+)$")


class InvalidFilenameError(ValueError):
    """A filename that cannot be stored (traversal, control characters, empty, too long)."""


class InvalidKeyError(ValueError):
    """An object key that is not an upload key of this API."""


@dataclass(frozen=True)
class UploadKey:
    """The parts of an upload's object key."""

    user_id: str
    upload_ref: str
    """Our own id of the upload (hex uuid4): names the quota reservation."""
    filename: str

    @property
    def key(self) -> str:
        return f"{self.user_id}/{self.upload_ref}/{self.filename}"


def sanitise_filename(filename: str) -> str:
    """A safe single key segment for `filename`, or `InvalidFilenameError` saying why not."""
    if not isinstance(filename, str) or not filename.strip():
        raise InvalidFilenameError("filename is empty")
    name = unicodedata.normalize("NFC", filename)
    for char in name:
        if unicodedata.category(char) in {"Cc", "Cf", "Cs", "Co", "Zl", "Zp"}:
            raise InvalidFilenameError(f"filename contains a control character (U+{ord(char):04X})")
    if "/" in name or "\\" in name:
        raise InvalidFilenameError("filename must not contain path separators ('/' or '\\')")
    if name.strip() in {".", ".."}:
        raise InvalidFilenameError("filename must not be '.' or '..'")
    safe = re.sub(r"^\.+", "_", _UNSAFE.sub("_", name.strip()))
    if not safe.strip("_."):
        raise InvalidFilenameError(f"filename {filename!r} has no usable characters")
    if len(safe) > MAX_FILENAME_CHARS:
        stem, dot, ext = safe.rpartition(".")
        ext = ext if dot and len(ext) <= 16 else ""
        keep = MAX_FILENAME_CHARS - (len(ext) + 1 if ext else 0)
        safe = f"{(stem if ext else safe)[:keep]}.{ext}" if ext else safe[:keep]
    return safe


def new_upload_key(user_id: str, filename: str) -> UploadKey:
    """A fresh key for a new upload of `filename` by `user_id`."""
    return UploadKey(check_user_id(user_id), uuid.uuid4().hex, sanitise_filename(filename))


def parse_upload_key(key: str) -> UploadKey:
    """Split a key made by `new_upload_key`; `InvalidKeyError` for anything else."""
    match = _KEY.fullmatch(key or "")
    if match is None:
        raise InvalidKeyError(f"not an upload key: {key!r}")
    try:
        user_id = check_user_id(match["user"])
        filename = sanitise_filename(match["name"])
    except (InvalidUserIdError, InvalidFilenameError) as exc:
        raise InvalidKeyError(f"not an upload key: {key!r}") from exc
    if filename != match["name"]:
        raise InvalidKeyError(f"not an upload key: {key!r}")
    return UploadKey(user_id, match["upload"], filename)
