"""Bandwidth limit: parsing and the token bucket (with a fake clock)."""

from __future__ import annotations

import pytest

from workers.uploads.throttle import RateLimiter, parse_rate


@pytest.mark.parametrize(
    ("text", "rate"),
    [
        ("100", 100),
        ("500K", 512_000),
        ("20M", 20 * 1024**2),
        ("1.5G", int(1.5 * 1024**3)),
        ("8MiB/s", 8 * 1024**2),
        ("2mb", 2 * 1024**2),
    ],
)
def test_parse_rate(text: str, rate: int) -> None:
    assert parse_rate(text) == rate


@pytest.mark.parametrize("text", ["", "fast", "-1M", "0", "10T"])
def test_parse_rate_refuses_nonsense(text: str) -> None:
    with pytest.raises(ValueError):
        parse_rate(text)


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_limiter_spaces_chunks_to_the_rate() -> None:
    clock = FakeClock()
    limiter = RateLimiter(1000, clock=clock, sleep=clock.sleep)
    data = bytes(10_000)
    assert b"".join(limiter.chunks(data, chunk_bytes=1000)) == data
    # the first chunk goes at once, each following one waits its share
    assert clock.now == pytest.approx(9.0)


def test_limiter_does_not_bank_idle_time_beyond_now() -> None:
    clock = FakeClock()
    limiter = RateLimiter(1000, clock=clock, sleep=clock.sleep)
    clock.now = 100.0
    limiter.acquire(1000)
    assert clock.now == 100.0
    limiter.acquire(1000)
    assert clock.now == pytest.approx(101.0)
