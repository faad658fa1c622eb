"""S3 event notifications from the `incoming` bucket, turned into scan jobs.

Keys arrive percent-encoded with `+` for spaces: `unquote_plus`. The test event S3 sends
when a notification is configured (`s3:TestEvent`) yields no job.
"""

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import unquote_plus

from workers.jobs import JobMessage, ObjectRef


class NotAnS3Event(ValueError):
    """The message body is not an S3 event notification."""


def is_s3_event(body: Any) -> bool:
    """True for an S3 notification document (records or the test event)."""
    if not isinstance(body, dict):
        return False
    if body.get("Event") == "s3:TestEvent":
        return True
    records = body.get("Records")
    return isinstance(records, list) and all(
        isinstance(r, dict) and r.get("eventSource") == "aws:s3" for r in records
    )


def scan_jobs_from_event(body: dict[str, Any]) -> list[JobMessage]:
    """One scan job per `ObjectCreated:*` record; other events and the test event yield none."""
    if not is_s3_event(body):
        raise NotAnS3Event("not an S3 event notification")
    jobs = []
    for record in body.get("Records", []):
        if not str(record.get("eventName", "")).startswith("ObjectCreated:"):
            continue
        try:
            bucket = record["s3"]["bucket"]["name"]
            obj = record["s3"]["object"]
            key = unquote_plus(obj["key"])
        except (KeyError, TypeError) as exc:
            raise NotAnS3Event(f"S3 record without bucket/key: {exc}") from None
        version = obj.get("versionId") or None
        identity = "\n".join(
            [bucket, key, version or "", obj.get("eTag", ""), obj.get("sequencer", "")]
        )
        jobs.append(
            JobMessage(
                job_id=f"scan-{hashlib.sha256(identity.encode()).hexdigest()[:40]}",
                kind="scan",
                role="upload",
                source=ObjectRef(bucket=bucket, key=key, version_id=version),
                user_id=key.split("/", 1)[0] if "/" in key else None,
                attributes={
                    "event": str(record.get("eventName")),
                    "size": str(obj.get("size", "")),
                },
            )
        )
    return jobs
