"""Bearer tokens: round trip, tampering, expiry, wrong key, malformed input."""

from __future__ import annotations

import base64
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workers.uploads.tokens import (
    BadSignatureError,
    Claims,
    ExpiredTokenError,
    InvalidUserIdError,
    MalformedTokenError,
    TokenError,
    issue_token,
    verify_token,
)

SECRET = b"unit-secret"
user_ids = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_-]{0,40}", fullmatch=True)


@given(user_id=user_ids, ttl=st.integers(1, 10**7))
def test_round_trip(user_id: str, ttl: int) -> None:
    token = issue_token(SECRET, user_id, ttl, now=1_000_000)
    assert verify_token(SECRET, token, now=1_000_000 + ttl - 1) == Claims(user_id, 1_000_000 + ttl)


def test_expired_at_and_after_expiry() -> None:
    token = issue_token(SECRET, "alice", 60, now=1000)
    with pytest.raises(ExpiredTokenError):
        verify_token(SECRET, token, now=1060)
    with pytest.raises(ExpiredTokenError):
        verify_token(SECRET, token, now=10**9)


def test_wrong_key_is_a_bad_signature() -> None:
    token = issue_token(SECRET, "alice", 60)
    with pytest.raises(BadSignatureError):
        verify_token(b"another-secret", token)


def _forge(token: str, claims: dict) -> str:
    version, _, signature = token.split(".")
    payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{version}.{payload}.{signature}"


def test_changed_claims_keep_no_valid_signature() -> None:
    token = issue_token(SECRET, "alice", 60, now=1000)
    for claims in ({"sub": "mallory", "exp": 1060}, {"sub": "alice", "exp": 10**12}):
        with pytest.raises(BadSignatureError):
            verify_token(SECRET, _forge(token, claims), now=1001)


@given(position=st.integers(0, 200), replacement=st.sampled_from("AQgw-_x"))
def test_any_single_character_change_is_rejected(position: int, replacement: str) -> None:
    token = issue_token(SECRET, "alice", 3600, now=1000)
    index = position % len(token)
    if token[index] == replacement or token[index] == ".":
        return
    changed = token[:index] + replacement + token[index + 1 :]
    try:
        claims = verify_token(SECRET, changed, now=1001)
    except TokenError:
        return
    # base64 padding bits can hide a change of the last character without changing bytes
    assert claims == Claims("alice", 4600)


@pytest.mark.parametrize("token", ["", "abc", "v1.a", "v2.a.b", "v1.!!.??", "v1..", "a.b.c.d"])
def test_malformed_tokens(token: str) -> None:
    with pytest.raises((MalformedTokenError, BadSignatureError)):
        verify_token(SECRET, token)


def test_signed_but_unreadable_claims_are_malformed() -> None:
    import hashlib
    import hmac

    payload = base64.urlsafe_b64encode(b"not json").rstrip(b"=").decode()
    signed = f"v1.{payload}"
    digest = hmac.new(SECRET, signed.encode(), hashlib.sha256).digest()
    token = f"{signed}.{base64.urlsafe_b64encode(digest).rstrip(b'=').decode()}"
    with pytest.raises(MalformedTokenError):
        verify_token(SECRET, token)


@pytest.mark.parametrize("user_id", ["", "../x", "a/b", ".hidden", "a..b", "x" * 129, "é"])
def test_unsafe_user_ids_cannot_get_tokens(user_id: str) -> None:
    with pytest.raises(InvalidUserIdError):
        issue_token(SECRET, user_id, 60)


def test_issue_needs_a_secret_and_a_positive_ttl() -> None:
    with pytest.raises(ValueError, match="secret"):
        issue_token(b"", "alice", 60)
    with pytest.raises(ValueError, match="ttl"):
        issue_token(SECRET, "alice", 0)
