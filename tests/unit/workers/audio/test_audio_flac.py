"""Stems are stored as bit-exact FLAC, proven by a decoded-PCM md5 at the source depth."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from audio_media import make_audio

from workers.audio.ffmpeg import UnsupportedMediaError
from workers.audio.flac import encode_flac


def pcm_md5(path: Path, codec: str) -> str:
    out = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(path), "-map", "0:a:0", "-c:a", codec,
         "-f", "md5", "-"],
        capture_output=True, check=True,
    )  # fmt: skip
    return out.stdout.decode().strip()


@pytest.mark.parametrize(
    ("name", "codec_args", "bits", "pcm"),
    [
        ("s24.wav", ("-c:a", "pcm_s24le"), 24, "pcm_s24le"),
        ("s16.wav", ("-c:a", "pcm_s16le"), 16, "pcm_s16le"),
        ("s24.aiff", ("-c:a", "pcm_s24be"), 24, "pcm_s24le"),
    ],
)
def test_flac_is_bit_exact_at_source_depth(
    tmp_path: Path, name: str, codec_args: tuple[str, ...], bits: int, pcm: str
) -> None:
    src = make_audio(tmp_path / name, seconds=2.0, codec_args=codec_args)
    result = encode_flac(src, tmp_path / "stem.flac")
    assert result.bits == bits
    assert pcm_md5(result.path, pcm) == pcm_md5(src, pcm)
    assert result.pcm_md5 in pcm_md5(src, pcm)


def test_24_bit_check_sees_what_a_16_bit_hash_misses(tmp_path: Path) -> None:
    src = make_audio(tmp_path / "s24.wav", seconds=1.0)
    lossy16 = tmp_path / "s16.flac"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(src), "-c:a", "flac", "-sample_fmt", "s16",
         str(lossy16)],
        check=True,
    )  # fmt: skip
    assert pcm_md5(lossy16, "pcm_s16le") == pcm_md5(src, "pcm_s16le")
    assert pcm_md5(lossy16, "pcm_s24le") != pcm_md5(src, "pcm_s24le")


@pytest.mark.parametrize(
    ("name", "codec_args", "reason"),
    [
        ("lossy.mp3", ("-c:a", "libmp3lame"), "lossy"),
        ("float.wav", ("-c:a", "pcm_f32le"), "floating-point"),
    ],
)
def test_non_lossless_stems_are_refused(
    tmp_path: Path, name: str, codec_args: tuple[str, ...], reason: str
) -> None:
    src = make_audio(tmp_path / name, seconds=1.0, codec_args=codec_args)
    with pytest.raises(UnsupportedMediaError, match=reason):
        encode_flac(src, tmp_path / "stem.flac")
    assert not (tmp_path / "stem.flac").exists()
