"""Filenames and upload keys: traversal and control characters refused, the rest sanitised."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workers.uploads.naming import (
    MAX_FILENAME_CHARS,
    InvalidFilenameError,
    InvalidKeyError,
    new_upload_key,
    parse_upload_key,
    sanitise_filename,
)


@pytest.mark.parametrize(
    "name",
    [
        "../../etc/passwd",
        "..",
        ".",
        "a/b.wav",
        "..\\..\\boot.ini",
        "nul\x00byte.wav",
        "new\nline.wav",
        "tab\tname.wav",
        "\u202eevil.exe",
        "zero\u200bwidth.wav",
        "",
        "   ",
    ],
)
def test_rejected(name: str) -> None:
    with pytest.raises(InvalidFilenameError):
        sanitise_filename(name)


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("song.mp3", "song.mp3"),
        ("My Song (final).wav", "My_Song_(final).wav"),
        ("Beyoncé \u2013 Halo.flac", "Beyoncé_Halo.flac"),
        (".bashrc", "_bashrc"),
        ("a?b#c%2F.mp3", "a_b_c_2F.mp3"),
        ("..hidden.wav", "_hidden.wav"),
    ],
)
def test_sanitised(name: str, safe: str) -> None:
    assert sanitise_filename(name) == safe


def test_long_names_keep_their_extension() -> None:
    safe = sanitise_filename("x" * 500 + ".flac")
    assert len(safe) == MAX_FILENAME_CHARS and safe.endswith(".flac")


@given(st.text(min_size=1, max_size=300))
def test_sanitised_names_are_single_safe_segments(name: str) -> None:
    try:
        safe = sanitise_filename(name)
    except InvalidFilenameError:
        return
    assert "/" not in safe and "\\" not in safe
    assert safe not in {".", ".."} and not safe.startswith(".")
    assert 0 < len(safe) <= MAX_FILENAME_CHARS
    assert all(char.isprintable() for char in safe)
    assert sanitise_filename(safe) == safe


def test_keys_round_trip_and_are_unique() -> None:
    first = new_upload_key("alice", "take 1.wav")
    second = new_upload_key("alice", "take 1.wav")
    assert first.key != second.key
    assert first.key.startswith("alice/") and first.key.endswith("/take_1.wav")
    assert parse_upload_key(first.key) == first


@pytest.mark.parametrize(
    "key",
    [
        "alice/take.wav",
        "alice/0123/take.wav",
        "../" + "0" * 32 + "/x.wav",
        "alice/" + "0" * 32 + "/../x.wav",
        "alice/" + "0" * 32 + "/a b.wav",
        "alice/" + "0" * 32 + "/x.wav/extra",
        "",
    ],
)
def test_foreign_keys_are_refused(key: str) -> None:
    with pytest.raises(InvalidKeyError):
        parse_upload_key(key)
