"""Test harness of the uploads API: isolated stack resources in moto, a live uvicorn server."""

from __future__ import annotations

import hashlib
import json
import os
import re
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import httpx
import uvicorn
from botocore.config import Config
from prometheus_client.parser import text_string_to_metric_families
from starlette.responses import JSONResponse

from stacks.settings import Settings
from workers.uploads.tokens import issue_token

SECRET = b"integration-test-secret"
S3V4 = Config(signature_version="s3v4")


class LiveServer:
    """An ASGI app served by uvicorn on 127.0.0.1 in a background thread."""

    def __init__(self, app: Any, *, lifespan: str = "off") -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._socket.getsockname()[1]}"
        config = uvicorn.Config(app, log_level="warning", lifespan=lifespan, access_log=False)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )

    def start(self) -> None:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.01)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._socket.close()


@dataclass
class UploadStack:
    """One isolated stack (unique names) in moto, with the API serving it."""

    settings: Settings
    url: str
    app: Any
    s3: Any
    dynamodb: Any
    sns: Any
    sqs: Any
    alerts_queue_url: str

    @property
    def bucket(self) -> str:
        return self.settings.bucket_name("incoming")

    def token(self, user_id: str, ttl_s: int = 3600) -> str:
        return issue_token(SECRET, user_id, ttl_s)

    def client(self, user_id: str) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.token(user_id)}"}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)

    def alerts(self, *, wait_s: float = 1.0) -> list[dict[str, Any]]:
        """Quota notifications received so far through the SNS -> SQS subscription."""
        received: list[dict[str, Any]] = []
        deadline = time.monotonic() + wait_s
        while True:
            response = self.sqs.receive_message(
                QueueUrl=self.alerts_queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0
            )
            messages = response.get("Messages", [])
            for message in messages:
                envelope = json.loads(message["Body"])
                received.append(json.loads(envelope["Message"]))
                self.sqs.delete_message(
                    QueueUrl=self.alerts_queue_url, ReceiptHandle=message["ReceiptHandle"]
                )
            if not messages and time.monotonic() >= deadline:
                return received
            if not messages:
                time.sleep(0.05)

    def multipart_uploads(self) -> list[dict[str, Any]]:
        return self.s3.list_multipart_uploads(Bucket=self.bucket).get("Uploads", [])


def metric_value(exposition: str, name: str, labels: dict[str, str] | None = None) -> float:
    """The value of one sample in a Prometheus text exposition (0.0 when absent)."""
    for family in text_string_to_metric_families(exposition):
        for sample in family.samples:
            if sample.name == name and (labels is None or sample.labels == labels):
                return float(sample.value)
    return 0.0


def provision(settings: Settings, endpoint: str) -> dict[str, Any]:
    """Create what the API needs (bucket, quotas table, alerts topic) plus an alerts inbox."""
    session = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
    )
    clients = {
        n: session.client(n, endpoint_url=endpoint, config=S3V4)
        for n in ("s3", "dynamodb", "sns", "sqs")
    }
    clients["s3"].create_bucket(Bucket=settings.bucket_name("incoming"))
    clients["dynamodb"].create_table(
        TableName=settings.resource_name("quotas"),
        KeySchema=[{"AttributeName": "user_id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "user_id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    topic_arn = clients["sns"].create_topic(Name=settings.resource_name("alerts-warning"))[
        "TopicArn"
    ]
    queue_url = clients["sqs"].create_queue(QueueName=settings.resource_name("alerts-inbox"))[
        "QueueUrl"
    ]
    queue_arn = clients["sqs"].get_queue_attributes(
        QueueUrl=queue_url, AttributeNames=["QueueArn"]
    )["Attributes"]["QueueArn"]
    clients["sns"].subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)
    return {**clients, "alerts_queue_url": queue_url}


class FaultInjector:
    """ASGI wrapper: answers `status` to every `every`-th request whose path matches `pattern`,
    `times` times in all."""

    def __init__(
        self, app: Any, pattern: str, *, times: int, status: int = 503, every: int = 1
    ) -> None:
        self._app = app
        self._every = every
        self._seen = 0
        self._pattern = re.compile(pattern)
        self._remaining = times
        self._status = status
        self._lock = threading.Lock()
        self.injected = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and self._pattern.search(scope["path"]):
            with self._lock:
                self._seen += 1
                fire = self._remaining > 0 and self._seen % self._every == 0
                if fire:
                    self._remaining -= 1
                    self.injected += 1
            if fire:
                response = JSONResponse(
                    {"error": "injected", "message": "injected fault"}, status_code=self._status
                )
                await response(scope, receive, send)
                return
        await self._app(scope, receive, send)


def write_random_file(path: Path, size: int) -> str:
    """Fill `path` with `size` random bytes; returns their sha256 hex digest."""
    digest = hashlib.sha256()
    with path.open("wb") as handle:
        remaining = size
        while remaining:
            block = os.urandom(min(remaining, 8 * 1024 * 1024))
            digest.update(block)
            handle.write(block)
            remaining -= len(block)
    return digest.hexdigest()


def object_sha256(s3: Any, bucket: str, key: str) -> str:
    """sha256 hex digest of a stored object, streamed."""
    digest = hashlib.sha256()
    for chunk in s3.get_object(Bucket=bucket, Key=key)["Body"].iter_chunks(1024 * 1024):
        digest.update(chunk)
    return digest.hexdigest()
