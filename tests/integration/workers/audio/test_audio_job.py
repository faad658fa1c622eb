"""The audio job against a real moto server: committed manifest, idempotent re-runs, typed
failures, and no manifest when an attempt dies half-way."""

from __future__ import annotations

import hashlib
import json
import uuid
from pathlib import Path
from unittest.mock import patch

import pytest
from botocore.exceptions import EndpointConnectionError

from workers.audio import ffmpeg as ffmpeg_module
from workers.audio.job import handle
from workers.audio.ladder import ladder
from workers.errors import PermanentJobError, TransientJobError
from workers.jobs import JobMessage

pytestmark = pytest.mark.integration


def job_for(buckets: dict[str, str], key: str, role: str = "track", prefix: str = "") -> JobMessage:
    return JobMessage.model_validate(
        {
            "job_id": f"job-{uuid.uuid4().hex[:8]}",
            "kind": "audio",
            "role": role,
            "source": {"bucket": buckets["masters"], "key": key},
            "output": {"bucket": buckets["derivatives"], "prefix": prefix or f"audio/{key}"},
        }
    )


def keys_under(s3, bucket: str, prefix: str) -> set[str]:  # type: ignore[no-untyped-def]
    paginator = s3.get_paginator("list_objects_v2")
    return {
        obj["Key"]
        for page in paginator.paginate(Bucket=bucket, Prefix=prefix)
        for obj in page.get("Contents", [])
    }


@pytest.fixture
def uploaded(s3, buckets: dict[str, str], master_file: Path) -> str:  # type: ignore[no-untyped-def]
    key = f"tracks/{uuid.uuid4().hex[:8]}/master.flac"
    s3.upload_file(str(master_file), buckets["masters"], key)
    return key


def test_track_job_commits_outputs_and_manifest(s3, buckets, uploaded, make_context) -> None:  # type: ignore[no-untyped-def]
    job = job_for(buckets, uploaded)
    ctx = make_context()
    result = handle(job, ctx)
    bucket = buckets["derivatives"]
    stored = json.loads(s3.get_object(Bucket=bucket, Key=result["manifest_key"])["Body"].read())
    assert stored["version"] == result["version"]
    variants = [o for o in stored["outputs"] if o["kind"] == "variant"]
    expected = {v.name for v in ladder(ctx.settings.audio, "track")}
    assert {Path(o["key"]).stem for o in variants} == expected
    assert stored["hls_master"].endswith("hls/master.m3u8")
    for entry in stored["outputs"]:
        body = s3.get_object(Bucket=bucket, Key=entry["key"])["Body"].read()
        assert len(body) == entry["size"]
        assert hashlib.sha256(body).hexdigest() == entry["sha256"]
    for entry in variants:
        assert entry["codec"] in ("mp3", "vorbis", "aac") and entry["bitrate_kbps"] in (
            128,
            256,
            320,
        )
        assert abs(entry["duration_seconds"] - 12.0) < 0.05
    listed = keys_under(s3, bucket, f"audio/{uploaded}/")
    assert listed == {o["key"] for o in stored["outputs"]} | {result["manifest_key"]}
    assert stored["loudness"]["integrated_lufs"] < 0
    assert stored["tags"]["isrc"] == "GBAYE0000001"


def test_rerun_yields_the_same_keys_and_no_duplicates(s3, buckets, uploaded, make_context) -> None:  # type: ignore[no-untyped-def]
    first = handle(job_for(buckets, uploaded), make_context())
    listed = keys_under(s3, buckets["derivatives"], f"audio/{uploaded}/")
    second = handle(job_for(buckets, uploaded), make_context())
    assert second["reused"] is True
    assert [o["key"] for o in second["outputs"]] == [o["key"] for o in first["outputs"]]
    assert keys_under(s3, buckets["derivatives"], f"audio/{uploaded}/") == listed


def test_rerun_after_a_lost_manifest_rewrites_identical_bytes(
    s3, buckets, uploaded, make_context
) -> None:  # type: ignore[no-untyped-def]
    first = handle(job_for(buckets, uploaded), make_context())
    s3.delete_object(Bucket=buckets["derivatives"], Key=first["manifest_key"])
    second = handle(job_for(buckets, uploaded), make_context())
    assert second["reused"] is False
    assert [(o["key"], o["sha256"]) for o in second["outputs"]] == [
        (o["key"], o["sha256"]) for o in first["outputs"]
    ]


def test_attempt_dying_mid_upload_commits_nothing(s3, buckets, uploaded, make_context) -> None:  # type: ignore[no-untyped-def]
    ctx = make_context()
    real_upload = s3.upload_file
    calls = {"n": 0}

    def flaky_upload(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 5:
            raise EndpointConnectionError(endpoint_url="http://127.0.0.1:1")
        return real_upload(*args, **kwargs)

    with (
        patch.object(s3, "upload_file", side_effect=flaky_upload),
        pytest.raises(TransientJobError),
    ):
        handle(job_for(buckets, uploaded), ctx)
    manifest_key = f"audio/{uploaded}/manifest.json"
    assert manifest_key not in keys_under(s3, buckets["derivatives"], f"audio/{uploaded}/")
    result = handle(job_for(buckets, uploaded), make_context())
    assert result["reused"] is False
    listed = keys_under(s3, buckets["derivatives"], f"audio/{uploaded}/")
    assert listed == {o["key"] for o in result["outputs"]} | {manifest_key}


def test_stem_job_stores_verified_flac(s3, buckets, uploaded, make_context) -> None:  # type: ignore[no-untyped-def]
    result = handle(job_for(buckets, uploaded, role="stem", prefix="stems/x"), make_context())
    assert [o["kind"] for o in result["outputs"]] == ["stem"]
    assert result["outputs"][0]["key"].endswith("/stem.flac")
    assert result["lossless"]["bits"] == 24


def test_corrupt_source_is_permanent(s3, buckets, make_context) -> None:  # type: ignore[no-untyped-def]
    s3.put_object(Bucket=buckets["masters"], Key="bad/master.wav", Body=b"RIFF" + b"\x00junk" * 500)
    with pytest.raises(PermanentJobError, match=r"master\.wav"):
        handle(job_for(buckets, "bad/master.wav"), make_context())
    assert not keys_under(s3, buckets["derivatives"], "audio/bad/")


def test_missing_source_is_permanent(buckets, make_context) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(PermanentJobError, match="does not exist"):
        handle(job_for(buckets, "nope/missing.wav"), make_context())


def test_unreachable_s3_is_transient(s3, buckets, uploaded, make_context) -> None:  # type: ignore[no-untyped-def]
    error = EndpointConnectionError(endpoint_url="http://127.0.0.1:1")
    with patch.object(s3, "download_file", side_effect=error), pytest.raises(TransientJobError):
        handle(job_for(buckets, uploaded), make_context())


def test_ffmpeg_killed_by_a_signal_is_transient(buckets, uploaded, make_context) -> None:  # type: ignore[no-untyped-def]
    killed = ffmpeg_module.ToolKilledError(["ffmpeg"], -9, "")
    with patch.object(ffmpeg_module, "run", side_effect=killed), pytest.raises(TransientJobError):
        handle(job_for(buckets, uploaded), make_context())
