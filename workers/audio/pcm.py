"""Audio as numpy arrays: decode any file to float32 PCM and encode arrays back, via ffmpeg."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from workers.audio.ffmpeg import BITEXACT_ARGS, ffmpeg

OUTPUT_CODECS: dict[str, tuple[str, ...]] = {
    ".wav": ("-c:a", "pcm_s24le"),
    ".flac": ("-c:a", "flac", "-sample_fmt", "s32"),
    ".aiff": ("-c:a", "pcm_s24be"),
    ".mp3": ("-c:a", "libmp3lame", "-b:a", "320k"),
    ".ogg": ("-c:a", "libvorbis", "-b:a", "320k"),
    ".m4a": ("-c:a", "aac", "-b:a", "256k", "-aac_ms", "0"),
}
"""How an array is written, by the output's extension (lossless at 24 bits where possible)."""


def read_pcm(path: Path, *, rate: int | None = None, mono: bool = False) -> tuple[np.ndarray, int]:
    """Decode the first audio stream to float32, shape (channels, samples); returns (audio, rate).

    `rate` resamples; `mono` downmixes. Without `rate` the source rate is kept (probed).
    """
    args: list[str] = ["-v", "error", "-i", str(path), "-map", "0:a:0"]
    if mono:
        args += ["-ac", "1"]
    if rate:
        args += ["-ar", str(rate)]
    channels, out_rate = _layout(path, rate, mono)
    proc = ffmpeg(*args, "-f", "f32le", "-c:a", "pcm_f32le", "-")
    audio = np.frombuffer(proc.stdout, dtype="<f4")
    frames = audio.size // channels
    return audio[: frames * channels].reshape(frames, channels).T.copy(), out_rate


def _layout(path: Path, rate: int | None, mono: bool) -> tuple[int, int]:
    from workers.audio.probe import probe  # local import keeps this module light for tests

    info = probe(path)
    return (1 if mono else info.channels), (rate or info.sample_rate)


def write_pcm(path: Path, audio: np.ndarray, rate: int) -> Path:
    """Encode a (channels, samples) float array to `path`, the codec chosen by its extension."""
    codec = OUTPUT_CODECS.get(path.suffix.lower())
    if codec is None:
        raise ValueError(f"{path.name}: cannot write {path.suffix!r} (use {sorted(OUTPUT_CODECS)})")
    audio = np.atleast_2d(np.asarray(audio, dtype=np.float32))
    interleaved = np.clip(audio, -1.0, 1.0).T.astype("<f4").tobytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    ffmpeg(
        "-f", "f32le", "-ar", str(rate), "-ac", str(audio.shape[0]), "-i", "pipe:0",
        *codec, *BITEXACT_ARGS, path, stdin=interleaved,
    )  # fmt: skip
    return path
