"""Content-addressed storage with reference counts that survive concurrency and redelivery.

`ContentStore.add` (one upload's content, already hashed into a local file):
1. adds the reference in one transaction: a conditional put of `ref#<id>` (so a redelivered
   job adds nothing) plus an atomic `ADD refcount 1` on `content#<hash>`;
2. makes sure the object exists: the writer whose conditional claim succeeds uploads it to
   `sha256/<aa>/<hash>` and then marks it `stored`; the others wait for that mark (or take
   over a claim older than the lease, e.g. when the first writer was killed).
`ContentStore.remove` deletes a reference and decrements; `workers.dedup.gc` collects.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from boto3.exceptions import S3UploadFailedError
from botocore.exceptions import BotoCoreError, ClientError

from workers.dedup.hashing import ContentDigest
from workers.dedup.tables import PARTITION_KEY, content_pk, ref_pk
from workers.errors import TransientJobError


class ReferenceNotFound(KeyError):
    """No reference with that id exists."""


@dataclass(frozen=True)
class DedupResult:
    """What `ContentStore.add` did."""

    sha256: str
    size: int
    bucket: str
    key: str
    stored_new: bool
    """True when this call uploaded the object (the first writer)."""
    reference_added: bool
    """False when the reference already existed (duplicate delivery): nothing was counted."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "sha256": self.sha256,
            "size": self.size,
            "bucket": self.bucket,
            "key": self.key,
            "stored_new": self.stored_new,
            "reference_added": self.reference_added,
        }


def _now() -> float:
    return time.time()


class ContentStore:
    """Reference-counted, content-addressed objects in S3 with their records in DynamoDB."""

    def __init__(
        self,
        s3: Any,
        dynamodb: Any,
        table: str,
        *,
        lease_seconds: float = 300.0,
        wait_poll_seconds: float = 0.1,
        clock: Callable[[], float] = _now,
    ) -> None:
        self.s3 = s3
        self.dynamodb = dynamodb
        self.table = table
        self.lease_seconds = lease_seconds
        self.wait_poll_seconds = wait_poll_seconds
        self.clock = clock

    # ------------------------------------------------------------------ add / remove

    def add(
        self,
        path: Path,
        digest: ContentDigest,
        bucket: str,
        reference_id: str,
        attributes: dict[str, str] | None = None,
    ) -> DedupResult:
        """Reference `digest` (whose bytes are in `path`) from `reference_id`; store it once."""
        added = self._add_reference(digest, bucket, reference_id, attributes or {})
        item = self._content(digest.sha256)
        if item is None:
            raise TransientJobError(f"content record {digest.sha256} vanished; retry")
        stored_bucket = item["bucket"]["S"]
        if item["state"]["S"] == "stored":
            stored_new = self._heal_if_missing(path, digest, stored_bucket)
        else:
            stored_new = self._store_once(path, digest, stored_bucket)
        return DedupResult(digest.sha256, digest.size, stored_bucket, digest.key, stored_new, added)

    def remove(self, reference_id: str) -> int:
        """Delete a reference and decrement its content's count; returns the new count."""
        ref = self.dynamodb.get_item(
            TableName=self.table,
            Key={PARTITION_KEY: {"S": ref_pk(reference_id)}},
            ConsistentRead=True,
        ).get("Item")
        if ref is None:
            raise ReferenceNotFound(reference_id)
        sha256 = ref["sha256"]["S"]
        try:
            self.dynamodb.transact_write_items(
                TransactItems=[
                    {
                        "Delete": {
                            "TableName": self.table,
                            "Key": {PARTITION_KEY: {"S": ref_pk(reference_id)}},
                            "ConditionExpression": "attribute_exists(pk)",
                        }
                    },
                    {
                        "Update": {
                            "TableName": self.table,
                            "Key": {PARTITION_KEY: {"S": content_pk(sha256)}},
                            "UpdateExpression": "ADD refcount :minus",
                            "ConditionExpression": "refcount > :zero",
                            "ExpressionAttributeValues": {
                                ":minus": {"N": "-1"},
                                ":zero": {"N": "0"},
                            },
                        }
                    },
                ]
            )
        except self.dynamodb.exceptions.TransactionCanceledException:
            raise ReferenceNotFound(reference_id) from None
        item = self._content(sha256)
        count = int(item["refcount"]["N"]) if item else 0
        if count == 0:
            self.mark_zero(sha256)
        return count

    def mark_zero(self, sha256: str) -> None:
        """Start the GC grace period of a content whose count is 0 (no-op otherwise)."""
        try:
            self.dynamodb.update_item(
                TableName=self.table,
                Key={PARTITION_KEY: {"S": content_pk(sha256)}},
                UpdateExpression="SET zero_since = :now",
                ConditionExpression="refcount = :zero AND attribute_not_exists(zero_since)",
                ExpressionAttributeValues={
                    ":now": {"N": repr(self.clock())},
                    ":zero": {"N": "0"},
                },
            )
        except ClientError as exc:
            if not _condition_failed(exc):
                raise

    def reference(self, reference_id: str) -> dict[str, str] | None:
        """A reference's record (sha256, bucket, attributes) or None."""
        item = self.dynamodb.get_item(
            TableName=self.table,
            Key={PARTITION_KEY: {"S": ref_pk(reference_id)}},
            ConsistentRead=True,
        ).get("Item")
        if item is None:
            return None
        return {name: value["S"] for name, value in item.items() if "S" in value}

    def refcount(self, sha256: str) -> int:
        """Current reference count of a content (0 when unknown)."""
        item = self._content(sha256)
        return int(item["refcount"]["N"]) if item else 0

    # ------------------------------------------------------------------ internals

    def _add_reference(
        self, digest: ContentDigest, bucket: str, reference_id: str, attributes: dict[str, str]
    ) -> bool:
        ref_item = {
            PARTITION_KEY: {"S": ref_pk(reference_id)},
            "sha256": {"S": digest.sha256},
            "bucket": {"S": bucket},
            "created_at": {"N": repr(self.clock())},
            **{f"attr_{k}": {"S": v} for k, v in attributes.items()},
        }
        try:
            self.dynamodb.transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": self.table,
                            "Item": ref_item,
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                    {
                        "Update": {
                            "TableName": self.table,
                            "Key": {PARTITION_KEY: {"S": content_pk(digest.sha256)}},
                            "UpdateExpression": (
                                "ADD refcount :one "
                                "SET #state = if_not_exists(#state, :pending), "
                                "#bucket = if_not_exists(#bucket, :bucket), "
                                "content_key = if_not_exists(content_key, :key), "
                                "#size = if_not_exists(#size, :size) "
                                "REMOVE zero_since"
                            ),
                            "ConditionExpression": (
                                "attribute_not_exists(pk) OR #state <> :deleting"
                            ),
                            "ExpressionAttributeNames": {
                                "#state": "state",
                                "#bucket": "bucket",
                                "#size": "size",
                            },
                            "ExpressionAttributeValues": {
                                ":one": {"N": "1"},
                                ":pending": {"S": "pending"},
                                ":deleting": {"S": "deleting"},
                                ":bucket": {"S": bucket},
                                ":key": {"S": digest.key},
                                ":size": {"N": str(digest.size)},
                            },
                        }
                    },
                ]
            )
        except self.dynamodb.exceptions.TransactionCanceledException:
            existing = self.reference(reference_id)
            if existing is None:
                raise TransientJobError(
                    f"content {digest.sha256} is being garbage-collected; retry"
                ) from None
            if existing["sha256"] != digest.sha256:
                raise TransientJobError(
                    f"reference {reference_id} already points to {existing['sha256']}"
                ) from None
            return False
        return True

    def _store_once(self, path: Path, digest: ContentDigest, bucket: str) -> bool:
        """Upload the object if we win (or take over) the claim, else wait until it is stored."""
        token = uuid.uuid4().hex
        # Wait at most half a lease: the lease is the queue's visibility timeout, and the
        # message must not reappear to another worker while this one is still waiting.
        deadline = self.clock() + self.lease_seconds / 2
        while True:
            if self._claim(digest.sha256, token):
                self._upload(path, digest, bucket, token)
                self._mark_stored(digest.sha256, token)
                return True
            item = self._content(digest.sha256)
            if item is not None and item["state"]["S"] == "stored":
                return False
            if self.clock() >= deadline:
                raise TransientJobError(f"content {digest.sha256} is still being stored; retry")
            time.sleep(self.wait_poll_seconds)

    def _upload(self, path: Path, digest: ContentDigest, bucket: str, token: str) -> None:
        """Upload the content; on failure give the claim back so a retry need not wait."""
        try:
            self.s3.upload_file(str(path), bucket, digest.key)
        except (ClientError, BotoCoreError, S3UploadFailedError, OSError) as exc:
            self._release(digest.sha256, token)
            raise TransientJobError(f"storing {digest.key} in {bucket} failed: {exc}") from exc

    def _heal_if_missing(self, path: Path, digest: ContentDigest, bucket: str) -> bool:
        """Re-upload a `stored` content whose object is gone (same bytes, same key)."""
        try:
            self.s3.head_object(Bucket=bucket, Key=digest.key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") not in {"404", "NoSuchKey"}:
                raise TransientJobError(f"head of {digest.key} failed: {exc}") from exc
            try:
                self.s3.upload_file(str(path), bucket, digest.key)
            except (ClientError, BotoCoreError, S3UploadFailedError, OSError) as upload_exc:
                raise TransientJobError(f"re-storing {digest.key} failed: {upload_exc}") from exc
            return True
        return False

    def _release(self, sha256: str, token: str) -> None:
        try:
            self.dynamodb.update_item(
                TableName=self.table,
                Key={PARTITION_KEY: {"S": content_pk(sha256)}},
                UpdateExpression="REMOVE claimed_by, claimed_at",
                ConditionExpression="claimed_by = :token",
                ExpressionAttributeValues={":token": {"S": token}},
            )
        except ClientError as exc:
            if not _condition_failed(exc):
                raise

    def _claim(self, sha256: str, token: str) -> bool:
        now = self.clock()
        try:
            self.dynamodb.update_item(
                TableName=self.table,
                Key={PARTITION_KEY: {"S": content_pk(sha256)}},
                UpdateExpression="SET claimed_by = :token, claimed_at = :now",
                ConditionExpression=(
                    "#state = :pending AND "
                    "(attribute_not_exists(claimed_by) OR claimed_at < :expired)"
                ),
                ExpressionAttributeNames={"#state": "state"},
                ExpressionAttributeValues={
                    ":token": {"S": token},
                    ":now": {"N": repr(now)},
                    ":expired": {"N": repr(now - self.lease_seconds)},
                    ":pending": {"S": "pending"},
                },
            )
        except ClientError as exc:
            if _condition_failed(exc):
                return False
            raise
        return True

    def _mark_stored(self, sha256: str, token: str) -> None:
        try:
            self.dynamodb.update_item(
                TableName=self.table,
                Key={PARTITION_KEY: {"S": content_pk(sha256)}},
                UpdateExpression="SET #state = :stored, stored_at = :now REMOVE claimed_by",
                ConditionExpression="claimed_by = :token AND #state = :pending",
                ExpressionAttributeNames={"#state": "state"},
                ExpressionAttributeValues={
                    ":stored": {"S": "stored"},
                    ":pending": {"S": "pending"},
                    ":now": {"N": repr(self.clock())},
                    ":token": {"S": token},
                },
            )
        except ClientError as exc:
            if not _condition_failed(exc):
                raise
            item = self._content(sha256)
            if item is None or item["state"]["S"] != "stored":
                raise TransientJobError(
                    f"lost the claim on {sha256} while storing; retry"
                ) from None

    def _content(self, sha256: str) -> dict[str, Any] | None:
        return self.dynamodb.get_item(
            TableName=self.table,
            Key={PARTITION_KEY: {"S": content_pk(sha256)}},
            ConsistentRead=True,
        ).get("Item")


def _condition_failed(exc: ClientError) -> bool:
    return exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"
