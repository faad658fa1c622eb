"""A TTL edge cache replayed over timed requests: which requests the origin serves.

One point of presence keeps an object for its cache class' edge TTL after fetching it
(Cloudflare with tiered cache behaves close to this for a catalogue this size); a request
after the TTL, or the first one, is a miss and costs origin egress.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Request:
    """One request at `t` seconds for object `key` of `size` bytes, cached `ttl` seconds."""

    t: float
    key: str
    size: int
    ttl: float


@dataclass(frozen=True)
class CacheReplay:
    """What the edge served and what the origin served."""

    requests: int
    hits: int
    bytes_total: int
    bytes_from_origin: int

    @property
    def hit_ratio(self) -> float:
        return self.hits / self.requests if self.requests else 0.0


def replay(requests: Iterable[Request]) -> CacheReplay:
    """Replay requests in time order through one TTL cache."""
    fetched_at: dict[str, float] = {}
    count = hits = total = origin = 0
    for request in requests:
        count += 1
        total += request.size
        last = fetched_at.get(request.key)
        if last is not None and request.t - last < request.ttl:
            hits += 1
            continue
        fetched_at[request.key] = request.t
        origin += request.size
    return CacheReplay(count, hits, total, origin)
