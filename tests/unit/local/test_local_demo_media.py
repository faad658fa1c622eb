"""The demo's generated samples: tagged tracks with a cover, stems, the EICAR file."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

from local.demo_media import generate

EICAR_SHA256 = "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f"


def _probe(path: Path) -> dict:  # type: ignore[type-arg]
    result = subprocess.run(
        [
            "ffprobe",
            "-v",
            "error",
            "-print_format",
            "json",
            "-show_format",
            "-show_streams",
            str(path),
        ],
        capture_output=True,
        check=True,
    )
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_samples_are_what_the_demo_needs(tmp_path: Path) -> None:
    media = generate(tmp_path, track_seconds=4.0, stem_seconds=1.0)
    first, second = (_probe(path) for path in media.tracks)
    assert float(first["format"]["duration"]) == 4.0
    assert float(second["format"]["duration"]) == 9.0  # each track 5 s longer than the last
    tags = {k.lower(): v for k, v in first["format"]["tags"].items()}
    assert tags["title"] == "First Light" and tags["artist"] == "media-infra demo"
    audio, picture = first["streams"]
    assert (audio["codec_name"], audio["channels"], audio["sample_rate"]) == ("flac", 2, "44100")
    assert picture["disposition"]["attached_pic"] == 1
    assert (
        hashlib.sha256(media.tracks[0].read_bytes()).digest()
        != hashlib.sha256(media.tracks[1].read_bytes()).digest()
    )
    for stem in media.stems:
        assert _probe(stem)["streams"][0]["codec_name"] == "pcm_s16le"
    assert hashlib.sha256(media.eicar.read_bytes()).hexdigest() == EICAR_SHA256
    assert _probe(media.cover)["streams"][0]["width"] == 1400
