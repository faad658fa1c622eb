"""Fixtures for the audio tests: a tagged master with a cover (see audio_media.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from audio_media import SAMPLE_TAGS, cover_jpeg, write_music

from workers.audio.tags import Cover, Tags, write_tags


@pytest.fixture(scope="session")
def sample_tags() -> Tags:
    return Tags(**SAMPLE_TAGS, cover=Cover(cover_jpeg(), "image/jpeg"))


@pytest.fixture(scope="session")
def tagged_master(tmp_path_factory: pytest.TempPathFactory, sample_tags: Tags) -> Path:
    """A 12 s, 24-bit, 48 kHz stereo FLAC master of synthetic music, every tag and a cover."""
    path = tmp_path_factory.mktemp("master") / "master.flac"
    write_music(path, 12.0, seed=4, rate=48000)
    write_tags(path, sample_tags)
    return path
