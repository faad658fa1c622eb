"""Signed, expiring URLs for premium content: `?exp=<unix seconds>&sig=<hex HMAC-SHA256>`.

The signature covers the path and the expiry, so changing either (or the signature) makes
the URL invalid. The key is a secret shared by whoever issues URLs and the origin.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from urllib.parse import quote, urlencode


class SignatureError(ValueError):
    """A signed URL is malformed, tampered with or expired."""


class MissingSignatureError(SignatureError):
    """Premium content requested without a signature."""


class ExpiredSignatureError(SignatureError):
    """The URL's expiry is in the past."""


class BadSignatureError(SignatureError):
    """The signature does not match the path and expiry."""


def signature(key: bytes, path: str, expires_at: int) -> str:
    """Hex HMAC-SHA256 of `<path>\\n<expires_at>`."""
    message = f"{path}\n{expires_at}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def sign_path(key: bytes, path: str, ttl_seconds: int, *, now: float | None = None) -> str:
    """`path` with `exp` and `sig` query parameters valid for `ttl_seconds`."""
    if not key:
        raise ValueError("signing key must not be empty")
    if not path.startswith("/"):
        raise ValueError(f"path must start with '/': {path!r}")
    expires_at = int((time.time() if now is None else now) + ttl_seconds)
    query = urlencode({"exp": expires_at, "sig": signature(key, path, expires_at)})
    return f"{quote(path)}?{query}"


def verify(
    key: bytes, path: str, exp: str | None, sig: str | None, *, now: float | None = None
) -> int:
    """Check a request's `exp` and `sig` for `path`; returns the expiry or raises."""
    if not exp or not sig:
        raise MissingSignatureError("a signed URL is required")
    try:
        expires_at = int(exp)
    except ValueError:
        raise BadSignatureError("exp is not an integer") from None
    if not hmac.compare_digest(signature(key, path, expires_at), sig.lower()):
        raise BadSignatureError("signature mismatch")
    if expires_at < (time.time() if now is None else now):
        raise ExpiredSignatureError("signed URL expired")
    return expires_at
