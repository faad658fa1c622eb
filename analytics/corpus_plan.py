"""The reference corpus as data: a seeded plan of masters, stems, covers and duplicates.

`plan_corpus(size, seed)` is pure: the same size and seed give the same catalogue (ids,
users, release days, tones, image seeds), which `corpus_media` then renders to files.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

CorpusSize = Literal["SMALL", "MEDIUM"]
ItemKind = Literal["master", "stem", "cover"]
STEM_NAMES = ("drums", "bass", "vocals", "keys")


@dataclass(frozen=True)
class SizeProfile:
    """How big a corpus preset is."""

    tracks: int
    seconds: float
    """Length of each master and stem (short: the real pipeline processes them)."""
    stems_per_track: int
    stem_track_share: float
    """Share of tracks uploaded with stems."""
    cover_pixels: int
    duplicate_share: float
    """Share of masters uploaded again, byte-identical, by another user."""
    users: int
    days: int
    plays_per_day: int


PROFILES: dict[str, SizeProfile] = {
    "SMALL": SizeProfile(
        tracks=8, seconds=4.0, stems_per_track=2, stem_track_share=0.5,
        cover_pixels=1200, duplicate_share=0.25, users=4, days=60, plays_per_day=400,
    ),
    "MEDIUM": SizeProfile(
        tracks=40, seconds=12.0, stems_per_track=4, stem_track_share=0.4,
        cover_pixels=1600, duplicate_share=0.15, users=12, days=180, plays_per_day=4000,
    ),
}  # fmt: skip


@dataclass(frozen=True)
class PlannedItem:
    """One upload of the catalogue (before it is rendered to a file)."""

    key: str
    kind: ItemKind
    user: str
    track: str
    created_day: int
    tone_hz: float
    seed: int
    duplicate_of: str | None = None
    """Key of the upload this one repeats byte for byte."""

    @property
    def bucket_role(self) -> str:
        """Bucket role the upload lands in: stems in `stems`, everything else in `masters`."""
        return "stems" if self.kind == "stem" else "masters"


def profile(size: str) -> SizeProfile:
    """The preset of a size name; ValueError naming the choices otherwise."""
    try:
        return PROFILES[size.upper()]
    except KeyError:
        raise ValueError(
            f"unknown corpus size {size!r}: expected one of {sorted(PROFILES)}"
        ) from None


def plan_corpus(prof: SizeProfile, seed: int = 7) -> tuple[PlannedItem, ...]:
    """The catalogue of a profile: per track a master and a cover, stems for some, duplicates."""
    rng = np.random.default_rng(seed)
    users = [f"user-{i:02d}" for i in range(prof.users)]
    items: list[PlannedItem] = []
    for index in range(prof.tracks):
        track = f"t{index:04d}"
        user = users[int(rng.integers(prof.users))]
        day = int(rng.integers(0, prof.days))
        tone = float(rng.uniform(110.0, 880.0))
        items.append(
            PlannedItem(f"{user}/{track}/master.wav", "master", user, track, day, tone, index)
        )
        items.append(
            PlannedItem(f"{user}/{track}/cover.png", "cover", user, track, day, tone, index)
        )
        if rng.random() < prof.stem_track_share:
            for stem_index, stem in enumerate(STEM_NAMES[: prof.stems_per_track]):
                items.append(
                    PlannedItem(
                        f"{user}/{track}/stems/{stem}.wav", "stem", user, track, day,
                        tone * (stem_index + 1) / 2, index * 10 + stem_index,
                    )
                )  # fmt: skip
    masters = [item for item in items if item.kind == "master"]
    count = max(1, round(prof.duplicate_share * len(masters)))
    for original in (masters[int(i)] for i in rng.choice(len(masters), count, replace=False)):
        other = users[(users.index(original.user) + 1) % len(users)]
        day = min(prof.days - 1, original.created_day + int(rng.integers(1, 10)))
        items.append(
            PlannedItem(
                f"{other}/{original.track}-reupload/master.wav", "master", other,
                original.track, day, original.tone_hz, original.seed, duplicate_of=original.key,
            )
        )  # fmt: skip
    return tuple(items)
