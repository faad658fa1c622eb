"""Fixtures of the analytics unit tests: a tiny generated corpus (real audio and images)."""

from __future__ import annotations

from pathlib import Path

import pytest

from analytics.corpus import Corpus, generate
from analytics.corpus_plan import SizeProfile

TINY = SizeProfile(
    tracks=4, seconds=1.0, stems_per_track=2, stem_track_share=0.5,
    cover_pixels=600, duplicate_share=0.25, users=3, days=20, plays_per_day=50,
)  # fmt: skip


@pytest.fixture(scope="session")
def tiny_corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    return generate("SMALL", tmp_path_factory.mktemp("corpus"), seed=3, prof=TINY)


@pytest.fixture
def tiny_profile() -> SizeProfile:
    return TINY


@pytest.fixture
def corpus_root(tiny_corpus: Corpus) -> Path:
    return tiny_corpus.root
