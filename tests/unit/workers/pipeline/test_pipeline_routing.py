"""S3 events -> scan jobs, roles, follow-up jobs, poison detection and retry backoff."""

from __future__ import annotations

import json
from typing import Any

import pytest

from stacks.settings import Settings
from workers.jobs import JobMessage, ObjectRef
from workers.pipeline.clients import AwsClients
from workers.pipeline.consumer import HandlerSpec, PoisonMessage, QueueConsumer
from workers.pipeline.routing import (
    RoutingError,
    classify_role,
    content_bucket,
    decide_role,
    follow_up_jobs,
)
from workers.pipeline.s3_events import NotAnS3Event, is_s3_event, scan_jobs_from_event
from workers.runner import REGISTRY, with_clamd

SHA = "ab" * 32


def event(key: str, name: str = "ObjectCreated:Put", **obj: Any) -> dict[str, Any]:
    return {
        "Records": [
            {
                "eventSource": "aws:s3",
                "eventName": name,
                "s3": {"bucket": {"name": "media-incoming-local"}, "object": {"key": key, **obj}},
            }
        ]
    }


def test_percent_encoded_keys_are_decoded() -> None:
    [job] = scan_jobs_from_event(event("user-1/abc/my+song%28live%29+%C3%A9.wav", eTag="e"))
    assert job.source == ObjectRef(
        bucket="media-incoming-local", key="user-1/abc/my song(live) é.wav"
    )
    assert (job.kind, job.user_id) == ("scan", "user-1")


def test_job_ids_are_deterministic_per_object_version() -> None:
    a = scan_jobs_from_event(event("k", versionId="v1"))[0].job_id
    assert a == scan_jobs_from_event(event("k", versionId="v1"))[0].job_id
    assert a != scan_jobs_from_event(event("k", versionId="v2"))[0].job_id


def test_test_events_and_deletes_yield_no_jobs() -> None:
    assert scan_jobs_from_event({"Event": "s3:TestEvent", "Bucket": "b"}) == []
    assert scan_jobs_from_event(event("k", name="ObjectRemoved:Delete")) == []


def test_not_an_event() -> None:
    assert not is_s3_event({"job_id": "x"})
    assert not is_s3_event([1, 2])
    with pytest.raises(NotAnS3Event):
        scan_jobs_from_event({"Records": [{"eventSource": "aws:sqs"}]})


def job(key: str, role: str = "upload", role_attr: str | None = None) -> JobMessage:
    attributes = {} if role_attr is None else {"role": role_attr}
    return JobMessage(
        job_id="j", kind="scan", role=role, source=ObjectRef(bucket="in", key=key),
        attributes=attributes,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("key", "metadata", "expected"),
    [
        ("u/1/song.WAV", {}, "track"),
        ("u/1/song.m4a", {}, "track"),
        ("u/1/front.jpg", {}, "cover"),
        ("u/1/notes.pdf", {}, "upload"),
        ("u/stems/1/bass.wav", {}, "stem"),
        ("u/1/bass.wav", {"role": "stem"}, "stem"),
        ("u/covers/1/x.png", {}, "cover"),
    ],
)
def test_roles(key: str, metadata: dict[str, str], expected: str) -> None:
    assert classify_role(job(key), metadata) == expected


@pytest.mark.parametrize(
    ("key", "declared", "expected"),
    [
        ("u/1/bass.wav", "stem", "stem"),  # the extension alone would say track
        ("u/tracks/1/bass.wav", "stem", "stem"),  # and so would the folder
        ("covers/1/front.png", "cover", "cover"),
        ("u/1/mix.flac", "track", "track"),
        ("u/1/load.bin", "track", "track"),  # stored as a track, nothing to process
    ],
)
def test_a_declared_role_is_authoritative(key: str, declared: str, expected: str) -> None:
    decision = decide_role(job(key), {"role": declared})
    assert (decision.role, decision.source) == (expected, "declared")
    assert decide_role(job(key, role_attr=declared)).role == expected


def test_only_an_undeclared_role_is_guessed() -> None:
    decision = decide_role(job("u/stems/1/bass.wav"), {"user-id": "u"})
    assert (decision.role, decision.source) == ("stem", "guessed")


@pytest.mark.parametrize(
    ("key", "declared", "match"),
    [
        ("u/1/art.wav", "nonsense", "unknown role 'nonsense'"),
        ("u/1/art.wav", "", "unknown role ''"),
        ("u/1/art.wav", "cover", "cannot be a cover"),
        ("u/1/bass.mp3", "stem", "cannot be a stem"),
        ("u/1/front.jpg", "track", "cannot be a track"),
    ],
)
def test_a_bad_declared_role_is_a_permanent_routing_error(
    key: str, declared: str, match: str
) -> None:
    with pytest.raises(RoutingError, match=match) as caught:
        decide_role(job(key), {"role": declared})
    assert key in caught.value.reason


def test_the_job_role_wins(local_settings: Settings) -> None:
    assert classify_role(job("u/1/x.wav", role="cover"), {"role": "stem"}) == "cover"
    assert decide_role(job("u/1/x.wav", role="cover"), {"role": "stem"}).source == "job"
    assert content_bucket(local_settings, "stem") == "media-stems-local"
    assert content_bucket(local_settings, "track") == "media-masters-local"


def test_follow_up_jobs(local_settings: Settings) -> None:
    stored = ObjectRef(bucket="media-masters-local", key=f"sha256/ab/{SHA}")
    [track] = follow_up_jobs(local_settings, job("u/1/a.flac"), "track", stored, SHA)
    assert (track.kind, track.role, track.job_id) == ("audio", "track", f"audio-track-{SHA}")
    assert track.output is not None and track.output.bucket == "media-derivatives-local"
    [stem] = follow_up_jobs(local_settings, job("u/1/b.wav"), "stem", stored, SHA)
    assert (stem.kind, stem.role) == ("audio", "stem")
    # content dedup first stored as a track (masters): the stem's FLAC still goes to stems
    assert stem.source.bucket == "media-masters-local"
    assert stem.output is not None and stem.output.bucket == "media-stems-local"
    [cover] = follow_up_jobs(local_settings, job("u/1/c.png"), "cover", stored, SHA)
    assert (cover.kind, cover.role) == ("image", "cover")
    assert follow_up_jobs(local_settings, job("u/1/d.zip"), "upload", stored, SHA) == []
    assert follow_up_jobs(local_settings, job("u/1/e.mp3"), "stem", stored, SHA) == []


def consumer(settings: Settings, kind: str = "scan", backoff: float = 10.0) -> QueueConsumer:
    clients = AwsClients(s3=None, sqs=None, sns=None, dynamodb=None)
    return QueueConsumer(settings, clients, kind, REGISTRY[kind], backoff_seconds=backoff)


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        "[]",
        json.dumps({"kind": "scan"}),
        json.dumps({"job_id": "x", "kind": "audio", "source": {"bucket": "b", "key": "k"}}),
        json.dumps({"job_id": "x", "kind": "scan", "source": {"bucket": "b"}, "extra": 1}),
    ],
)
def test_poison_bodies(local_settings: Settings, body: str) -> None:
    with pytest.raises(PoisonMessage):
        consumer(local_settings).parse(body)


def test_s3_events_only_on_the_scan_queue(local_settings: Settings) -> None:
    assert len(consumer(local_settings).parse(json.dumps(event("u/1/a.wav")))) == 1
    with pytest.raises(PoisonMessage):
        consumer(local_settings, "audio").parse(json.dumps(event("u/1/a.wav")))


def test_backoff_doubles_and_is_capped(local_settings: Settings) -> None:
    c = consumer(local_settings, backoff=10.0)
    assert [c.backoff_delay(n) for n in (1, 2, 3, 4)] == [10, 20, 40, 80]
    assert c.backoff_delay(40) == 43200


def test_scan_quarantines_after_its_attempts_other_kinds_use_the_queue(
    local_settings: Settings,
) -> None:
    assert consumer(local_settings).max_receives == min(
        local_settings.scan.max_attempts, local_settings.processing.queues["scan"].max_receive_count
    )
    assert consumer(local_settings, "audio").max_receives == 3
    assert REGISTRY["scan"].quarantine_when_exhausted
    assert not REGISTRY["audio"].quarantine_when_exhausted


def test_registry_loads_handlers_lazily() -> None:
    assert set(REGISTRY) == {"scan", "audio", "image"}
    from workers.scan.job import handle

    assert REGISTRY["scan"].load() is handle
    assert isinstance(REGISTRY["audio"], HandlerSpec)


def test_with_clamd_overrides_only_the_address(local_settings: Settings) -> None:
    changed = with_clamd(local_settings, "/tmp/c.sock")
    assert changed.scan.clamd_address == "/tmp/c.sock"
    assert changed.scan.max_file_bytes == local_settings.scan.max_file_bytes
    assert with_clamd(local_settings, None) is local_settings


def test_settings_come_from_the_container_environment(local_settings: Settings) -> None:
    from workers.runner import SETTINGS_ENV, resolve_settings

    environ = {SETTINGS_ENV: local_settings.model_dump_json()}
    assert resolve_settings(None, environ) == local_settings
    assert resolve_settings("prod", environ).stack == "prod"
    assert resolve_settings(None, {}).stack == "local"


def test_watermark_key_comes_from_its_own_secret(local_settings: Settings) -> None:
    from workers.runner import SETTINGS_ENV, WATERMARK_KEY_ENV, resolve_settings

    environ = {SETTINGS_ENV: local_settings.model_dump_json(), WATERMARK_KEY_ENV: "k" * 32}
    assert resolve_settings(None, environ).audio.watermark_key == "k" * 32
    assert resolve_settings(None, {SETTINGS_ENV: local_settings.model_dump_json()}) == (
        local_settings
    )
