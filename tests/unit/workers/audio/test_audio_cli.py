"""`mediainfra audio ...` end to end through the real entry point (subprocesses)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from audio_media import write_music

from workers.audio.watermark.payload import MIN_CONFIDENCE

STACK_ARGS = ("--stack", "local")


def mediainfra(*args: str | Path) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-c", "from mediainfra.cli import main; main()", "audio",
            *(str(a) for a in args)]  # fmt: skip
    return subprocess.run(argv, capture_output=True, text=True, check=False, timeout=300)


@pytest.fixture(scope="module")
def song(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_music(tmp_path_factory.mktemp("cli") / "song.wav", 32.0, seed=21)


def test_transcode_writes_variants_and_manifest(tagged_master: Path, tmp_path: Path) -> None:
    result = mediainfra("transcode", tagged_master, "--out", tmp_path / "out", *STACK_ARGS)
    assert result.returncode == 0, result.stderr
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    variants = [o for o in manifest["outputs"] if o["kind"] == "variant"]
    assert len(variants) == 9
    assert all((tmp_path / "out" / o["key"]).is_file() for o in manifest["outputs"])
    assert manifest["hls_master"] is None  # 12 s is below the local stack's 180 s threshold


def test_transcode_rejects_bad_input_with_one_line(tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.wav"
    bogus.write_bytes(b"RIFF....WAVEfmt " + b"\x00" * 100)
    result = mediainfra("transcode", bogus, "--out", tmp_path / "out", *STACK_ARGS)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: bogus.wav")


def test_watermark_embed_then_detect_after_mp3(song: Path, tmp_path: Path) -> None:
    marked = tmp_path / "marked.wav"
    embedded = mediainfra("watermark", "embed", song, "--payload", "C0FFEE42", "--out", marked)
    assert embedded.returncode == 0, embedded.stderr
    copy = tmp_path / "copy.mp3"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(marked), "-b:a", "128k", str(copy)], check=True
    )
    detected = mediainfra("watermark", "detect", copy)
    assert detected.returncode == 0, detected.stderr
    report = json.loads(detected.stdout)
    assert report["payload"] == "c0ffee42" and report["confidence"] >= MIN_CONFIDENCE


def test_watermark_detect_exits_1_on_unmarked_audio(song: Path) -> None:
    detected = mediainfra("watermark", "detect", song)
    assert detected.returncode == 1
    assert json.loads(detected.stdout)["payload"] is None


def test_watermark_embed_rejects_a_bad_payload(song: Path, tmp_path: Path) -> None:
    result = mediainfra("watermark", "embed", song, "--payload", "xyz", "--out", tmp_path / "o.wav")
    assert result.returncode == 1 and "not hexadecimal" in result.stderr
    assert not (tmp_path / "o.wav").exists()


def test_fingerprint_and_loudness(song: Path, tmp_path: Path) -> None:
    printed = mediainfra("fingerprint", song)
    assert printed.returncode == 0, printed.stderr
    assert len(json.loads(printed.stdout)["fingerprint"]) > 100
    copy = tmp_path / "copy.ogg"
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(song), str(copy)], check=True)
    compared = json.loads(mediainfra("fingerprint", song, "--compare", copy).stdout)
    assert compared["near_duplicate"] is True
    loud = mediainfra("loudness", song)
    assert loud.returncode == 0
    assert json.loads(loud.stdout)["integrated_lufs"] < 0


def test_transcode_stem_role_writes_only_flac(tmp_path: Path, song: Path) -> None:
    result = mediainfra(
        "transcode", song, "--out", tmp_path / "o", "--stack", "dev", "--role", "stem"
    )
    assert result.returncode == 0, result.stderr
    manifest = json.loads((tmp_path / "o" / "manifest.json").read_text())
    assert [o["key"] for o in manifest["outputs"]] == ["stem.flac"]
