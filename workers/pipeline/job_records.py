"""Job records in the `jobs` table: what makes a redelivered job a no-op.

Partition key `pk` = the job id. `mark_done` is a conditional write (only the first
completion is recorded), and the runner checks `is_done` before running a handler, so a
second delivery of a completed job does nothing.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from workers.dedup.tables import PARTITION_KEY

_RESULT_LIMIT = 300_000


class JobRecords:
    """Completion and failure records of jobs, keyed by job id."""

    def __init__(self, dynamodb: Any, table: str, clock: Callable[[], float] = time.time) -> None:
        self.dynamodb = dynamodb
        self.table = table
        self.clock = clock

    def get(self, job_id: str) -> dict[str, Any] | None:
        """The record of a job (status, kind, result or reason), or None."""
        item = self.dynamodb.get_item(
            TableName=self.table, Key={PARTITION_KEY: {"S": job_id}}, ConsistentRead=True
        ).get("Item")
        if item is None:
            return None
        record: dict[str, Any] = {name: next(iter(value.values())) for name, value in item.items()}
        if "result" in record:
            record["result"] = json.loads(record["result"])
        return record

    def is_done(self, job_id: str) -> bool:
        record = self.get(job_id)
        return record is not None and record.get("status") == "done"

    def mark_done(self, job_id: str, kind: str, result: dict[str, Any]) -> bool:
        """Record a completion; False when the job was already recorded as done."""
        body = json.dumps(result, default=str)
        if len(body) > _RESULT_LIMIT:
            body = json.dumps({"truncated": True})
        return self._put(job_id, kind, "done", {"result": {"S": body}})

    def mark_failed(self, job_id: str, kind: str, status: str, reason: str) -> bool:
        """Record a permanent failure or a quarantine (`status`) with its reason."""
        return self._put(job_id, kind, status, {"reason": {"S": reason[:2000]}})

    def _put(self, job_id: str, kind: str, status: str, extra: dict[str, Any]) -> bool:
        try:
            self.dynamodb.put_item(
                TableName=self.table,
                Item={
                    PARTITION_KEY: {"S": job_id},
                    "kind": {"S": kind},
                    "status": {"S": status},
                    "finished_at": {"N": repr(self.clock())},
                    **extra,
                },
                ConditionExpression="attribute_not_exists(pk) OR #status <> :done",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={":done": {"S": "done"}},
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise
        return True
