"""The ingest pipeline against real servers: moto (S3, SQS, SNS, DynamoDB) and clamd."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import threading
import time
import uuid
from unittest.mock import patch

import pytest
from pipeline_harness import Pipeline, make_pipeline, stack_for_test, wav_bytes

from stacks.settings import Settings
from workers.dedup.gc import dedup_stats
from workers.dedup.store import ContentStore
from workers.jobs import JobMessage, ObjectRef
from workers.pipeline.consumer import HandlerSpec, Outcome, QueueConsumer
from workers.runner import build_consumer

pytestmark = pytest.mark.integration


def scan_consumer(p: Pipeline) -> QueueConsumer:
    return build_consumer(p.settings, "scan", clients=p.clients, wait_seconds=0)


def upload(p: Pipeline, key: str, data: bytes, **metadata: str) -> None:
    p.clients.s3.put_object(Bucket=p.bucket("incoming"), Key=key, Body=data, Metadata=metadata)


def versions(p: Pipeline, key: str) -> list[dict]:
    page = p.clients.s3.list_object_versions(Bucket=p.bucket("incoming"), Prefix=key)
    return [v for v in page.get("Versions", []) + page.get("DeleteMarkers", []) if v["Key"] == key]


def refcount(p: Pipeline, sha256: str) -> int:
    store = ContentStore(p.clients.s3, p.clients.dynamodb, p.settings.resource_name("content-refs"))
    return store.refcount(sha256)


def test_eicar_upload_is_quarantined_with_an_alert_and_never_published(
    pipeline: Pipeline, eicar: bytes
) -> None:
    key = "user-1/0123abcd/my song+final (1).mp3"
    upload(pipeline, key, eicar + b"\0" * 4096)

    counts = scan_consumer(pipeline).run(once=True)

    assert counts == {"done": 1}
    assert pipeline.keys("quarantine") == [key]
    tags = pipeline.tags("quarantine", key)
    assert tags["status"] == "infected"
    assert tags["signature"].startswith("Eicar-Test-Signature")
    assert "scanned-at" in tags
    assert versions(pipeline, key) == []
    for role in ("masters", "stems", "derivatives"):
        assert pipeline.keys(role) == []
    assert pipeline.drain("audio") == []
    [alert] = pipeline.alerts("critical")
    assert alert["event"] == "malware-detected"
    assert alert["source"]["key"] == key
    assert alert["signature"] == tags["signature"]


def test_clean_track_is_stored_content_addressed_and_queued_for_audio(pipeline: Pipeline) -> None:
    data = wav_bytes()
    key = "user-1/0123abcd/first+track.wav"
    upload(pipeline, key, data)

    assert scan_consumer(pipeline).run(once=True) == {"done": 1}

    sha = hashlib.sha256(data).hexdigest()
    assert pipeline.keys("masters") == [f"sha256/{sha[:2]}/{sha}"]
    stored = pipeline.clients.s3.get_object(
        Bucket=pipeline.bucket("masters"), Key=f"sha256/{sha[:2]}/{sha}"
    )
    assert stored["Body"].read() == data
    assert pipeline.tags("incoming", key)["status"] == "clean"
    assert pipeline.keys("quarantine") == []
    [job] = [JobMessage.model_validate(b) for b in pipeline.drain("audio")]
    assert (job.kind, job.role, job.content_hash) == ("audio", "track", sha)
    assert job.source == ObjectRef(bucket=pipeline.bucket("masters"), key=f"sha256/{sha[:2]}/{sha}")
    assert job.attributes["original_key"] == key
    assert refcount(pipeline, sha) == 1
    assert pipeline.alerts("critical") == []


def test_wav_stem_goes_to_stems_bucket_and_a_stem_audio_job(pipeline: Pipeline) -> None:
    data = wav_bytes(freq=220.0)
    upload(pipeline, "user-2/feedface/bass.wav", data, role="stem")

    assert scan_consumer(pipeline).run(once=True) == {"done": 1}

    sha = hashlib.sha256(data).hexdigest()
    assert pipeline.keys("stems") == [f"sha256/{sha[:2]}/{sha}"]
    assert pipeline.keys("masters") == []
    [job] = [JobMessage.model_validate(b) for b in pipeline.drain("audio")]
    assert (job.role, job.source.bucket) == ("stem", pipeline.bucket("stems"))


def test_cover_goes_to_the_image_queue(pipeline: Pipeline) -> None:
    upload(pipeline, "user-2/feedface/covers/front.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 100)
    assert scan_consumer(pipeline).run(once=True) == {"done": 1}
    [job] = [JobMessage.model_validate(b) for b in pipeline.drain("image")]
    assert (job.kind, job.role) == ("image", "cover")
    assert pipeline.drain("audio") == []


def test_clamd_down_publishes_nothing_then_quarantines_as_unscannable(
    local_settings: Settings, stopped_clamd: str, aws_env: str, eicar: bytes
) -> None:
    p = make_pipeline(stack_for_test(local_settings, stopped_clamd), aws_env)
    key = "user-3/00ff/track.wav"
    upload(p, key, wav_bytes() + eicar)
    consumer = scan_consumer(p)

    assert consumer.poll(wait_seconds=1) == [Outcome.RETRY]
    assert p.keys("masters") == [] and p.keys("quarantine") == []
    assert p.drain("audio") == []
    assert len(versions(p, key)) == 1  # still waiting in incoming, untouched

    assert consumer.run(once=True) == {"quarantined": 1}  # second receive: attempts exhausted
    assert p.keys("quarantine") == [key]
    tags = p.tags("quarantine", key)
    assert tags["status"] == "unscannable"
    assert "unreachable" in tags["reason"]
    assert versions(p, key) == []
    assert p.keys("masters") == [] and p.drain("audio") == []
    [alert] = p.alerts("warning")
    assert alert["event"] == "upload-unscannable"
    record = consumer.records.get(json.loads(json.dumps(alert))["job_id"])
    assert record is not None and record["status"] == "quarantined"


def test_file_over_the_scan_limit_is_quarantined_not_clean(
    local_settings: Settings, clamd, aws_env: str
) -> None:
    settings = stack_for_test(local_settings, str(clamd.address))
    settings = settings.model_copy(
        update={"scan": settings.scan.model_copy(update={"max_file_bytes": 100_000})}
    )
    p = make_pipeline(settings, aws_env)
    upload(p, "user-4/aa/big.wav", b"\0" * 100_001)

    assert scan_consumer(p).run(once=True) == {"quarantined": 1}
    assert p.tags("quarantine", "user-4/aa/big.wav")["status"] == "unscannable"
    assert p.keys("masters") == [] and p.drain("audio") == []


def test_concurrent_duplicate_uploads_store_one_object_with_exact_refcount(
    pipeline: Pipeline, atomic_dynamodb: None
) -> None:
    data = wav_bytes(seconds=1.0, freq=330.0)
    users = [f"user-{i}" for i in range(6)]
    for user in users:
        upload(pipeline, f"{user}/beef/same.wav", data)
    events = pipeline.drain("scan", wait=1)
    while len(events) < len(users):
        events += pipeline.drain("scan", wait=1)
    consumer = scan_consumer(pipeline)
    jobs = [job for event in events for job in consumer.parse(json.dumps(event))]
    outcomes: list[Outcome] = []
    threads = [
        threading.Thread(target=lambda j=j: outcomes.append(consumer.run_job(j, 1))) for j in jobs
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    sha = hashlib.sha256(data).hexdigest()
    assert outcomes == [Outcome.DONE] * len(users)
    assert pipeline.keys("masters") == [f"sha256/{sha[:2]}/{sha}"]
    assert refcount(pipeline, sha) == len(users)
    stats = dedup_stats(pipeline.clients.dynamodb, pipeline.settings.resource_name("content-refs"))
    assert stats.bytes_saved == (len(users) - 1) * len(data)
    assert {JobMessage.model_validate(b).job_id for b in pipeline.drain("audio")} == {
        f"audio-track-{sha}"
    }


def test_duplicate_delivery_is_a_no_op_and_counts_once(pipeline: Pipeline) -> None:
    data = wav_bytes(freq=550.0)
    upload(pipeline, "user-5/cafe/dup.wav", data)
    [event] = pipeline.drain("scan", wait=1)
    for _ in range(2):  # S3 delivers the same event twice
        pipeline.clients.sqs.send_message(
            QueueUrl=pipeline.queues["scan"], MessageBody=json.dumps(event)
        )

    counts = scan_consumer(pipeline).run(once=True)

    sha = hashlib.sha256(data).hexdigest()
    assert counts == {"done": 1, "duplicate": 1}
    assert refcount(pipeline, sha) == 1


def test_rerun_without_a_job_record_does_not_double_count(pipeline: Pipeline) -> None:
    """A worker killed after dedup but before recording the job: the rerun counts nothing."""
    data = wav_bytes(freq=660.0)
    upload(pipeline, "user-6/d00d/killed.wav", data)
    [event] = pipeline.drain("scan", wait=1)
    consumer = scan_consumer(pipeline)
    [job] = consumer.parse(json.dumps(event))

    class Killed(BaseException):
        pass

    with patch.object(consumer.records, "mark_done", side_effect=Killed), pytest.raises(Killed):
        consumer.run_job(job, 1)
    assert consumer.run_job(job, 2) == Outcome.DONE

    sha = hashlib.sha256(data).hexdigest()
    assert refcount(pipeline, sha) == 1
    assert pipeline.keys("masters") == [f"sha256/{sha[:2]}/{sha}"]


def test_killed_while_storing_leaves_nothing_published_and_the_rerun_completes(
    pipeline: Pipeline,
) -> None:
    data = wav_bytes(freq=770.0)
    upload(pipeline, "user-7/abcd/mid.wav", data)
    consumer = scan_consumer(pipeline)

    class Killed(BaseException):
        pass

    with patch.object(ContentStore, "_mark_stored", side_effect=Killed), pytest.raises(Killed):
        consumer.run(once=True)
    assert pipeline.drain("audio") == [] and pipeline.keys("derivatives") == []

    time.sleep(2.2)  # the in-flight message reappears after its 2 s visibility timeout
    assert consumer.run(once=True) == {"done": 1}
    sha = hashlib.sha256(data).hexdigest()
    assert refcount(pipeline, sha) == 1
    assert len(pipeline.drain("audio")) == 1


def test_poison_messages_go_to_the_dlq_and_the_loop_survives(pipeline: Pipeline) -> None:
    url = pipeline.queues["scan"]
    for body in (
        "not json {",
        json.dumps({"kind": "scan"}),
        json.dumps({"job_id": "x", "kind": "image", "source": {"bucket": "b", "key": "k"}}),
    ):
        pipeline.clients.sqs.send_message(QueueUrl=url, MessageBody=body)
    data = wav_bytes(freq=880.0)
    upload(pipeline, "user-8/beef/ok.wav", data)

    counts = scan_consumer(pipeline).run(once=True)

    assert counts == {"poison": 3, "done": 1}
    dead = pipeline.drain("scan-dlq")
    assert len(dead) == 3
    assert pipeline.drain("scan") == []


def test_poison_message_stays_on_a_queue_configured_without_dlq(pipeline: Pipeline) -> None:
    queues = dict(pipeline.settings.processing.queues)
    queues["scan"] = queues["scan"].model_copy(update={"dead_letter": False})
    processing = pipeline.settings.processing.model_copy(update={"queues": queues})
    settings = pipeline.settings.model_copy(update={"processing": processing})
    pipeline.clients.sqs.send_message(QueueUrl=pipeline.queues["scan"], MessageBody="not json {")

    consumer = build_consumer(settings, "scan", clients=pipeline.clients, wait_seconds=0)
    assert consumer.run(once=True) == {"poison": 1}

    assert pipeline.drain("scan-dlq") == []  # not sent to a DLQ the settings say is absent
    time.sleep(2.2)  # nor deleted: it reappears after the visibility timeout
    assert consumer.run(once=True) == {"poison": 1}


def test_transient_failures_of_other_kinds_end_in_the_dlq_by_redrive(pipeline: Pipeline) -> None:
    def always_down(job, ctx):  # type: ignore[no-untyped-def]
        from workers.errors import TransientJobError

        raise TransientJobError("dependency down")

    job = JobMessage(
        job_id="img-1", kind="image", role="cover", source=ObjectRef(bucket="b", key="k.png")
    )
    pipeline.clients.sqs.send_message(
        QueueUrl=pipeline.queues["image"], MessageBody=job.model_dump_json()
    )
    consumer = QueueConsumer(
        pipeline.settings,
        pipeline.clients,
        "image",
        HandlerSpec(lambda: always_down),
        wait_seconds=0,
        backoff_seconds=0,
    )
    outcomes = []
    for _ in range(6):
        outcomes += consumer.poll(wait_seconds=1)

    max_receives = pipeline.settings.processing.queues["image"].max_receive_count
    assert outcomes == [Outcome.RETRY] * max_receives
    [dead] = pipeline.drain("image-dlq")
    assert dead["job_id"] == "img-1"


def test_wav_stem_is_stored_as_flac_by_the_audio_worker(pipeline: Pipeline, tmp_path) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("workers.audio.job")
    data = wav_bytes(seconds=2.0, freq=300.0, rate=44100)
    upload(pipeline, "user-9/5eed/drums.wav", data, role="stem")
    assert scan_consumer(pipeline).run(once=True) == {"done": 1}

    audio = build_consumer(pipeline.settings, "audio", clients=pipeline.clients, wait_seconds=0)
    assert audio.run(once=True) == {"done": 1}

    sha = hashlib.sha256(data).hexdigest()
    flac_keys = [k for k in pipeline.keys("stems") if k.endswith(".flac")]
    assert len(flac_keys) == 1 and flac_keys[0].startswith(f"flac/{sha}/")
    local = tmp_path / "stem.flac"
    pipeline.clients.s3.download_file(pipeline.bucket("stems"), flac_keys[0], str(local))
    probe = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "stream=codec_name,sample_rate",
         "-of", "json", str(local)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    [stream] = json.loads(probe.stdout)["streams"]
    assert (stream["codec_name"], stream["sample_rate"]) == ("flac", "44100")
    assert pipeline.keys("derivatives") == []


def test_worker_cli_runs_the_scan_queue_once(local_settings: Settings, clamd, aws_env: str) -> None:  # type: ignore[no-untyped-def]
    """`mediainfra worker run --kind scan --stack local --once` against moto and clamd."""
    p = make_pipeline(local_settings, aws_env)
    data = wav_bytes(freq=123.0)
    key = f"cli-user/{uuid.uuid4().hex}/cli.wav"
    upload(p, key, data)
    argv = [
        sys.executable, "-c", "from mediainfra.cli import main; main()",
        "worker", "run", "--kind", "scan", "--stack", "local", "--once",
        "--endpoint-url", aws_env, "--clamd", str(clamd.address), "--wait-seconds", "1",
    ]  # fmt: skip
    result = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "done=1" in result.stdout
    sha = hashlib.sha256(data).hexdigest()
    assert f"sha256/{sha[:2]}/{sha}" in p.keys("masters")
    assert p.tags("incoming", key)["status"] == "clean"


def test_quarantine_from_a_later_kind_keeps_the_shared_master(pipeline: Pipeline) -> None:
    from workers.errors import QuarantineError

    def unsafe(job, ctx):  # type: ignore[no-untyped-def]
        raise QuarantineError("decompression bomb")

    key = "sha256/ab/" + "ab" * 32
    pipeline.clients.s3.put_object(Bucket=pipeline.bucket("masters"), Key=key, Body=b"png?")
    job = JobMessage(
        job_id="img-2", kind="image", role="cover",
        source=ObjectRef(bucket=pipeline.bucket("masters"), key=key),
    )  # fmt: skip
    pipeline.clients.sqs.send_message(
        QueueUrl=pipeline.queues["image"], MessageBody=job.model_dump_json()
    )
    consumer = QueueConsumer(
        pipeline.settings, pipeline.clients, "image", HandlerSpec(lambda: unsafe), wait_seconds=0
    )
    assert consumer.run(once=True) == {"quarantined": 1}
    assert pipeline.keys("masters") == [key]
    assert pipeline.tags("quarantine", key) | {"scanned-at": ""} == {
        "status": "rejected", "reason": "decompression bomb", "scanned-at": "",
    }  # fmt: skip
    assert consumer.records.get("img-2")["status"] == "quarantined"  # type: ignore[index]


def test_a_scan_that_gives_up_after_dedup_releases_its_reference(pipeline: Pipeline) -> None:
    from workers.errors import TransientJobError

    data = wav_bytes(freq=990.0)
    key = "user-10/f00d/never-stored.wav"
    upload(pipeline, key, data)
    failing = patch.object(ContentStore, "_upload", side_effect=TransientJobError("S3 down"))
    with failing:
        assert scan_consumer(pipeline).run(once=True) == {"retry": 1, "quarantined": 1}

    sha = hashlib.sha256(data).hexdigest()
    assert refcount(pipeline, sha) == 0
    assert pipeline.keys("masters") == [] and pipeline.drain("audio") == []
    assert pipeline.tags("quarantine", key)["status"] == "unscannable"
