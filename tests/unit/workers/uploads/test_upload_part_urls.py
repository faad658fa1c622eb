"""Batched presigned URLs: one request per batch, fresh signing on retry, thread-safe."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import pytest

from workers.uploads.part_urls import PartUrls


class Signer:
    def __init__(self) -> None:
        self.calls: list[list[int]] = []

    def __call__(self, numbers: Sequence[int]) -> dict[int, str]:
        self.calls.append(list(numbers))
        return {n: f"url-{n}-{len(self.calls)}" for n in numbers}


def test_each_batch_is_signed_once() -> None:
    signer = Signer()
    urls = PartUrls([3, 4, 5, 7, 9], signer, batch_size=2)
    assert [urls.url(n) for n in (3, 4, 5, 7, 9)] == [
        "url-3-1",
        "url-4-1",
        "url-5-2",
        "url-7-2",
        "url-9-3",
    ]
    assert signer.calls == [[3, 4], [5, 7], [9]]


def test_fresh_and_repeated_requests_sign_single_parts() -> None:
    signer = Signer()
    urls = PartUrls([1, 2], signer, batch_size=10)
    assert urls.url(1) == "url-1-1"
    assert urls.url(1) == "url-1-2"  # already handed out: signed again on its own
    assert urls.url(2, fresh=True) == "url-2-3"
    assert signer.calls == [[1, 2], [1], [2]]


def test_concurrent_callers_share_batches() -> None:
    signer = Signer()
    order = list(range(1, 101))
    urls = PartUrls(order, signer, batch_size=25)
    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(urls.url, order))
    assert len(set(got)) == 100
    assert sorted(map(tuple, signer.calls)) == [tuple(order[i : i + 25]) for i in range(0, 100, 25)]


def test_batch_size_must_be_positive() -> None:
    with pytest.raises(ValueError):
        PartUrls([1], Signer(), batch_size=0)
