"""HMAC-SHA256-signed bearer tokens carrying a user id and an expiry.

Format: `v1.<base64url(JSON claims)>.<base64url(HMAC-SHA256(secret, "v1." + payload))>`.
The user id is restricted to characters that are safe as an S3 key segment.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import time
from dataclasses import dataclass

VERSION = "v1"
USER_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")


class TokenError(ValueError):
    """A bearer token that must not be accepted; the message says why."""


class MalformedTokenError(TokenError):
    """Not a token of this format (wrong shape, bad encoding, bad claims)."""


class BadSignatureError(TokenError):
    """The signature does not match: tampered, or signed with another key."""


class ExpiredTokenError(TokenError):
    """The token was valid but its expiry has passed."""


class InvalidUserIdError(ValueError):
    """A user id that cannot be used as an object key segment."""


@dataclass(frozen=True)
class Claims:
    """What a verified token asserts."""

    user_id: str
    expires_at: int
    """Unix time (seconds) after which the token is rejected."""


def check_user_id(user_id: str) -> str:
    """Return `user_id` when it is a safe key segment, else raise `InvalidUserIdError`."""
    if not USER_ID_PATTERN.fullmatch(user_id) or ".." in user_id:
        raise InvalidUserIdError(
            f"invalid user id {user_id!r}: expected 1-128 of [A-Za-z0-9_.-], "
            "starting with a letter or digit, without '..'"
        )
    return user_id


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise MalformedTokenError("token is not valid base64url") from exc


def _signature(secret: bytes, signed: str) -> bytes:
    return hmac.new(secret, signed.encode("ascii"), hashlib.sha256).digest()


def issue_token(secret: bytes, user_id: str, ttl_s: int, *, now: float | None = None) -> str:
    """A token for `user_id` valid for `ttl_s` seconds from `now` (default: the current time)."""
    if not secret:
        raise ValueError("token secret must not be empty")
    if ttl_s <= 0:
        raise ValueError(f"ttl_s must be positive, got {ttl_s}")
    check_user_id(user_id)
    issued = int(time.time() if now is None else now)
    claims = {"sub": user_id, "exp": issued + int(ttl_s)}
    payload = _b64encode(json.dumps(claims, separators=(",", ":"), sort_keys=True).encode())
    signed = f"{VERSION}.{payload}"
    return f"{signed}.{_b64encode(_signature(secret, signed))}"


def verify_token(secret: bytes, token: str, now: float | None = None) -> Claims:
    """The claims of a genuine, unexpired token; raises a `TokenError` subclass otherwise."""
    parts = token.split(".")
    if len(parts) != 3 or parts[0] != VERSION:
        raise MalformedTokenError(f"token is not a {VERSION} bearer token")
    signed = f"{parts[0]}.{parts[1]}"
    if not hmac.compare_digest(_signature(secret, signed), _b64decode(parts[2])):
        raise BadSignatureError("token signature does not match")
    try:
        claims = json.loads(_b64decode(parts[1]))
        user_id, expires_at = claims["sub"], claims["exp"]
    except (ValueError, KeyError, TypeError) as exc:
        raise MalformedTokenError("token claims are unreadable") from exc
    if not isinstance(user_id, str) or not isinstance(expires_at, int):
        raise MalformedTokenError("token claims have the wrong types")
    try:
        check_user_id(user_id)
    except InvalidUserIdError as exc:
        raise MalformedTokenError(str(exc)) from exc
    current = time.time() if now is None else now
    if current >= expires_at:
        raise ExpiredTokenError(f"token expired {int(current - expires_at)} s ago")
    return Claims(user_id=user_id, expires_at=expires_at)
