"""Shared fixtures: the stack settings and a real moto server on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest

from stacks.settings import Settings, load_stack


@pytest.fixture(scope="session")
def local_settings() -> Settings:
    return load_stack("local")


@pytest.fixture(scope="session")
def prod_settings() -> Settings:
    return load_stack("prod")


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """A real moto server (S3, SQS, SNS, DynamoDB, CloudWatch) for the whole session."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def aws_env(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Point boto3 at the moto server with dummy credentials; returns the endpoint."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    return moto_endpoint


@pytest.fixture
def s3(aws_env: str):  # type: ignore[no-untyped-def]
    return boto3.client("s3", endpoint_url=aws_env, region_name="us-east-1")
