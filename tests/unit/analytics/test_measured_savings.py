"""Measured savings: the edge-cache replay, and the real pipeline over a tiny corpus."""

from __future__ import annotations

import pytest

from analytics.corpus import Corpus, generate
from analytics.corpus_plan import SizeProfile
from analytics.edge_cache import Request, replay
from analytics.savings import measure
from stacks.settings import Settings


def test_ttl_cache_counts_first_requests_and_expiries_as_misses() -> None:
    requests = [
        Request(0, "a", 10, ttl=100), Request(50, "a", 10, ttl=100), Request(99, "b", 5, ttl=100),
        Request(150, "a", 10, ttl=100), Request(160, "a", 10, ttl=100),
    ]  # fmt: skip
    result = replay(requests)
    assert (result.requests, result.hits) == (5, 2)
    assert (result.bytes_total, result.bytes_from_origin) == (45, 25)
    assert result.hit_ratio == pytest.approx(0.4)


def test_no_cache_sends_everything_to_the_origin() -> None:
    result = replay([Request(t, "a", 7, ttl=0) for t in range(4)])
    assert result.bytes_from_origin == result.bytes_total == 28


MICRO = SizeProfile(
    tracks=2, seconds=1.0, stems_per_track=2, stem_track_share=1.0,
    cover_pixels=400, duplicate_share=0.5, users=2, days=5, plays_per_day=40,
)  # fmt: skip


@pytest.fixture(scope="module")
def micro_corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    return generate("SMALL", tmp_path_factory.mktemp("micro"), seed=11, prof=MICRO)


@pytest.fixture(scope="module")
def measured(micro_corpus: Corpus, local_settings: Settings, tmp_path_factory) -> dict:  # type: ignore[no-untyped-def]
    return measure(micro_corpus, local_settings, tmp_path_factory.mktemp("savings"))


def test_stored_bytes_come_from_real_outputs(measured: dict, micro_corpus: Corpus) -> None:  # type: ignore[type-arg]
    stored = measured["stored_bytes"]
    masters = micro_corpus.of_kind("master")
    assert stored["masters"] == sum(m.bytes for m in masters)
    duplicates = [m for m in masters if m.duplicate_of]
    assert stored["masters"] - stored["masters_deduplicated"] == sum(m.bytes for m in duplicates)
    assert 0 < stored["stems_flac"] < stored["stems_wav"]  # real, verified FLAC
    assert 0 < stored["derivatives_deduplicated"] < stored["derivatives"]
    assert stored["cover_variants"] > 0


def test_optimisations_reduce_storage_and_origin_egress(measured: dict) -> None:  # type: ignore[type-arg]
    for part in (measured["measured"], measured["projected_to_track_seconds"]):
        assert part["stored_with_optimisations"] < part["stored_without_optimisations"]
        egress = part["origin_egress"]
        assert egress["webp"]["from_origin"] < egress["none"]["from_origin"]
        assert egress["cdn"]["from_origin"] < egress["none"]["from_origin"]
        assert egress["webp+cdn"]["edge_hit_ratio"] > 0
    projected = measured["projected_to_track_seconds"]
    assert projected["stored_saving_percent"] > measured["measured"]["stored_saving_percent"]
