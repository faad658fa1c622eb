"""Reference corpus: deterministic plan, real media, byte-identical duplicates, Zipf plays."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from analytics.access_pattern import AccessParams, day_weights, generate_plays
from analytics.corpus import Corpus, generate, load, read_plays
from analytics.corpus_plan import PROFILES, plan_corpus, profile
from workers.audio.probe import probe
from workers.dedup.hashing import hash_file


def test_plan_is_deterministic_and_seed_dependent() -> None:
    assert plan_corpus(PROFILES["SMALL"], 1) == plan_corpus(PROFILES["SMALL"], 1)
    assert plan_corpus(PROFILES["SMALL"], 1) != plan_corpus(PROFILES["SMALL"], 2)


def test_unknown_size_is_refused_naming_the_choices() -> None:
    with pytest.raises(ValueError, match="MEDIUM"):
        profile("HUGE")


def test_plan_holds_every_kind_and_duplicates_of_masters() -> None:
    items = plan_corpus(PROFILES["SMALL"], 7)
    kinds = Counter(item.kind for item in items)
    assert kinds["master"] > PROFILES["SMALL"].tracks  # originals plus re-uploads
    assert kinds["cover"] == PROFILES["SMALL"].tracks
    assert kinds["stem"] >= 2
    keys = {item.key for item in items}
    duplicates = [item for item in items if item.duplicate_of]
    assert duplicates and all(item.duplicate_of in keys for item in duplicates)
    assert all(item.user not in item.duplicate_of for item in duplicates)


def test_generated_files_are_real_media_with_recorded_sizes(tiny_corpus: Corpus) -> None:
    for item in tiny_corpus.files:
        path = tiny_corpus.path(item)
        digest = hash_file(path)
        assert (digest.size, digest.sha256) == (item.bytes, item.sha256)
    master = tiny_corpus.of_kind("master")[0]
    info = probe(tiny_corpus.path(master))
    assert (info.bits, info.sample_rate, info.channels) == (24, 48000, 2)
    assert info.duration == pytest.approx(1.0, abs=0.05)
    cover = tiny_corpus.path(tiny_corpus.of_kind("cover")[0])
    assert cover.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_duplicates_are_byte_identical(tiny_corpus: Corpus) -> None:
    by_key = {f.key: f for f in tiny_corpus.files}
    duplicates = [f for f in tiny_corpus.files if f.duplicate_of]
    assert duplicates
    for dup in duplicates:
        assert dup.sha256 == by_key[dup.duplicate_of].sha256


def test_generation_is_reproducible(tiny_corpus: Corpus, tiny_profile, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    again = generate("SMALL", tmp_path, seed=3, prof=tiny_profile)
    assert [f.sha256 for f in again.files] == [f.sha256 for f in tiny_corpus.files]
    assert (tmp_path / "plays.jsonl").read_bytes() == (
        tiny_corpus.root / "plays.jsonl"
    ).read_bytes()
    assert load(tmp_path).files == again.files


def test_plays_reference_released_tracks(tiny_corpus: Corpus) -> None:
    releases = {f.track: f.created_day for f in tiny_corpus.of_kind("master") if not f.duplicate_of}
    plays = read_plays(tiny_corpus.root)
    assert len(plays) == tiny_corpus.plays > 0
    assert all(play["day"] >= releases[play["track"]] for play in plays)


def test_zipf_popularity_concentrates_plays() -> None:
    tracks = [f"t{i}" for i in range(50)]
    params = AccessParams(plays_per_day=2000, days=3, ageing_floor=1.0, ageing_days=1e9)
    counts = Counter(play.track for play in generate_plays(tracks, [0] * 50, params, seed=1))
    top = sum(count for _, count in counts.most_common(5))
    assert top / sum(counts.values()) > 0.4  # 10 % of the tracks take > 40 % of the plays


def test_ageing_moves_plays_from_old_to_new_releases() -> None:
    ranks = np.array([1, 1])
    params = AccessParams(plays_per_day=1, days=100, ageing_days=7.0, ageing_floor=0.1)
    weights = day_weights(np.array([0, 60]), ranks, 61, params)
    assert weights[1] > 5 * weights[0]
    assert day_weights(np.array([0, 60]), ranks, 30, params)[1] == 0.0
