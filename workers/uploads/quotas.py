"""Per-user storage quotas in DynamoDB: usage, reservations, threshold notifications.

One item per user in the quotas table (hash key `user_id`, a string):
`used_bytes` (completed uploads), `reserved_bytes` (uploads in progress), `total_bytes`
(their sum, kept in the same writes so one conditional expression can check it),
`limit_bytes` (optional per-user override of the stack default), `reservations` (a map
upload ref -> {size, part_size, created_at}), `notified` (string set of thresholds already
announced) and `exceeded_notified`. Every change is a conditional write, so concurrent
uploads of one user can never reserve more than the quota, and releasing or committing twice
is a no-op.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from workers.uploads.notify import QuotaNotifier

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8


class QuotaExceededError(Exception):
    """A reservation that would take the user over their quota; nothing was reserved."""

    def __init__(self, user_id: str, requested: int, usage: QuotaUsage) -> None:
        self.user_id = user_id
        self.requested = requested
        self.usage = usage
        super().__init__(
            f"quota exceeded: uploading {requested} bytes needs more than the "
            f"{usage.free_bytes} bytes left of {usage.limit_bytes} "
            f"({usage.used_bytes} used, {usage.reserved_bytes} reserved by uploads in progress)"
        )


class QuotaContentionError(Exception):
    """Too many concurrent writers on one user's quota item; the caller may retry."""


@dataclass(frozen=True)
class QuotaUsage:
    """A user's usage at one moment."""

    used_bytes: int
    reserved_bytes: int
    limit_bytes: int

    @property
    def total_bytes(self) -> int:
        return self.used_bytes + self.reserved_bytes

    @property
    def free_bytes(self) -> int:
        return max(0, self.limit_bytes - self.total_bytes)

    @property
    def percent(self) -> float:
        return 100.0 * self.total_bytes / self.limit_bytes


@dataclass(frozen=True)
class Reservation:
    """Bytes held for one upload in progress."""

    upload_ref: str
    size: int
    part_size: int
    created_at: int = 0
    """Unix time of the reservation (0 for entries written without it)."""


def _reservation(upload_ref: str, entry: dict[str, Any]) -> Reservation:
    values = entry["M"]
    return Reservation(
        upload_ref,
        int(values["size"]["N"]),
        int(values["part_size"]["N"]),
        int(values.get("created_at", {}).get("N", "0")),
    )


def _conditional_failed(exc: ClientError) -> bool:
    return exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


def _returned_item(exc: ClientError) -> dict[str, Any] | None:
    """The item a refused condition returned (`ReturnValuesOnConditionCheckFailure=ALL_OLD`)."""
    item = exc.response.get("Item")
    return item if isinstance(item, dict) else None


def _threshold_label(percent: float) -> str:
    return f"{percent:g}"


class QuotaStore:
    """Reads and changes user quotas in one DynamoDB table (a boto3 DynamoDB client)."""

    def __init__(
        self,
        dynamodb: Any,
        table: str,
        *,
        default_limit_bytes: int,
        notify_percents: tuple[float, ...],
        notifier: QuotaNotifier | None = None,
    ) -> None:
        self._db = dynamodb
        self._table = table
        self._default_limit = default_limit_bytes
        self._percents = tuple(sorted(notify_percents))
        self._notifier = notifier

    # ------------------------------------------------------------------ reads

    def _item(self, user_id: str) -> dict[str, Any] | None:
        response = self._db.get_item(
            TableName=self._table, Key={"user_id": {"S": user_id}}, ConsistentRead=True
        )
        return response.get("Item")

    def _usage_of(self, item: dict[str, Any] | None) -> QuotaUsage:
        if item is None:
            return QuotaUsage(0, 0, self._default_limit)
        limit = int(item["limit_bytes"]["N"]) if "limit_bytes" in item else self._default_limit
        return QuotaUsage(int(item["used_bytes"]["N"]), int(item["reserved_bytes"]["N"]), limit)

    def usage(self, user_id: str) -> QuotaUsage:
        """Current usage of `user_id` (zero for a user never seen)."""
        return self._usage_of(self._item(user_id))

    def reservation(self, user_id: str, upload_ref: str) -> Reservation | None:
        """The reservation of an upload in progress, or None (unknown, completed or aborted).

        Reads only that entry of the item, not the user's other uploads in progress.
        """
        response = self._db.get_item(
            TableName=self._table,
            Key={"user_id": {"S": user_id}},
            ConsistentRead=True,
            ProjectionExpression="reservations.#ref",
            ExpressionAttributeNames={"#ref": upload_ref},
        )
        item = response.get("Item") or {}
        entry = item.get("reservations", {}).get("M", {}).get(upload_ref)
        return None if entry is None else _reservation(upload_ref, entry)

    def reservations_older_than(self, cutoff: float) -> Iterator[tuple[str, Reservation]]:
        """(user id, reservation) of every upload in progress reserved before `cutoff`."""
        pages = self._db.get_paginator("scan").paginate(
            TableName=self._table,
            ProjectionExpression="user_id, reservations",
            ConsistentRead=True,
        )
        for page in pages:
            for item in page.get("Items", []):
                for ref, entry in item.get("reservations", {}).get("M", {}).items():
                    reservation = _reservation(ref, entry)
                    if reservation.created_at < cutoff:
                        yield item["user_id"]["S"], reservation

    # ------------------------------------------------------------------ writes

    def _create_item(self, user_id: str) -> dict[str, Any]:
        """Store an empty item for `user_id` unless one exists; returns the item stored."""
        fresh = {
            "user_id": {"S": user_id},
            "used_bytes": {"N": "0"},
            "reserved_bytes": {"N": "0"},
            "total_bytes": {"N": "0"},
            "reservations": {"M": {}},
            "exceeded_notified": {"BOOL": False},
        }
        try:
            self._db.put_item(
                TableName=self._table,
                Item=fresh,
                ConditionExpression="attribute_not_exists(user_id)",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as exc:
            if not _conditional_failed(exc):
                raise
            return _returned_item(exc) or self._item(user_id) or fresh
        return fresh

    def set_limit(self, user_id: str, limit_bytes: int) -> None:
        """Give `user_id` its own quota instead of the stack default."""
        if limit_bytes <= 0:
            raise ValueError(f"limit must be positive, got {limit_bytes}")
        self._create_item(user_id)
        self._db.update_item(
            TableName=self._table,
            Key={"user_id": {"S": user_id}},
            UpdateExpression="SET limit_bytes = :limit",
            ExpressionAttributeValues={":limit": {"N": str(limit_bytes)}},
        )

    def reserve(self, user_id: str, upload_ref: str, size: int, part_size: int) -> QuotaUsage:
        """Hold `size` bytes for an upload, atomically; `QuotaExceededError` when they don't fit.

        The first write assumes a stored item under the default limit and its condition
        decides (one DynamoDB call for a known user). A refusal returns the stored item, which
        decides the next attempt: quota exceeded, own limit, new user (item created first),
        or a concurrent writer.
        """
        if size <= 0:
            raise ValueError(f"size must be positive, got {size}")
        item: dict[str, Any] | None = None
        for _ in range(MAX_ATTEMPTS):
            before = self._usage_of(item)
            if item is not None and size > before.limit_bytes - before.total_bytes:
                self._announce_exceeded(user_id, size, before)
                raise QuotaExceededError(user_id, size, before)
            try:
                response = self._reserve_if_room(user_id, upload_ref, size, part_size, item)
            except ClientError as exc:
                if not _conditional_failed(exc):
                    raise
                item = _returned_item(exc) or self._create_item(user_id)
                continue
            after = self._usage_of(response["Attributes"])
            self._announce_thresholds(user_id, after, response["Attributes"])
            return after
        raise QuotaContentionError(f"could not reserve quota for {user_id!r}: too much contention")

    def _reserve_if_room(
        self,
        user_id: str,
        upload_ref: str,
        size: int,
        part_size: int,
        item: dict[str, Any] | None,
    ) -> dict[str, Any]:
        """The conditional reservation write, its limit taken from `item` (None: the default)."""
        own_limit = (item or {}).get("limit_bytes")
        limit = self._usage_of(item).limit_bytes
        limit_check = "attribute_not_exists(#limit)" if own_limit is None else "#limit = :limit"
        values: dict[str, Any] = {
            ":n": {"N": str(size)},
            ":room": {"N": str(limit - size)},
            ":entry": {
                "M": {
                    "size": {"N": str(size)},
                    "part_size": {"N": str(part_size)},
                    "created_at": {"N": str(int(time.time()))},
                }
            },
        }
        if own_limit is not None:
            values[":limit"] = own_limit
        response: dict[str, Any] = self._db.update_item(
            TableName=self._table,
            Key={"user_id": {"S": user_id}},
            UpdateExpression=(
                "SET reservations.#ref = :entry, reserved_bytes = reserved_bytes + :n, "
                "total_bytes = total_bytes + :n"
            ),
            ConditionExpression=(
                f"total_bytes <= :room AND {limit_check} "
                "AND attribute_not_exists(reservations.#ref)"
            ),
            ExpressionAttributeNames={"#ref": upload_ref, "#limit": "limit_bytes"},
            ExpressionAttributeValues=values,
            ReturnValues="ALL_NEW",
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
        return response

    def _settle(
        self, user_id: str, upload_ref: str, *, keep: bool, known: Reservation | None = None
    ) -> Reservation | None:
        reservation = known if known is not None else self.reservation(user_id, upload_ref)
        if reservation is None or reservation.upload_ref != upload_ref:
            return None
        total_change = "" if keep else ", total_bytes = total_bytes - :n"
        used_change = ", used_bytes = used_bytes + :n" if keep else ""
        try:
            self._db.update_item(
                TableName=self._table,
                Key={"user_id": {"S": user_id}},
                UpdateExpression=(
                    f"REMOVE reservations.#ref SET reserved_bytes = reserved_bytes - :n"
                    f"{used_change}{total_change}"
                ),
                ConditionExpression="reservations.#ref.#size = :n",
                ExpressionAttributeNames={"#ref": upload_ref, "#size": "size"},
                ExpressionAttributeValues={":n": {"N": str(reservation.size)}},
            )
        except ClientError as exc:
            if not _conditional_failed(exc):
                raise
            return None
        return reservation

    def commit(
        self, user_id: str, upload_ref: str, reservation: Reservation | None = None
    ) -> Reservation | None:
        """Turn a completed upload's reservation into usage; None when there was none.

        Pass the `reservation` already read to save a read: the write is still conditional
        on that reservation being stored with that size, so a stale one changes nothing.
        """
        return self._settle(user_id, upload_ref, keep=True, known=reservation)

    def release(self, user_id: str, upload_ref: str) -> Reservation | None:
        """Give back an aborted upload's reservation; None when there was none."""
        released = self._settle(user_id, upload_ref, keep=False)
        if released is not None:
            self._rearm(user_id)
        return released

    def release_used(self, user_id: str, size: int) -> QuotaUsage:
        """Give back `size` bytes of stored content (deleted by its owner)."""
        try:
            response = self._db.update_item(
                TableName=self._table,
                Key={"user_id": {"S": user_id}},
                UpdateExpression="SET used_bytes = used_bytes - :n, total_bytes = total_bytes - :n",
                ConditionExpression="used_bytes >= :n",
                ExpressionAttributeValues={":n": {"N": str(size)}},
                ReturnValues="ALL_NEW",
            )
        except ClientError as exc:
            if _conditional_failed(exc):
                raise ValueError(f"{user_id!r} has fewer than {size} bytes in use") from exc
            raise
        self._rearm(user_id)
        return self._usage_of(response["Attributes"])

    # ------------------------------------------------------------------ notifications

    def _announce_thresholds(self, user_id: str, usage: QuotaUsage, item: dict[str, Any]) -> None:
        already = set(item.get("notified", {}).get("SS", []))
        for percent in self._percents:
            label = _threshold_label(percent)
            if usage.percent < percent or label in already:
                continue
            marked = self._mark(
                user_id,
                "ADD notified :t",
                "attribute_not_exists(notified) OR NOT contains(notified, :one)",
                {":t": {"SS": [label]}, ":one": {"S": label}},
            )
            if not marked:
                continue
            if self._notifier is not None and not self._notifier.threshold(user_id, percent, usage):
                self._unmark(user_id, "DELETE notified :t", {":t": {"SS": [label]}})

    def _announce_exceeded(self, user_id: str, requested: int, usage: QuotaUsage) -> None:
        marked = self._mark(
            user_id,
            "SET exceeded_notified = :yes",
            "attribute_not_exists(exceeded_notified) OR exceeded_notified = :no",
            {":yes": {"BOOL": True}, ":no": {"BOOL": False}},
        )
        if not marked:
            return
        if self._notifier is not None and not self._notifier.exceeded(user_id, requested, usage):
            self._unmark(user_id, "SET exceeded_notified = :no", {":no": {"BOOL": False}})

    def _mark(self, user_id: str, update: str, condition: str, values: dict[str, Any]) -> bool:
        """Apply `update` only when `condition` holds; False when another writer got there first."""
        try:
            self._db.update_item(
                TableName=self._table,
                Key={"user_id": {"S": user_id}},
                UpdateExpression=update,
                ConditionExpression=condition,
                ExpressionAttributeValues=values,
            )
        except ClientError as exc:
            if not _conditional_failed(exc):
                raise
            return False
        return True

    def _unmark(self, user_id: str, update: str, values: dict[str, Any]) -> None:
        self._db.update_item(
            TableName=self._table,
            Key={"user_id": {"S": user_id}},
            UpdateExpression=update,
            ExpressionAttributeValues=values,
        )

    def _rearm(self, user_id: str) -> None:
        """Forget thresholds now above the usage, so crossing them again notifies again."""
        item = self._item(user_id)
        if item is None:
            return
        usage = self._usage_of(item)
        above = [
            label
            for label in item.get("notified", {}).get("SS", [])
            if float(label) > usage.percent
        ]
        if above:
            self._unmark(user_id, "DELETE notified :t", {":t": {"SS": above}})
        if item.get("exceeded_notified", {}).get("BOOL"):
            self._unmark(user_id, "SET exceeded_notified = :no", {":no": {"BOOL": False}})
