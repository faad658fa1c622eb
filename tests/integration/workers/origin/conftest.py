"""A derivatives bucket on the session's moto server holding one generated premium MP3."""

from __future__ import annotations

import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

from stacks.settings import BucketRole, Settings

TRACK_SECONDS = 24
"""One watermark period is 17.8 s; 24 s leave margin for the detector's offset search."""


@dataclass(frozen=True)
class PremiumTrack:
    s3: Any
    bucket: str
    key: str
    track_id: str
    original: bytes


def generate_mp3(path: Path, seconds: int = TRACK_SECONDS, kbps: int = 128) -> Path:
    """Pink noise under a tone chord, stereo 44.1 kHz, tagged, as a CBR MP3."""
    argv = [
        "ffmpeg", "-nostdin", "-v", "error", "-y",
        "-f", "lavfi", "-i", f"anoisesrc=d={seconds}:c=pink:r=44100:a=0.25",
        "-f", "lavfi", "-i", f"sine=f=330:d={seconds}:r=44100",
        "-f", "lavfi", "-i", f"sine=f=495:d={seconds}:r=44100",
        "-filter_complex", "[0][1][2]amix=inputs=3,aformat=channel_layouts=stereo",
        "-c:a", "libmp3lame", "-b:a", f"{kbps}k", "-id3v2_version", "3",
        "-metadata", "title=Fingerprint Test", "-metadata", "artist=media-infra",
        str(path),
    ]  # fmt: skip
    result = subprocess.run(argv, capture_output=True, check=False)
    assert result.returncode == 0, result.stderr.decode()[-500:]
    return path


@pytest.fixture(scope="session")
def track_mp3(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate_mp3(tmp_path_factory.mktemp("origin-track") / "mp3-128.mp3")


@pytest.fixture
def premium_track(moto_endpoint: str, local_settings: Settings, track_mp3: Path) -> PremiumTrack:
    """A fresh bucket with the track stored as a premium MP3 derivative."""
    s3 = boto3.client(
        "s3",
        endpoint_url=moto_endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    bucket = f"{local_settings.bucket_name(BucketRole.DERIVATIVES)}-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    track_id = uuid.uuid4().hex
    key = f"premium/{track_id}/v1/mp3-128.mp3"
    original = track_mp3.read_bytes()
    s3.put_object(Bucket=bucket, Key=key, Body=original, ContentType="audio/mpeg")
    return PremiumTrack(s3, bucket, key, track_id, original)
