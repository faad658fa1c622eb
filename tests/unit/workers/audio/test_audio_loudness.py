"""EBU R128 loudness of a known signal, and corrupt/truncated masters rejected by the decode."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from audio_media import make_audio
from scipy.io import wavfile

from stacks.settings import AudioSettings
from workers.audio.ffmpeg import UnsupportedMediaError
from workers.audio.loudness import measure
from workers.audio.render import render


def test_stereo_1khz_sine_at_minus_20_dbfs(tmp_path: Path) -> None:
    rate = 48000
    t = np.arange(5 * rate) / rate
    sine = 0.1 * np.sin(2 * np.pi * 997 * t)  # -20 dBFS peak
    src = tmp_path / "sine.wav"
    wavfile.write(src, rate, np.stack([sine, sine], axis=1).astype(np.float32))
    loud = measure(src)
    # EBU Tech 3341: a 1 kHz sine on both channels reads its peak level in LUFS.
    assert loud.integrated_lufs == pytest.approx(-20.0, abs=0.2)
    assert loud.true_peak_dbtp == pytest.approx(-20.0, abs=0.2)
    assert loud.replaygain_gain_db == pytest.approx(2.0, abs=0.2)
    assert loud.replaygain_tags()["REPLAYGAIN_TRACK_GAIN"].endswith(" dB")


def test_garbage_is_unsupported(tmp_path: Path) -> None:
    src = tmp_path / "noise.wav"
    src.write_bytes(b"RIFF" + bytes(range(256)) * 64)
    with pytest.raises(UnsupportedMediaError):
        render(src, tmp_path / "out", AudioSettings(), "track")


def test_text_file_is_unsupported(tmp_path: Path) -> None:
    src = tmp_path / "notes.mp3"
    src.write_text("not audio at all\n" * 100)
    with pytest.raises(UnsupportedMediaError):
        render(src, tmp_path / "out", AudioSettings(), "track")


@pytest.mark.parametrize(
    ("name", "codec_args"),
    [("t.wav", ("-c:a", "pcm_s24le")), ("t.mp3", ("-c:a", "libmp3lame", "-b:a", "128k"))],
)
def test_truncated_master_is_rejected(
    tmp_path: Path, name: str, codec_args: tuple[str, ...]
) -> None:
    src = make_audio(tmp_path / name, seconds=4.0, codec_args=codec_args)
    data = src.read_bytes()
    src.write_bytes(data[: len(data) // 2])
    settings = AudioSettings(lossy_policy={"track": ("mp3-128",)})
    with pytest.raises(UnsupportedMediaError, match=r"truncated|corrupt"):
        render(src, tmp_path / "out", settings, "track")
