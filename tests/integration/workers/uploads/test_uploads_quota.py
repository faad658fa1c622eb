"""Quotas: atomic reservations, 413 with no upload created, notifications at thresholds."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from uploads_harness import UploadStack, metric_value

pytestmark = pytest.mark.integration


def _create(api: httpx.Client, size: int, name: str = "t.wav") -> httpx.Response:
    return api.post("/s3/multipart", json={"filename": name, "type": "audio/wav", "size": size})


def _events(stack: UploadStack) -> list[tuple[str, float | None]]:
    return sorted(
        (alert["event"], alert.get("threshold_percent")) for alert in stack.alerts(wait_s=0.2)
    )


def test_thresholds_notify_once_and_over_quota_is_413_without_upload(
    start_upload_stack: Callable[..., UploadStack],
) -> None:
    stack = start_upload_stack(quota_bytes=1000)
    with stack.client("ivy") as api:
        assert _create(api, 500).status_code == 200
        assert _events(stack) == []
        assert _create(api, 300).status_code == 200  # 80 %
        assert _create(api, 10).status_code == 200  # 81 %: nothing new
        assert _events(stack) == [("quota.threshold", 80.0)]
        assert _create(api, 140).status_code == 200  # 95 %: crosses 90 and 95 at once
        assert _events(stack) == [("quota.threshold", 90.0), ("quota.threshold", 95.0)]

        uploads_before = len(stack.multipart_uploads())
        refused = _create(api, 51)
        assert refused.status_code == 413
        assert refused.json()["error"] == "quota_exceeded"
        assert "50 bytes left of 1000" in refused.json()["message"]
        assert _create(api, 60).status_code == 413
        assert len(stack.multipart_uploads()) == uploads_before == 4
        assert _events(stack) == [("quota.exceeded", None)]

        assert _create(api, 50).status_code == 200  # exactly full is allowed
        assert _events(stack) == []

    exposition = httpx.get(f"{stack.url}/metrics").text
    assert metric_value(exposition, "mediainfra_upload_quota_rejections_total") == 2
    assert metric_value(exposition, "mediainfra_uploads_started_total") == 5


def test_abort_gives_quota_back_and_rearms_notifications(
    start_upload_stack: Callable[..., UploadStack],
) -> None:
    stack = start_upload_stack(quota_bytes=1000)
    with stack.client("jack") as api:
        big = _create(api, 900).json()
        assert _create(api, 200).status_code == 413
        assert _events(stack) == [
            ("quota.exceeded", None),
            ("quota.threshold", 80.0),
            ("quota.threshold", 90.0),
        ]
        api.delete(f"/s3/multipart/{big['uploadId']}", params={"key": big["key"]})
        assert _create(api, 200).status_code == 200
        assert _create(api, 700).status_code == 200  # 90 % again, after dropping to 20 %
        assert _events(stack) == [("quota.threshold", 80.0), ("quota.threshold", 90.0)]


def test_notification_carries_the_usage(start_upload_stack: Callable[..., UploadStack]) -> None:
    stack = start_upload_stack(quota_bytes=1000)
    with stack.client("kim") as api:
        _create(api, 850)
    (alert,) = stack.alerts()
    assert alert == {
        "event": "quota.threshold",
        "user_id": "kim",
        "threshold_percent": 80.0,
        "usage_percent": 85.0,
        "used_bytes": 0,
        "reserved_bytes": 850,
        "limit_bytes": 1000,
    }


def test_file_over_the_single_upload_limit_is_413(upload_stack: UploadStack) -> None:
    too_big = upload_stack.settings.quotas.max_upload_bytes + 1
    with upload_stack.client("max") as api:
        response = _create(api, too_big)
    assert response.status_code == 413
    assert response.json()["error"] == "file_too_large"
    assert upload_stack.multipart_uploads() == []


def test_quotas_are_per_user(start_upload_stack: Callable[..., UploadStack]) -> None:
    stack = start_upload_stack(quota_bytes=1000)
    with stack.client("ned") as ned, stack.client("ola") as ola:
        assert _create(ned, 1000).status_code == 200
        assert _create(ola, 1000).status_code == 200
        assert _create(ned, 1).status_code == 413
