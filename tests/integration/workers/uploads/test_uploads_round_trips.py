"""The AWS calls one upload costs the API, read from its own /metrics (upstream histogram)."""

from __future__ import annotations

import os

import httpx
import pytest
from uploads_harness import UploadStack, metric_value

pytestmark = pytest.mark.integration
UPSTREAM = "mediainfra_upload_upstream_seconds_count"
OPERATIONS = (
    ("dynamodb", "GetItem"),
    ("dynamodb", "PutItem"),
    ("dynamodb", "UpdateItem"),
    ("s3", "CreateMultipartUpload"),
    ("s3", "ListParts"),
    ("s3", "CompleteMultipartUpload"),
)


def _calls(stack: UploadStack) -> dict[str, float]:
    text = httpx.get(f"{stack.url}/metrics").text
    return {
        op: metric_value(text, UPSTREAM, {"service": service, "operation": op})
        for service, op in OPERATIONS
    }


def _upload(stack: UploadStack, user: str, data: bytes) -> None:
    with stack.client(user) as api:
        created = api.post(
            "/s3/multipart", json={"filename": "a.wav", "type": "audio/wav", "size": len(data)}
        ).json()
        ids = {"key": created["key"]}
        signed = api.get(
            f"/s3/multipart/{created['uploadId']}/batch", params={**ids, "partNumbers": "1"}
        ).json()["presignedUrls"]
        etag = httpx.put(signed["1"], content=data).headers["etag"]
        done = api.post(
            f"/s3/multipart/{created['uploadId']}/complete",
            params=ids,
            json={"parts": [{"PartNumber": 1, "ETag": etag}]},
        )
        assert done.status_code == 200, done.text


def _delta(after: dict[str, float], before: dict[str, float]) -> dict[str, float]:
    return {op: after[op] - before[op] for op in after if after[op] != before[op]}


def test_an_upload_of_a_known_user_costs_seven_aws_calls(upload_stack: UploadStack) -> None:
    data = os.urandom(64 * 1024)
    first = _calls(upload_stack)
    _upload(upload_stack, "ivy", data)
    second = _calls(upload_stack)
    # A user never seen: the optimistic reservation is refused, the item is created.
    assert _delta(second, first) == {
        "PutItem": 1,
        "UpdateItem": 3,
        "GetItem": 2,
        "CreateMultipartUpload": 1,
        "ListParts": 1,
        "CompleteMultipartUpload": 1,
    }
    _upload(upload_stack, "ivy", data)
    # create: reserve + create; sign: reservation; complete: reservation and parts (at
    # once), complete, commit (conditional on the reservation read, not read again).
    assert _delta(_calls(upload_stack), second) == {
        "UpdateItem": 2,
        "GetItem": 2,
        "CreateMultipartUpload": 1,
        "ListParts": 1,
        "CompleteMultipartUpload": 1,
    }
    usage = upload_stack.app.state.service.quotas.usage("ivy")
    assert (usage.used_bytes, usage.reserved_bytes) == (2 * len(data), 0)


def test_request_durations_are_recorded_per_operation(upload_stack: UploadStack) -> None:
    _upload(upload_stack, "jon", os.urandom(1024))
    text = httpx.get(f"{upload_stack.url}/metrics").text
    for operation in ("create", "sign_batch", "complete"):
        count = metric_value(
            text, "mediainfra_upload_request_seconds_count", {"operation": operation}
        )
        assert count == 1, operation
