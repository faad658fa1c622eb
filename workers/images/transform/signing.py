"""URL signing: HMAC-SHA256 over salt + path, with up to two active keys (rotation).

Key material never lives in the settings: the settings name the active key ids and
`keys_from_env` reads each id's hex key and salt from `MEDIAINFRA_IMAGE_KEY_<ID>` and
`MEDIAINFRA_IMAGE_SALT_<ID>`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from stacks.settings import Settings

KEY_ENV = "MEDIAINFRA_IMAGE_KEY_{}"
SALT_ENV = "MEDIAINFRA_IMAGE_SALT_{}"


class SigningKeyError(ValueError):
    """A signing key is missing, malformed or not active."""


@dataclass(frozen=True)
class SigningKey:
    """One active URL-signing key: its id, the HMAC key and the salt."""

    key_id: str
    key: bytes
    salt: bytes

    def __repr__(self) -> str:
        return f"SigningKey(key_id={self.key_id!r})"


def sign_path(key: bytes, salt: bytes, path: str) -> str:
    """The signature of `path` ("/<options>/<source>"): urlsafe base64, no padding."""
    mac = hmac.new(key, salt + path.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def signed_url_path(signing_key: SigningKey, path: str) -> str:
    """`/<signature>/<options>/<source>` for a path with or without its leading slash."""
    path = "/" + path.lstrip("/")
    return f"/{sign_path(signing_key.key, signing_key.salt, path)}{path}"


def verify(keys: Sequence[SigningKey], signature: str, path: str) -> SigningKey | None:
    """The active key that signed `path`, or None; every key is compared in constant time."""
    matched = None
    for candidate in keys:
        expected = sign_path(candidate.key, candidate.salt, path)
        if hmac.compare_digest(expected.encode(), signature.encode()) and matched is None:
            matched = candidate
    return matched


def keys_from_env(settings: Settings, environ: Mapping[str, str]) -> list[SigningKey]:
    """The active keys named by `settings.images.signing_key_ids`, read from `environ`.

    On the `local` environment a missing key falls back to a fixed, publicly known
    development key (never on dev or prod, where a missing key is an error).
    """
    keys = []
    for key_id in settings.images.signing_key_ids:
        key_hex = environ.get(KEY_ENV.format(key_id))
        salt_hex = environ.get(SALT_ENV.format(key_id))
        if key_hex is None or salt_hex is None:
            if settings.environment != "local":
                raise SigningKeyError(
                    f"signing key {key_id!r}: set {KEY_ENV.format(key_id)} and "
                    f"{SALT_ENV.format(key_id)} (hex)"
                )
            keys.append(development_key(key_id))
            continue
        try:
            keys.append(SigningKey(key_id, bytes.fromhex(key_hex), bytes.fromhex(salt_hex)))
        except ValueError:
            raise SigningKeyError(f"signing key {key_id!r}: key and salt must be hex") from None
    return keys


def development_key(key_id: str) -> SigningKey:
    """The insecure, deterministic key of the local stack (so `sign` and `serve` agree)."""
    seed = f"media-infra-local-{key_id}".encode()
    return SigningKey(
        key_id, hashlib.sha256(seed + b"-key").digest(), hashlib.sha256(seed + b"-salt").digest()
    )


def select_key(keys: Sequence[SigningKey], key_id: str) -> SigningKey:
    """The active key with id `key_id`; SigningKeyError naming the active ids otherwise."""
    for candidate in keys:
        if candidate.key_id == key_id:
            return candidate
    active = ", ".join(k.key_id for k in keys)
    raise SigningKeyError(f"key id {key_id!r} is not active (active: {active})")
