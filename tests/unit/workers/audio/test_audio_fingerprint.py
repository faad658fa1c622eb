"""The same recording re-encoded is a near-duplicate; a different recording is not."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from audio_media import write_music

from workers.audio.ffmpeg import UnsupportedMediaError
from workers.audio.fingerprint import fingerprint, is_near_duplicate, similarity


@pytest.fixture(scope="module")
def recordings(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("fp")
    a = write_music(root / "a.wav", 25.0, seed=1)
    b = write_music(root / "b.wav", 25.0, seed=2)
    reencoded = root / "a.mp3"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-ss", "1.5", "-i", str(a), "-ar", "32000", "-b:a", "96k",
         str(reencoded)],
        check=True,
    )  # fmt: skip
    return {"a": a, "b": b, "a_mp3": reencoded}


def test_reencoded_copy_is_a_near_duplicate(recordings: dict[str, Path]) -> None:
    a, copy = fingerprint(recordings["a"]), fingerprint(recordings["a_mp3"])
    assert similarity(a, copy) > 0.9
    assert is_near_duplicate(a, copy)


def test_different_recording_is_not(recordings: dict[str, Path]) -> None:
    a, b = fingerprint(recordings["a"]), fingerprint(recordings["b"])
    assert similarity(a, b) < 0.7
    assert not is_near_duplicate(a, b)


def test_not_audio_is_refused(tmp_path: Path) -> None:
    bogus = tmp_path / "x.wav"
    bogus.write_bytes(b"definitely not audio" * 50)
    with pytest.raises(UnsupportedMediaError):
        fingerprint(bogus)
