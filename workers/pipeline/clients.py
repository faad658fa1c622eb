"""boto3 clients for one process: S3, SQS, SNS and DynamoDB against one endpoint."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config


@dataclass(frozen=True)
class AwsClients:
    """The AWS clients a worker needs (thread-safe boto3 low-level clients)."""

    s3: Any
    sqs: Any
    sns: Any
    dynamodb: Any

    @classmethod
    def create(cls, region: str, endpoint_url: str | None = None) -> AwsClients:
        """Clients for `region`; `endpoint_url` (or AWS_ENDPOINT_URL) points at moto locally."""
        session = boto3.session.Session(region_name=region)
        config = Config(retries={"max_attempts": 5, "mode": "standard"}, max_pool_connections=20)

        def client(service: str) -> Any:
            return session.client(service, endpoint_url=endpoint_url, config=config)

        return cls(client("s3"), client("sqs"), client("sns"), client("dynamodb"))
