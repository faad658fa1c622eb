"""Render planned corpus items to real files: ffmpeg lavfi audio, numpy cover images.

Masters and stems are 24-bit 48 kHz stereo WAV (a tone with harmonics, tremolo and seeded
pink noise, so FLAC compresses them like music rather than like silence); covers are PNG
photographs-like images (gradients, blobs and grain). Every output is deterministic.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pyvips

from analytics.corpus_plan import PlannedItem
from workers.audio.ffmpeg import BITEXACT_ARGS, ffmpeg

SAMPLE_RATE = 48000


def render_audio(path: Path, tone_hz: float, seed: int, seconds: float) -> None:
    """A 24-bit stereo WAV: tone + harmonics with tremolo, mixed with seeded pink noise."""
    path.parent.mkdir(parents=True, exist_ok=True)
    expr = (
        f"0.4*sin(2*PI*{tone_hz:.3f}*t)+0.2*sin(4*PI*{tone_hz:.3f}*t)"
        f"|0.4*sin(2*PI*{tone_hz * 1.005:.3f}*t)+0.15*sin(6*PI*{tone_hz:.3f}*t)"
    )
    ffmpeg(
        "-f", "lavfi", "-i", f"aevalsrc={expr}:s={SAMPLE_RATE}:d={seconds}",
        "-f", "lavfi",
        "-i", f"anoisesrc=d={seconds}:c=pink:a=0.08:r={SAMPLE_RATE}:seed={seed + 1}",
        "-filter_complex",
        "[1]aformat=channel_layouts=stereo[n];[0][n]amix=inputs=2:normalize=0,tremolo=f=3:d=0.4",
        "-c:a", "pcm_s24le", "-ar", str(SAMPLE_RATE), "-ac", "2", *BITEXACT_ARGS, path,
    )  # fmt: skip


def cover_pixels(seed: int, side: int) -> np.ndarray:
    """An RGB uint8 image: colour gradient, soft blobs and film grain, seeded."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:side, 0:side].astype(np.float32) / side
    base = rng.uniform(40, 200, size=3).astype(np.float32)
    image = np.empty((side, side, 3), np.float32)
    for channel in range(3):
        image[..., channel] = (
            base[channel] + 50 * x * rng.uniform(-1, 1) + 50 * y * rng.uniform(-1, 1)
        )
    for _ in range(6):
        cx, cy, radius = rng.uniform(0, 1), rng.uniform(0, 1), rng.uniform(0.05, 0.3)
        blob = np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * radius**2))
        image += blob[..., None] * rng.uniform(-80, 80, size=3).astype(np.float32)
    image += rng.normal(0, 6, size=image.shape).astype(np.float32)
    return np.clip(image, 0, 255).astype(np.uint8)


def render_cover(path: Path, seed: int, side: int) -> None:
    """Write a cover PNG (what labels upload: large, lossless)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pyvips.Image.new_from_array(cover_pixels(seed, side), interpretation="srgb").pngsave(
        str(path), compression=6, strip=True
    )


def render_item(item: PlannedItem, root: Path, seconds: float, cover_side: int) -> Path:
    """Write one planned item under `root/<bucket role>/<key>`; a duplicate copies its original."""
    path = root / item.bucket_role / item.key
    if item.duplicate_of is not None:
        original = root / "masters" / item.duplicate_of
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(original, path)
    elif item.kind == "cover":
        render_cover(path, item.seed, cover_side)
    else:
        render_audio(path, item.tone_hz, item.seed, seconds)
    return path
