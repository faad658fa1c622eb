"""Acoustic fingerprints (Chromaprint via `fpcalc -raw -json`) and their similarity.

Two fingerprints are compared at every alignment within `max_offset` items (~0.124 s each):
the similarity is 1 minus the lowest bit error rate over the overlapping 32-bit items. The
same recording re-encoded scores near 1; unrelated recordings hover around 0.5.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from workers.audio.ffmpeg import UnsupportedMediaError, last_stderr_line, run

FPCALC = "fpcalc"
ITEM_SECONDS = 0.1238
NEAR_DUPLICATE_SIMILARITY = 0.8
MIN_OVERLAP_ITEMS = 40
"""About 5 s of overlap at least, so short accidental matches do not count."""


@dataclass(frozen=True)
class Fingerprint:
    """A raw Chromaprint fingerprint: one 32-bit item per ~0.124 s."""

    duration: float
    items: tuple[int, ...]

    def as_array(self) -> np.ndarray:
        return np.asarray(self.items, dtype=np.int64).astype(np.uint32)


def fingerprint(path: Path, *, length_seconds: int = 120) -> Fingerprint:
    """Chromaprint of the first `length_seconds` of `path` (0 = the whole file)."""
    argv = [FPCALC, "-raw", "-json", "-length", str(length_seconds), str(path)]
    proc = run(argv, check=False)
    stderr = proc.stderr.decode("utf-8", "replace")
    try:
        data = json.loads(proc.stdout) if proc.stdout.strip() else {}
    except json.JSONDecodeError:
        data = {}
    if proc.returncode != 0 and (not data or not _only_end_of_file_errors(stderr)):
        raise UnsupportedMediaError(f"{path.name}: cannot fingerprint ({last_stderr_line(stderr)})")
    items = tuple(int(v) for v in data.get("fingerprint", []))
    if not items:
        raise UnsupportedMediaError(f"{path.name}: too short or silent to fingerprint")
    return Fingerprint(duration=float(data.get("duration", 0.0)), items=items)


def _only_end_of_file_errors(stderr: str) -> bool:
    """Chromaprint 1.5 with ffmpeg 5 exits 3 after reporting end of file as a decode error,
    having printed a complete fingerprint: that exit is not a failure."""
    lines = [line for line in stderr.splitlines() if line.strip()]
    return all("End of file" in line for line in lines)


def similarity(a: Fingerprint, b: Fingerprint, *, max_offset: int = 80) -> float:
    """1 - the lowest bit error rate over alignments within +/- `max_offset` items (0..1)."""
    x, y = a.as_array(), b.as_array()
    best_ber = 1.0
    for offset in range(-max_offset, max_offset + 1):
        xs = x[max(0, offset) :]
        ys = y[max(0, -offset) :]
        n = min(xs.size, ys.size)
        if n < min(MIN_OVERLAP_ITEMS, x.size, y.size):
            continue
        errors = int(np.bitwise_count(xs[:n] ^ ys[:n]).sum())
        best_ber = min(best_ber, errors / (32 * n))
    return 1.0 - best_ber


def is_near_duplicate(a: Fingerprint, b: Fingerprint) -> bool:
    """Whether `a` and `b` are the same recording (re-encoded, re-uploaded)."""
    return similarity(a, b) >= NEAR_DUPLICATE_SIMILARITY
