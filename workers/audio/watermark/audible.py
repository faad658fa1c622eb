"""Audible trial watermark: a short tag (a two-note chime, or a given recording) mixed into a
preview at regular intervals, at a level relative to the track's own peak."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from workers.audio.pcm import read_pcm, write_pcm

CHIME_NOTES_HZ = (1318.5, 987.8)
CHIME_NOTE_SECONDS = 0.3


def chime(rate: int) -> np.ndarray:
    """The default tag: two decaying sine notes with a few harmonics, peak 1.0, mono."""
    t = np.arange(int(CHIME_NOTE_SECONDS * rate)) / rate
    envelope = np.minimum(1.0, t / 0.005) * np.exp(-t * 9.0)
    notes = [
        envelope * sum(np.sin(2 * np.pi * f * k * t) / k**2 for k in (1, 2, 3))
        for f in CHIME_NOTES_HZ
    ]
    tag = np.concatenate(notes)
    return tag / np.max(np.abs(tag))


def tag_positions(duration_samples: int, tag_samples: int, interval_samples: int) -> list[int]:
    """Start samples of the tags: first at half an interval, then every interval, all whole."""
    starts = range(interval_samples // 2, duration_samples - tag_samples + 1, interval_samples)
    return list(starts)


def mix_tags(
    audio: np.ndarray,
    rate: int,
    *,
    interval_seconds: float,
    gain_db: float,
    tag: np.ndarray | None = None,
) -> tuple[np.ndarray, list[float]]:
    """Mix `tag` (default: the chime) into every channel; returns (audio, tag times in s)."""
    tag = chime(rate) if tag is None else np.asarray(tag, dtype=np.float64)
    peak = float(np.max(np.abs(audio))) or 1.0
    scaled = tag * peak * 10 ** (gain_db / 20)
    out = np.array(audio, dtype=np.float64, copy=True)
    starts = tag_positions(out.shape[-1], scaled.size, max(1, int(interval_seconds * rate)))
    for start in starts:
        out[..., start : start + scaled.size] += scaled
    return out, [start / rate for start in starts]


def trial_preview(
    src: Path, dst: Path, *, interval_seconds: float, gain_db: float, tag: Path | None = None
) -> list[float]:
    """Write `src` with the audible tag mixed in to `dst`; returns the tag times in seconds."""
    audio, rate = read_pcm(src)
    tag_audio = read_pcm(tag, rate=rate, mono=True)[0][0] if tag else None
    mixed, times = mix_tags(
        audio, rate, interval_seconds=interval_seconds, gain_db=gain_db, tag=tag_audio
    )
    write_pcm(dst, mixed, rate)
    return times
