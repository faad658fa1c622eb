"""Fixtures for the ingest pipeline: a private clamd, a per-test stack on the moto server."""

from __future__ import annotations

import io
import json
import uuid
import wave
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from stacks.settings import Settings
from workers.pipeline.bootstrap import bootstrap
from workers.pipeline.clients import AwsClients
from workers.scan.clamd_server import ClamdServer

CLAMD_MAX_BYTES = 8 * 1024 * 1024


@pytest.fixture(scope="session")
def clamd_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClamdServer]:
    """clamd with the bundled EICAR signatures for the session (8 MiB stream limit)."""
    with ClamdServer(tmp_path_factory.mktemp("clamd"), max_bytes=CLAMD_MAX_BYTES) as server:
        yield server


@pytest.fixture
def eicar() -> bytes:
    """The EICAR test string, assembled at runtime so no file in the repo is EICAR."""
    head = "X5O!P%@AP[4\\PZX54(P^)7CC)7}$"
    tail = "-".join(["EICAR", "STANDARD", "ANTIVIRUS", "TEST", "FILE!$H+H*"])
    return (head + tail).encode()


def wav_bytes(seconds: float = 0.5, freq: float = 440.0, rate: int = 22050) -> bytes:
    """A short mono 16-bit sine WAV."""
    t = np.arange(int(seconds * rate)) / rate
    samples = (0.3 * np.sin(2 * np.pi * freq * t) * 32767).astype("<i2")
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(samples.tobytes())
    return out.getvalue()


@dataclass
class Pipeline:
    """A bootstrapped stack on moto, with SQS queues subscribed to the alert topics."""

    settings: Settings
    clients: AwsClients
    queues: dict[str, str]
    alert_queues: dict[str, str]

    def bucket(self, role: str) -> str:
        return self.settings.bucket_name(role)

    def keys(self, role: str) -> list[str]:
        response = self.clients.s3.list_objects_v2(Bucket=self.bucket(role))
        return [o["Key"] for o in response.get("Contents", [])]

    def drain(self, queue: str, wait: int = 0) -> list[dict[str, Any]]:
        """Receive (and delete) every message on a queue; bodies parsed as JSON when possible."""
        url = self.queues.get(queue) or self.alert_queues[queue]
        bodies = []
        while True:
            got = self.clients.sqs.receive_message(
                QueueUrl=url,
                MaxNumberOfMessages=10,
                WaitTimeSeconds=wait,
                MessageAttributeNames=["All"],
            ).get("Messages", [])
            if not got:
                return bodies
            for message in got:
                try:
                    bodies.append(json.loads(message["Body"]))
                except json.JSONDecodeError:
                    bodies.append({"raw": message["Body"]})
                self.clients.sqs.delete_message(
                    QueueUrl=url, ReceiptHandle=message["ReceiptHandle"]
                )

    def alerts(self, severity: str) -> list[dict[str, Any]]:
        """SNS notifications received on `alerts-<severity>`, their messages decoded."""
        return [json.loads(n["Message"]) for n in self.drain(severity)]

    def tags(self, role: str, key: str) -> dict[str, str]:
        tagset = self.clients.s3.get_object_tagging(Bucket=self.bucket(role), Key=key)["TagSet"]
        return {t["Key"]: t["Value"] for t in tagset}


def stack_for_test(base: Settings, clamd_address: str, **queue_overrides: Any) -> Settings:
    """A uniquely named copy of `base` (no collisions on the shared moto server)."""
    scan = base.scan.model_copy(
        update={"clamd_address": clamd_address, "retry_backoff_seconds": 0.0, "max_attempts": 2}
    )
    queues = {
        kind: q.model_copy(update={"visibility_timeout_seconds": 2, **queue_overrides})
        for kind, q in base.processing.queues.items()
    }
    processing = base.processing.model_copy(update={"queues": queues})
    return base.model_copy(
        update={"stack": f"t{uuid.uuid4().hex[:10]}", "scan": scan, "processing": processing}
    )


def make_pipeline(settings: Settings, endpoint: str) -> Pipeline:
    clients = AwsClients.create(settings.region, endpoint)
    created = bootstrap(settings, clients)
    alert_queues = {}
    for severity, topic in created["topics"].items():
        url = clients.sqs.create_queue(QueueName=f"{settings.resource_name('alerts')}-{severity}")[
            "QueueUrl"
        ]
        arn = clients.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        clients.sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
        alert_queues[severity] = url
    pipeline = Pipeline(settings, clients, created["queues"], alert_queues)
    test_events = pipeline.drain("scan")  # S3 sends s3:TestEvent when notifications are set
    assert all(event.get("Event") == "s3:TestEvent" for event in test_events)
    return pipeline


@pytest.fixture
def pipeline(local_settings: Settings, clamd_server: ClamdServer, aws_env: str) -> Pipeline:
    return make_pipeline(stack_for_test(local_settings, str(clamd_server.address)), aws_env)


@pytest.fixture
def stopped_clamd(tmp_path: Path) -> str:
    """The address of a clamd that was started and then stopped."""
    with ClamdServer(tmp_path / "clamd") as server:
        address = str(server.address)
    return address
