"""The DynamoDB table behind dedup (`content-refs`): its schema and a create-if-missing helper.

One partition key `pk` (string), two item types:
- `content#<sha256>`: bucket, key, size, refcount (atomic ADD), state
  (`pending` -> `stored` -> `deleting`), claimed_by/claimed_at (who stores the object),
  zero_since (when refcount reached 0; GC clock).
- `ref#<reference id>`: one reference (an upload) to a content hash; its conditional put is
  what makes adding a reference idempotent.
"""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger(__name__)

PARTITION_KEY = "pk"


def content_pk(sha256: str) -> str:
    return f"content#{sha256}"


def ref_pk(reference_id: str) -> str:
    return f"ref#{reference_id}"


def ensure_table(dynamodb: Any, name: str, partition_key: str = PARTITION_KEY) -> None:
    """Create an on-demand table with a string partition key unless it exists; wait for it."""
    existing = dynamodb.list_tables().get("TableNames", [])
    if name in existing:
        return
    try:
        dynamodb.create_table(
            TableName=name,
            AttributeDefinitions=[{"AttributeName": partition_key, "AttributeType": "S"}],
            KeySchema=[{"AttributeName": partition_key, "KeyType": "HASH"}],
            BillingMode="PAY_PER_REQUEST",
        )
    except dynamodb.exceptions.ResourceInUseException:
        log.debug("table %s was created concurrently", name)
    dynamodb.get_waiter("table_exists").wait(TableName=name)
