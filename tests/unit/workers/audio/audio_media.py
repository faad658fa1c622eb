"""Real media for the audio tests: generated with ffmpeg lavfi and numpy.

A uniquely named module (not conftest) so test files can import it whatever other
conftest.py files the session has loaded.
"""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import numpy as np
from PIL import Image

SAMPLE_TAGS = dict(
    title="Night Drive",
    artist="The Testers",
    album="Synthetic Sessions",
    track="3",
    isrc="USRC17607839",
    label="Lavfi Records",
    comment="generated for tests",
)


def make_audio(
    path: Path,
    *,
    seconds: float = 4.0,
    rate: int = 48000,
    channels: int = 2,
    codec_args: tuple[str, ...] = ("-c:a", "pcm_s24le"),
    tone_hz: int = 440,
) -> Path:
    """Pink noise + a tone (noise keeps VBR-ish encoders near their target bitrate)."""
    layout = {1: "mono", 2: "stereo", 6: "5.1"}[channels]
    graph = (
        f"anoisesrc=d={seconds}:c=pink:a=0.25:r={rate}:seed=7[n];"
        f"sine=f={tone_hz}:d={seconds}:r={rate}[s];"
        f"[n][s]amix=inputs=2,aformat=channel_layouts={layout}"
    )
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-y", "-filter_complex", graph,
         *codec_args, str(path)],
        check=True,
    )  # fmt: skip
    return path


def music(seconds: float, rate: int = 44100, seed: int = 1) -> np.ndarray:
    """Synthetic music (stereo float): chords of harmonic notes with decays, hi-hats and a
    quiet noise floor (room tone); different seeds are different recordings."""
    rng = np.random.default_rng(seed)
    n = int(seconds * rate)
    out = rng.normal(0, 0.002, (2, n))
    scale = 110.0 * 2 ** (np.array([0, 2, 3, 5, 7, 8, 10]) / 12)
    beat = int(rate * rng.uniform(0.2, 0.35))
    for start in range(0, n, beat):
        length = min(n - start, beat * int(rng.integers(1, 5)))
        t = np.arange(length) / rate
        for root in rng.choice(scale, size=int(rng.integers(1, 4))):
            f = root * rng.choice([1, 2, 4])
            note = sum(np.sin(2 * np.pi * f * k * t) / k**1.2 for k in range(1, 9) if f * k < 15000)
            note *= np.exp(-t * rng.uniform(1.5, 6)) * 0.15
            pan = rng.uniform(0.2, 0.8)
            out[0, start : start + length] += note * pan
            out[1, start : start + length] += note * (1 - pan)
        hat = min(n - start, rate // 30)
        out[:, start : start + hat] += rng.normal(0, 0.04, (2, hat)) * np.exp(
            -np.arange(hat) / (rate / 300)
        )
    return out / np.max(np.abs(out)) * 0.9


def write_music(path: Path, seconds: float, *, seed: int = 1, rate: int = 44100) -> Path:
    """A 24-bit WAV of `music` (encoded by ffmpeg from float PCM)."""
    from workers.audio.pcm import write_pcm

    return write_pcm(path, music(seconds, rate, seed), rate)


def cover_jpeg() -> bytes:
    """A small gradient cover (numpy + Pillow)."""
    x = np.linspace(0, 255, 96, dtype=np.uint8)
    pixels = np.stack(np.broadcast_arrays(x[None, :], x[:, None], 128 * np.ones((96, 96))), -1)
    buffer = io.BytesIO()
    Image.fromarray(pixels.astype(np.uint8)).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()
