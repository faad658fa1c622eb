"""Synthetic AWS-format access logs for the audit tests (a helper module, not a test)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from analytics.access_log import AccessRecord

START = datetime(2026, 3, 1, tzinfo=UTC)


def record(
    principal: str,
    hour: float,
    operation: str = "REST.GET.OBJECT",
    key: str = "t/master.wav",
    status: int = 200,
    size: int | None = 1000,
    ip: str = "10.0.0.1",
    bucket: str = "media-masters-local",
) -> AccessRecord:
    return AccessRecord(
        bucket_owner="owner",
        bucket=bucket,
        time=START + timedelta(hours=hour),
        remote_ip=ip,
        requester=f"arn:aws:iam::1:user/{principal}",
        request_id=f"R{round(hour * 1e6)}",
        operation=operation,
        key=key,
        request_uri=f"GET /{key} HTTP/1.1",
        http_status=status,
        error_code="AccessDenied" if status == 403 else None,
        bytes_sent=size if operation == "REST.GET.OBJECT" else None,
        object_size=size,
        total_time_ms=5,
        turn_around_time_ms=4,
        referer=None,
        user_agent="Boto3/1.0",
    )


def normal_day(hours: int = 24, users: tuple[str, ...] = ("alice", "bob", "carol")) -> list:
    """Each user downloads 3-5 objects every hour (deterministic jitter)."""
    out = []
    for hour in range(hours):
        for index, user in enumerate(users):
            for n in range(3 + (hour + index) % 3):
                out.append(record(user, hour + n / 10, key=f"{user}/{n}.mp3"))
    return out
