"""Fixtures for the audio job against the moto server: buckets, a tagged master, a context."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from stacks.settings import AudioSettings, Settings
from workers.audio.tags import Cover, Tags, write_tags
from workers.jobs import JobContext


def make_master(path: Path, seconds: float, codec_args: tuple[str, ...]) -> Path:
    graph = (
        f"anoisesrc=d={seconds}:c=pink:a=0.25:r=48000:seed=3[n];"
        f"sine=f=523:d={seconds}:r=48000[s];[n][s]amix=inputs=2,aformat=channel_layouts=stereo"
    )
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-y", "-filter_complex", graph, *codec_args,
         str(path)],
        check=True,
    )  # fmt: skip
    return path


@pytest.fixture
def audio_settings(local_settings: Settings) -> Settings:
    """The local stack with a 5 s HLS threshold so a 12 s clip gets HLS, and a short ladder
    (the full nine-variant ladder is covered by the unit tests) to keep the jobs quick."""
    audio = AudioSettings(
        hls_min_duration_seconds=5,
        parallel_encodes=2,
        lossy_policy={"track": ("mp3-128", "ogg-128", "m4a-128", "m4a-256"), "stem": ()},
    )
    return local_settings.model_copy(update={"audio": audio})


@pytest.fixture
def buckets(s3, audio_settings: Settings) -> dict[str, str]:  # type: ignore[no-untyped-def]
    names = {role: audio_settings.bucket_name(role) for role in ("masters", "derivatives")}
    existing = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
    for name in names.values():
        if name not in existing:
            s3.create_bucket(Bucket=name)
    return names


@pytest.fixture
def master_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("src") / "master.flac"
    make_master(path, 12.0, ("-c:a", "flac", "-sample_fmt", "s32"))
    write_tags(path, Tags(title="Job Song", artist="Moto", isrc="GBAYE0000001",
                          cover=Cover(b"\x89PNG\r\n\x1a\n" + b"0" * 64, "image/png")))  # fmt: skip
    return path


@pytest.fixture
def make_context(s3, audio_settings: Settings, tmp_path: Path):  # type: ignore[no-untyped-def]
    counter = iter(range(1000))

    def build(client=None) -> JobContext:  # type: ignore[no-untyped-def]
        scratch = tmp_path / f"scratch-{next(counter)}"
        scratch.mkdir()
        return JobContext(settings=audio_settings, s3=client or s3, scratch=scratch)

    return build
