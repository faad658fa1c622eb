"""Quarantine: copy an unsafe object to the `quarantine` bucket with tags, remove every
version of it from `incoming`, and alert through SNS. Safe to run twice (deterministic key;
a rerun after the source is gone only re-tags and re-alerts)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from stacks.settings import BucketRole, Settings
from workers.jobs import ObjectRef

_TAG_UNSAFE = re.compile(r"[^A-Za-z0-9 +\-=._:/@]")


def tag_value(text: str) -> str:
    """A string S3 accepts as a tag value (allowed characters, at most 256)."""
    return _TAG_UNSAFE.sub("_", text)[:256]


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def scan_tags(status: str, scanned_at: str, **extra: str) -> dict[str, Any]:
    """An S3 `Tagging` document: status, scanned-at and any extra tags."""
    tags = {"status": status, "scanned-at": scanned_at, **extra}
    return {"TagSet": [{"Key": k, "Value": tag_value(v)} for k, v in tags.items()]}


def quarantine_object(
    settings: Settings,
    s3: Any,
    source: ObjectRef,
    *,
    status: str,
    detail: dict[str, str],
    remove_source: bool = True,
) -> ObjectRef:
    """Move `source` to the quarantine bucket (same key) tagged `status` and `detail`.

    With `remove_source=False` the source stays (a content-addressed master that other
    references share); only a tagged copy is quarantined.
    """
    target = ObjectRef(bucket=settings.bucket_name(BucketRole.QUARANTINE), key=source.key)
    tagging = scan_tags(status, now_iso(), **detail)
    copy_source = {"Bucket": source.bucket, "Key": source.key}
    if source.version_id:
        copy_source["VersionId"] = source.version_id
    try:
        s3.copy(copy_source, target.bucket, target.key)  # managed: multipart over 5 GB
    except ClientError as exc:
        if not _missing(exc) or not _exists(s3, target):
            raise
    s3.put_object_tagging(Bucket=target.bucket, Key=target.key, Tagging=tagging)
    if remove_source:
        delete_all_versions(s3, source.bucket, source.key)
    return target


def delete_all_versions(s3: Any, bucket: str, key: str) -> int:
    """Delete every version and delete marker of one key; returns how many were deleted."""
    deleted = 0
    paginator = s3.get_paginator("list_object_versions")
    for page in paginator.paginate(Bucket=bucket, Prefix=key):
        entries = page.get("Versions", []) + page.get("DeleteMarkers", [])
        for entry in entries:
            if entry["Key"] != key:
                continue
            s3.delete_object(Bucket=bucket, Key=key, VersionId=entry["VersionId"])
            deleted += 1
    if deleted == 0:
        s3.delete_object(Bucket=bucket, Key=key)
    return deleted


def publish_alert(settings: Settings, sns: Any, severity: str, event: dict[str, Any]) -> str:
    """Publish a JSON alert to `alerts-<severity>`; returns the message id."""
    name = settings.resource_name(f"alerts-{severity}")
    arn = topic_arn(sns, name)
    subject = f"[{settings.stack}] {event.get('event', 'alert')}"[:100]
    response = sns.publish(TopicArn=arn, Subject=subject, Message=json.dumps(event, sort_keys=True))
    return str(response["MessageId"])


def topic_arn(sns: Any, name: str) -> str:
    """ARN of an existing topic by name; LookupError when there is none."""
    for page in sns.get_paginator("list_topics").paginate():
        for topic in page.get("Topics", []):
            if topic["TopicArn"].rsplit(":", 1)[-1] == name:
                return str(topic["TopicArn"])
    raise LookupError(f"SNS topic {name!r} does not exist")


def _exists(s3: Any, ref: ObjectRef) -> bool:
    try:
        s3.head_object(Bucket=ref.bucket, Key=ref.key)
    except ClientError as exc:
        if _missing(exc):
            return False
        raise
    return True


def _missing(exc: ClientError) -> bool:
    return exc.response.get("Error", {}).get("Code") in {"NoSuchKey", "404", "NoSuchVersion"}
