"""The real `local` program applied to moto: the pipeline's wiring works, twice is fine."""

from __future__ import annotations

import json
from urllib.parse import unquote_plus

import boto3
import pytest

from local.engine import LocalApply, apply_stack
from stacks.settings import BucketRole, JobKind, Settings

pytestmark = pytest.mark.integration


def _client(service: str, endpoint: str, settings: Settings):  # type: ignore[no-untyped-def]
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=settings.region,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@pytest.fixture(scope="module")
def applied(local_settings: Settings) -> LocalApply:  # type: ignore[misc]
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    apply_stack(local_settings, endpoint)
    result = apply_stack(local_settings, endpoint)
    yield endpoint, result  # type: ignore[misc]
    server.stop()


def test_a_put_into_incoming_reaches_the_scan_queue(applied, local_settings: Settings) -> None:
    endpoint, _ = applied
    s3, sqs = _client("s3", endpoint, local_settings), _client("sqs", endpoint, local_settings)
    queue = sqs.get_queue_url(QueueName=local_settings.resource_name(JobKind.SCAN.value))[
        "QueueUrl"
    ]
    sqs.purge_queue(QueueUrl=queue)
    incoming = local_settings.bucket_name(BucketRole.INCOMING)
    s3.put_object(Bucket=incoming, Key="user-1/abc/a song.flac", Body=b"fLaC")
    keys: list[str] = []
    for _ in range(5):
        for message in sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1).get("Messages", []):
            records = json.loads(message["Body"]).get("Records", [])
            keys += [unquote_plus(r["s3"]["object"]["key"]) for r in records]
        if keys:
            break
    assert keys == ["user-1/abc/a song.flac"]


def test_the_buckets_queues_and_tables_of_the_settings_exist(
    applied, local_settings: Settings
) -> None:
    endpoint, _ = applied
    s3 = _client("s3", endpoint, local_settings)
    names = {b["Name"] for b in s3.list_buckets()["Buckets"]}
    assert {local_settings.bucket_name(role) for role in BucketRole} <= names
    masters = local_settings.bucket_name(BucketRole.MASTERS)
    assert s3.get_bucket_versioning(Bucket=masters)["Status"] == "Enabled"
    rules = s3.get_bucket_lifecycle_configuration(Bucket=masters)["Rules"]
    assert any(
        t["StorageClass"] == "INTELLIGENT_TIERING" for r in rules for t in r.get("Transitions", [])
    )
    sqs = _client("sqs", endpoint, local_settings)
    for kind in JobKind:
        url = sqs.get_queue_url(QueueName=local_settings.resource_name(kind.value))["QueueUrl"]
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        redrive = json.loads(attributes["RedrivePolicy"])
        assert (
            redrive["maxReceiveCount"] == local_settings.processing.queues[kind].max_receive_count
        )
        assert redrive["deadLetterTargetArn"].endswith(
            local_settings.resource_name(f"{kind.value}-dlq")
        )
    tables = set(_client("dynamodb", endpoint, local_settings).list_tables()["TableNames"])
    assert {local_settings.resource_name(t) for t in ("quotas", "content-refs", "jobs")} <= tables


def test_workers_can_write_over_http_despite_the_tls_only_policy(
    applied, local_settings: Settings
) -> None:
    endpoint, result = applied
    s3 = _client("s3", endpoint, local_settings)
    derivatives = local_settings.bucket_name(BucketRole.DERIVATIVES)
    s3.put_object(Bucket=derivatives, Key="audio/x/y.mp3", Body=b"ID3")
    assert s3.get_object(Bucket=derivatives, Key="audio/x/y.mp3")["Body"].read() == b"ID3"
    policies = [a for a in result.applied if a.type == "aws:s3/bucketPolicy:BucketPolicy"]
    assert policies and all("moto ignores conditions" in a.detail for a in policies)


def test_what_moto_cannot_create_is_reported(applied) -> None:
    _, result = applied
    stood_in = result.summary.get("stood-in", {})
    not_emulated = result.summary.get("not-emulated", {})
    assert "aws:kms/key:Key" in stood_in
    assert any(t.startswith("aws:ecs/") for t in stood_in)
    assert any(t.startswith("aws:backup/") for t in not_emulated)
    assert (
        "aws:s3/bucketIntelligentTieringConfiguration:BucketIntelligentTieringConfiguration"
        in not_emulated
    )
