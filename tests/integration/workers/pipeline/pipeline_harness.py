"""Helpers for the ingest pipeline tests: a per-test stack on moto, observed through SQS."""

from __future__ import annotations

import contextlib
import io
import json
import socket
import threading
import time
import uuid
import wave
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import uvicorn

from stacks.settings import Settings
from workers.pipeline.bootstrap import bootstrap
from workers.pipeline.clients import AwsClients


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
    """Bootstrap `settings` on the moto server and subscribe a queue to each alert topic."""
    clients = AwsClients.create(settings.region, endpoint)
    created = bootstrap(settings, clients)
    alert_queues = {}
    for severity, topic in created["topics"].items():
        name = f"{settings.resource_name('alerts')}-{severity}"
        url = clients.sqs.create_queue(QueueName=name)["QueueUrl"]
        arn = clients.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        clients.sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
        alert_queues[severity] = url
    pipeline = Pipeline(settings, clients, created["queues"], alert_queues)
    test_events = pipeline.drain("scan")  # S3 sends s3:TestEvent when notifications are set
    assert all(event.get("Event") == "s3:TestEvent" for event in test_events)
    return pipeline


UPLOADS_SECRET = "pipeline-test-uploads-secret"


@dataclass(frozen=True)
class UploadsApi:
    """A running uploads API and how to get a user's token for it."""

    url: str
    settings: Settings

    def token(self, user_id: str) -> str:
        from workers.uploads.tokens import issue_token

        return issue_token(UPLOADS_SECRET.encode(), user_id, 3600)


@contextlib.contextmanager
def serve_uploads_api(settings: Settings, endpoint: str) -> Iterator[UploadsApi]:
    """Serve `workers.uploads.api.app_from_env` for `settings` with uvicorn in a thread."""
    from workers.uploads.api import app_from_env

    environ = {settings.uploads.token_secret_env: UPLOADS_SECRET, "AWS_ENDPOINT_URL": endpoint}
    app = app_from_env(environ, settings=settings)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the uploads API did not start")
        time.sleep(0.01)
    try:
        yield UploadsApi(f"http://127.0.0.1:{sock.getsockname()[1]}", settings)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
