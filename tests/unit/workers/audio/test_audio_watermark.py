"""Invisible payload survives MP3 128k on a 30 s excerpt; unmarked audio reports nothing.
The audible trial tag lands where and as loud as asked."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest
from audio_media import music, write_music

from stacks.settings import AudioSettings
from workers.audio.pcm import read_pcm
from workers.audio.watermark import coding
from workers.audio.watermark.audible import chime, mix_tags, trial_preview
from workers.audio.watermark.payload import (
    MIN_CONFIDENCE,
    detect_file,
    embed_file,
    user_payload,
)

SETTINGS = AudioSettings(watermark_key="test-watermark-key")


def mp3_excerpt(src: Path, dst: Path, start: float, seconds: float = 30.0) -> Path:
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-ss", str(start), "-i", str(src), "-t", str(seconds),
         "-c:a", "libmp3lame", "-b:a", "128k", str(dst)],
        check=True,
    )  # fmt: skip
    return dst


@pytest.fixture(scope="module")
def master(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_music(tmp_path_factory.mktemp("wm") / "master.wav", 38.0, seed=11)


@pytest.fixture(scope="module")
def payload() -> bytes:
    return user_payload(SETTINGS.watermark_key, "user-42", "track-7")


@pytest.fixture(scope="module")
def marked(master: Path, payload: bytes) -> Path:
    return embed_file(master, master.with_name("marked.wav"), payload, SETTINGS)


def test_user_payload_is_32_bits_and_user_specific() -> None:
    a = user_payload("k" * 16, "user-1", "track-1")
    assert len(a) == 4
    assert a == user_payload("k" * 16, "user-1", "track-1")
    assert a != user_payload("k" * 16, "user-2", "track-1")
    assert a != user_payload("k" * 16, "user-1", "track-2")


def test_code_corrects_scattered_errors_and_crc_rejects_garbage() -> None:
    coded = coding.encode(b"\xde\xad\xbe\xef").astype(float) * 2 - 1
    damaged = coded.copy()
    damaged[::12] *= -1  # 8 of 96 code bits flipped, spread out
    payload, corrected = coding.decode_soft(damaged)
    assert payload == b"\xde\xad\xbe\xef" and corrected == 8
    rng = np.random.default_rng(3)
    assert all(coding.decode_soft(rng.normal(size=coded.size))[0] is None for _ in range(20))


def test_marked_master_is_near_transparent(master: Path, marked: Path) -> None:
    original, _ = read_pcm(master)
    watermarked, _ = read_pcm(marked)
    noise = watermarked - original
    snr_db = 10 * np.log10(np.sum(original**2) / np.sum(noise**2))
    # band gains move by at most `strength`, so the change stays that far below the music
    assert snr_db > -20 * np.log10(SETTINGS.watermark_strength) - 1


@pytest.mark.parametrize("start", [0.0, 5.37])
def test_payload_survives_mp3_128k_excerpt(
    marked: Path, payload: bytes, tmp_path: Path, start: float
) -> None:
    excerpt = mp3_excerpt(marked, tmp_path / "copy.mp3", start)
    detection = detect_file(excerpt, SETTINGS)
    assert detection.payload == payload
    assert detection.confidence >= MIN_CONFIDENCE
    raw_errors = np.sum((detection.soft_bits > 0) != coding.encode(payload).astype(bool))
    assert raw_errors <= 12


def test_unmarked_audio_reports_no_payload(master: Path, tmp_path: Path) -> None:
    detection = detect_file(mp3_excerpt(master, tmp_path / "clean.mp3", 2.0), SETTINGS)
    assert detection.payload is None
    assert detection.confidence < MIN_CONFIDENCE


def test_wrong_key_finds_nothing(marked: Path, tmp_path: Path) -> None:
    other = AudioSettings(watermark_key="someone-elses-key")
    assert detect_file(mp3_excerpt(marked, tmp_path / "c.mp3", 1.0), other).payload is None


def test_too_short_excerpt_reports_nothing(marked: Path, tmp_path: Path) -> None:
    detection = detect_file(mp3_excerpt(marked, tmp_path / "short.mp3", 0.0, 8.0), SETTINGS)
    assert detection.payload is None


def test_audible_tag_is_mixed_at_intervals_and_level() -> None:
    rate = 22050
    audio = music(10.0, rate, seed=5)
    mixed, times = mix_tags(audio, rate, interval_seconds=4.0, gain_db=-6.0)
    assert times == [2.0, 6.0]
    added = mixed - audio
    tag = chime(rate)
    for time in times:
        start = int(time * rate)
        segment = added[0, start : start + tag.size]
        expected = tag * np.max(np.abs(audio)) * 10 ** (-6 / 20)
        np.testing.assert_allclose(segment, expected, atol=1e-9)
    untouched = np.ones(audio.shape[-1], dtype=bool)
    for time in times:
        untouched[int(time * rate) : int(time * rate) + tag.size] = False
    assert np.all(added[:, untouched] == 0)


def test_trial_preview_file_is_louder_only_at_the_tags(master: Path, tmp_path: Path) -> None:
    dst = tmp_path / "preview.wav"
    times = trial_preview(master, dst, interval_seconds=10.0, gain_db=-3.0)
    assert times == [5.0, 15.0, 25.0, 35.0]
    original, rate = read_pcm(master)
    preview, _ = read_pcm(dst)
    difference = np.abs(preview - original).max(axis=0)
    assert difference[int(5.1 * rate)] > 0.05
    assert difference[int(10.0 * rate)] < 1e-4


@pytest.mark.parametrize("rate", [44100, 48000, 96000])
def test_streaming_stft_reconstructs_exactly_with_unit_gains(rate: int) -> None:
    from workers.audio.watermark.payload import _modulate

    samples = np.random.default_rng(rate).normal(0, 0.1, rate * 3 + 17)
    bins = 2049 if rate > 48000 else 1025
    restored = _modulate(samples, rate, lambda times: np.ones((times.size, bins)))
    np.testing.assert_allclose(restored, samples, atol=1e-12)
