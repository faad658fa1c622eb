"""Seeded plays of a catalogue: Zipf popularity that decays with a track's age.

The weight of track i on day d (released on day r_i <= d) is
`rank_i ** -zipf_s * (ageing_floor + exp(-(d - r_i) / ageing_days))`: a few tracks take most
plays, and new releases are hot for a few weeks before settling on their long-tail share.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np

VARIANTS = ("mp3-128", "mp3-320", "m4a-256", "ogg-128")
VARIANT_SHARES = (0.45, 0.15, 0.3, 0.1)
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class AccessParams:
    """Shape of the access pattern."""

    plays_per_day: int
    days: int
    listeners: int = 500
    zipf_s: float = 1.1
    ageing_days: float = 14.0
    ageing_floor: float = 0.2


@dataclass(frozen=True)
class Play:
    """One stream of one track by one listener."""

    ts: datetime
    day: int
    listener: str
    track: str
    variant: str

    def as_dict(self) -> dict[str, object]:
        return {
            "ts": self.ts.isoformat(),
            "day": self.day,
            "listener": self.listener,
            "track": self.track,
            "variant": self.variant,
        }


def day_weights(
    release_days: np.ndarray, ranks: np.ndarray, day: int, params: AccessParams
) -> np.ndarray:
    """Normalised play probability of each track on `day` (zero before its release)."""
    age = day - release_days
    released = age >= 0
    decay = params.ageing_floor + np.exp(-np.clip(age, 0, None) / params.ageing_days)
    weights = np.where(released, ranks.astype(float) ** -params.zipf_s * decay, 0.0)
    total = weights.sum()
    return weights / total if total > 0 else weights


def generate_plays(
    tracks: Sequence[str], release_days: Sequence[int], params: AccessParams, seed: int
) -> Iterator[Play]:
    """Plays day by day, in time order within a day; deterministic for a seed."""
    rng = np.random.default_rng(seed)
    ranks = rng.permutation(len(tracks)) + 1
    releases = np.asarray(release_days)
    names = np.asarray(tracks)
    for day in range(params.days):
        weights = day_weights(releases, ranks, day, params)
        if weights.sum() == 0:
            continue
        count = int(rng.poisson(params.plays_per_day))
        picks = rng.choice(len(tracks), size=count, p=weights)
        seconds = np.sort(rng.uniform(0, 86400, size=count))
        listeners = rng.zipf(1.3, size=count) % params.listeners
        variants = rng.choice(len(VARIANTS), size=count, p=VARIANT_SHARES)
        start = EPOCH + timedelta(days=day)
        for pick, second, listener, variant in zip(
            picks, seconds, listeners, variants, strict=True
        ):
            yield Play(
                start + timedelta(seconds=float(second)),
                day,
                f"listener-{int(listener):04d}",
                str(names[pick]),
                VARIANTS[int(variant)],
            )
