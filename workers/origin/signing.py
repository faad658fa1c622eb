"""Signed, expiring URLs for premium content: `?exp=<unix seconds>[&user=<id>]&sig=<hex>`.

The signature (HMAC-SHA256) covers the path, the expiry and, when present, the user the URL
was issued to, so changing any of them (or the signature) makes the URL invalid. URLs
signed without a user (before the claim existed) stay valid: their message has no user
line, so a user can be neither added to nor removed from a signed URL. The key is a secret
shared by whoever issues URLs and the origin.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from urllib.parse import quote, urlencode

USER_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
"""A user claim: safe as an S3 key segment and inside the signed message."""


class SignatureError(ValueError):
    """A signed URL is malformed, tampered with or expired."""


class MissingSignatureError(SignatureError):
    """Premium content requested without a signature."""


class ExpiredSignatureError(SignatureError):
    """The URL's expiry is in the past."""


class BadSignatureError(SignatureError):
    """The signature does not match the path, expiry and user."""


def check_user(user: str) -> str:
    """`user` if it is a valid user claim; ValueError naming the rule otherwise."""
    if not USER_ID.fullmatch(user):
        raise ValueError(f"user id must be 1-64 characters of [A-Za-z0-9_-]: {user!r}")
    return user


def signature(key: bytes, path: str, expires_at: int, user: str | None = None) -> str:
    """Hex HMAC-SHA256 of `<path>\\n<expires_at>` (plus `\\nuser=<user>` with a user)."""
    message = f"{path}\n{expires_at}" + ("" if user is None else f"\nuser={user}")
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()


def sign_path(
    key: bytes, path: str, ttl_seconds: int, *, user: str | None = None, now: float | None = None
) -> str:
    """`path` with `exp`, `user` (if given) and `sig` query parameters valid for `ttl_seconds`."""
    if not key:
        raise ValueError("signing key must not be empty")
    if not path.startswith("/"):
        raise ValueError(f"path must start with '/': {path!r}")
    expires_at = int((time.time() if now is None else now) + ttl_seconds)
    params: dict[str, str | int] = {"exp": expires_at}
    if user is not None:
        params["user"] = check_user(user)
    params["sig"] = signature(key, path, expires_at, user)
    return f"{quote(path)}?{urlencode(params)}"


def verify(
    key: bytes,
    path: str,
    exp: str | None,
    sig: str | None,
    *,
    user: str | None = None,
    now: float | None = None,
) -> int:
    """Check a request's `exp`, `user` and `sig` for `path`; returns the expiry or raises."""
    if not exp or not sig:
        raise MissingSignatureError("a signed URL is required")
    try:
        expires_at = int(exp)
    except ValueError:
        raise BadSignatureError("exp is not an integer") from None
    if user is not None and not USER_ID.fullmatch(user):
        raise BadSignatureError("user is not a valid user id")
    if not hmac.compare_digest(signature(key, path, expires_at, user), sig.lower()):
        raise BadSignatureError("signature mismatch")
    if expires_at < (time.time() if now is None else now):
        raise ExpiredSignatureError("signed URL expired")
    return expires_at
