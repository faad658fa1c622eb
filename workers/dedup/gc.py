"""Dedup accounting and garbage collection over the `content-refs` table.

GC removes an object (stored, or `pending`: a store that never finished) only when its
count has been 0 for the grace period, in three conditional steps so a concurrent new
reference never loses its object: mark the record `deleting` (only if still 0 and
unchanged), delete the S3 object, delete the record. A reference added meanwhile sees
`deleting`, fails its condition and retries later.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from workers.dedup.tables import PARTITION_KEY

DEFAULT_GRACE_SECONDS = 7 * 24 * 3600.0


@dataclass(frozen=True)
class DedupStats:
    """Totals over every content record."""

    contents: int
    stored_objects: int
    references: int
    stored_bytes: int
    logical_bytes: int
    """What storage would hold without dedup: size x references."""
    unreferenced: int

    @property
    def bytes_saved(self) -> int:
        return max(self.logical_bytes - self.stored_bytes, 0)

    def as_dict(self) -> dict[str, int]:
        return {**asdict(self), "bytes_saved": self.bytes_saved}


@dataclass
class GcReport:
    """What one GC pass did."""

    examined: int = 0
    started_grace: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    bytes_freed: int = 0
    skipped: int = 0


def content_items(dynamodb: Any, table: str) -> Iterator[dict[str, Any]]:
    """Every `content#` record (consistent scan, paginated)."""
    paginator = dynamodb.get_paginator("scan")
    pages = paginator.paginate(
        TableName=table,
        ConsistentRead=True,
        FilterExpression="begins_with(pk, :prefix)",
        ExpressionAttributeValues={":prefix": {"S": "content#"}},
    )
    for page in pages:
        yield from page.get("Items", [])


def dedup_stats(dynamodb: Any, table: str) -> DedupStats:
    """Contents, references and bytes saved by storing each distinct content once."""
    contents = stored = references = stored_bytes = logical = unreferenced = 0
    for item in content_items(dynamodb, table):
        contents += 1
        size = int(item["size"]["N"])
        count = int(item["refcount"]["N"])
        references += count
        logical += size * count
        if item["state"]["S"] in ("stored", "deleting"):
            stored += 1
            stored_bytes += size
        if count == 0:
            unreferenced += 1
    return DedupStats(contents, stored, references, stored_bytes, logical, unreferenced)


def collect_garbage(
    s3: Any,
    dynamodb: Any,
    table: str,
    *,
    grace_seconds: float = DEFAULT_GRACE_SECONDS,
    dry_run: bool = False,
    clock: Callable[[], float] = time.time,
) -> GcReport:
    """Delete objects whose reference count has been 0 for at least `grace_seconds`."""
    report = GcReport()
    now = clock()
    for item in content_items(dynamodb, table):
        report.examined += 1
        if int(item["refcount"]["N"]) != 0:
            continue
        sha256 = item["pk"]["S"].removeprefix("content#")
        if "zero_since" not in item:
            if not dry_run and _condition(dynamodb, table, item, "SET zero_since = :now", now):
                report.started_grace.append(sha256)
            if grace_seconds > 0:
                continue
            item = {**item, "zero_since": {"N": repr(now)}}
        if float(item["zero_since"]["N"]) > now - grace_seconds:
            continue
        if dry_run:
            report.deleted.append(sha256)
            report.bytes_freed += int(item["size"]["N"])
            continue
        resuming = item["state"]["S"] == "deleting"  # a GC pass was killed midway
        if not resuming and not _mark_deleting(dynamodb, table, item):
            report.skipped += 1
            continue
        s3.delete_object(Bucket=item["bucket"]["S"], Key=item["content_key"]["S"])
        dynamodb.delete_item(
            TableName=table,
            Key={PARTITION_KEY: item["pk"]},
            ConditionExpression="#state = :deleting",
            ExpressionAttributeNames={"#state": "state"},
            ExpressionAttributeValues={":deleting": {"S": "deleting"}},
        )
        report.deleted.append(sha256)
        report.bytes_freed += int(item["size"]["N"])
    return report


def _condition(dynamodb: Any, table: str, item: dict[str, Any], update: str, now: float) -> bool:
    try:
        dynamodb.update_item(
            TableName=table,
            Key={PARTITION_KEY: item["pk"]},
            UpdateExpression=update,
            ConditionExpression="refcount = :zero AND attribute_not_exists(zero_since)",
            ExpressionAttributeValues={":now": {"N": repr(now)}, ":zero": {"N": "0"}},
        )
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            return False
        raise
    return True


def _mark_deleting(dynamodb: Any, table: str, item: dict[str, Any]) -> bool:
    """Claim a record for deletion only if it is still unreferenced and unchanged."""
    try:
        dynamodb.update_item(
            TableName=table,
            Key={PARTITION_KEY: item["pk"]},
            UpdateExpression="SET #state = :deleting",
            ConditionExpression=(
                "refcount = :zero AND zero_since = :since AND #state IN (:stored, :pending)"
            ),
            ExpressionAttributeNames={"#state": "state"},
            ExpressionAttributeValues={
                ":deleting": {"S": "deleting"},
                ":stored": {"S": "stored"},
                ":pending": {"S": "pending"},
                ":zero": {"N": "0"},
                ":since": item["zero_since"],
            },
        )
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            return False
        raise
    return True
