"""The declared role routes an upload: uploads API -> incoming -> scan -> dedup -> queue.

Real servers: the uploads API (uvicorn), moto (S3, SQS, SNS, DynamoDB) and clamd.
"""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from PIL import Image
from pipeline_harness import Pipeline, UploadsApi, wav_bytes

from workers.jobs import JobMessage
from workers.pipeline.consumer import Outcome
from workers.runner import build_consumer
from workers.uploads.client import upload_file

pytestmark = pytest.mark.integration


def png_bytes(width: int = 300, height: int = 200) -> bytes:
    ramp = np.linspace(0, 255, width * height * 3).reshape(height, width, 3).astype("uint8")
    out = io.BytesIO()
    Image.fromarray(ramp).save(out, format="PNG")
    return out.getvalue()


def run_scans(p: Pipeline) -> list[tuple[Outcome, dict[str, Any]]]:
    """Run the scan jobs waiting on the queue: (first outcome, job record) per distinct job.

    moto announces a completed multipart upload twice (`Put` and `CompleteMultipartUpload`,
    same object and ETag: one job id), so the second delivery is a duplicate.
    """
    consumer = build_consumer(p.settings, "scan", clients=p.clients, wait_seconds=0)
    done: dict[str, tuple[Outcome, dict[str, Any]]] = {}
    for body in p.drain("scan"):
        for job in consumer.parse(json.dumps(body)):
            outcome = consumer.run_job(job, 1)
            record = consumer.records.get(job.job_id)
            assert record is not None
            done.setdefault(job.job_id, (outcome, record))
    return list(done.values())


def uppy_upload(api: UploadsApi, user: str, filename: str, data: bytes, **meta: str) -> str:
    """Uppy's `@uppy/aws-s3` multipart flow by hand (`metadata` carries the file's meta)."""
    headers = {"Authorization": f"Bearer {api.token(user)}"}
    with httpx.Client(base_url=api.url, headers=headers, timeout=30) as client:
        created = client.post(
            "/s3/multipart",
            json={"filename": filename, "type": "image/png", "metadata": {"name": filename, **meta},
                  "size": len(data)},
        )  # fmt: skip
        assert created.status_code == 200, created.text
        upload_id, key = created.json()["uploadId"], created.json()["key"]
        signed = client.get(f"/s3/multipart/{upload_id}/1", params={"key": key}).json()
        etag = httpx.put(signed["url"], content=data).headers["etag"]
        completed = client.post(
            f"/s3/multipart/{upload_id}/complete",
            params={"key": key},
            json={"parts": [{"PartNumber": 1, "ETag": etag}]},
        )
        assert completed.status_code == 200, completed.text
    return str(key)


def test_a_stem_uploaded_through_the_api_is_stored_as_a_stem_and_queued_for_flac(
    pipeline: Pipeline, uploads_api: UploadsApi, tmp_path: Path
) -> None:
    data = wav_bytes(freq=330.0)
    path = tmp_path / "bass.wav"  # by its extension alone, a track
    path.write_bytes(data)

    result = upload_file(
        path,
        endpoint=uploads_api.url,
        token=uploads_api.token("artist-1"),
        progress=False,
        state_dir=tmp_path / "state",
        role="stem",
    )

    assert result.role == "stem"
    head = pipeline.clients.s3.head_object(Bucket=pipeline.bucket("incoming"), Key=result.key)
    assert head["Metadata"]["role"] == "stem"
    [(outcome, record)] = run_scans(pipeline)
    assert outcome is Outcome.DONE
    assert (record["result"]["role"], record["result"]["role_source"]) == ("stem", "declared")
    sha = hashlib.sha256(data).hexdigest()
    assert pipeline.keys("stems") == [f"sha256/{sha[:2]}/{sha}"]
    assert pipeline.keys("masters") == []
    [job] = [JobMessage.model_validate(b) for b in pipeline.drain("audio")]
    assert (job.kind, job.role, job.source.bucket) == ("audio", "stem", pipeline.bucket("stems"))
    assert job.output is not None
    assert (job.output.bucket, job.output.prefix) == (pipeline.bucket("stems"), f"flac/{sha}/")
    assert pipeline.drain("image") == []


def test_a_cover_declared_in_uppy_metadata_goes_to_the_image_worker(
    pipeline: Pipeline, uploads_api: UploadsApi
) -> None:
    data = png_bytes()
    # user "tracks": the key's first folder would make a guess say "track"
    key = uppy_upload(uploads_api, "tracks", "front.png", data, role="cover")

    head = pipeline.clients.s3.head_object(Bucket=pipeline.bucket("incoming"), Key=key)
    assert head["Metadata"]["role"] == "cover"
    [(outcome, record)] = run_scans(pipeline)
    assert outcome is Outcome.DONE
    assert (record["result"]["role"], record["result"]["role_source"]) == ("cover", "declared")
    sha = hashlib.sha256(data).hexdigest()
    assert pipeline.keys("masters") == [f"sha256/{sha[:2]}/{sha}"]
    assert pipeline.drain("audio") == []
    [body] = pipeline.drain("image")
    job = JobMessage.model_validate(body)
    assert (job.kind, job.role, job.content_hash) == ("image", "cover", sha)

    pipeline.clients.sqs.send_message(
        QueueUrl=pipeline.queues["image"], MessageBody=json.dumps(body)
    )
    images = build_consumer(pipeline.settings, "image", clients=pipeline.clients, wait_seconds=0)
    assert images.run(once=True) == {"done": 1}
    published = pipeline.keys("derivatives")
    assert f"images/{sha}/manifest.json" in published
    assert f"images/{sha}/{sha}-full.webp" in published


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"filename": "a.wav", "role": "vocals"}, 400, "invalid_role"),
        ({"filename": "a.wav", "metadata": {"role": "STEM"}}, 400, "invalid_role"),
        ({"filename": "a.wav", "role": "cover"}, 400, "role_mismatch"),
        ({"filename": "a.mp3", "metadata": {"role": "stem"}}, 400, "role_mismatch"),
        ({"filename": "front.png"}, 400, "role_mismatch"),  # Uppy sent no role: a track
    ],
)
def test_a_bad_role_is_refused_and_nothing_is_created(
    pipeline: Pipeline, uploads_api: UploadsApi, body: dict[str, Any], status: int, code: str
) -> None:
    headers = {"Authorization": f"Bearer {uploads_api.token('artist-2')}"}
    response = httpx.post(
        f"{uploads_api.url}/s3/multipart", json={**body, "size": 1000}, headers=headers
    )
    assert (response.status_code, response.json()["error"]) == (status, code)
    incoming = pipeline.bucket("incoming")
    assert pipeline.clients.s3.list_multipart_uploads(Bucket=incoming).get("Uploads", []) == []
    quotas = pipeline.settings.resource_name("quotas")
    items = pipeline.clients.dynamodb.scan(TableName=quotas)["Items"]
    assert all(not item.get("reservations", {}).get("M") for item in items)


def test_an_object_declaring_an_unknown_role_fails_and_stores_nothing(pipeline: Pipeline) -> None:
    key = "user-3/0a0b/take.wav"
    pipeline.clients.s3.put_object(
        Bucket=pipeline.bucket("incoming"), Key=key, Body=wav_bytes(), Metadata={"role": "vocals"}
    )
    [(outcome, record)] = run_scans(pipeline)
    assert outcome is Outcome.FAILED
    assert record["status"] == "failed"
    assert "unknown role 'vocals'" in record["reason"]
    assert pipeline.keys("masters") == pipeline.keys("stems") == []
    assert pipeline.keys("incoming") == [key]  # nothing lost
    assert pipeline.drain("audio") == []
