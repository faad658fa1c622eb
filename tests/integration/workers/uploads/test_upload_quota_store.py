"""`QuotaStore` against DynamoDB and SNS in moto: idempotent settling, limits, SNS failures."""

from __future__ import annotations

import uuid
from unittest.mock import patch

import pytest
from botocore.exceptions import ClientError
from uploads_harness import UploadStack

from workers.uploads.notify import QuotaNotifier, find_topic_arn
from workers.uploads.quotas import QuotaExceededError, QuotaStore, Reservation

pytestmark = pytest.mark.integration


def _store(stack: UploadStack, limit: int = 1000) -> tuple[QuotaStore, QuotaNotifier]:
    topic = find_topic_arn(stack.sns, stack.settings.resource_name("alerts-warning"))
    notifier = QuotaNotifier(stack.sns, topic)
    store = QuotaStore(
        stack.dynamodb,
        stack.settings.resource_name("quotas"),
        default_limit_bytes=limit,
        notify_percents=(80.0, 90.0, 95.0),
        notifier=notifier,
    )
    return store, notifier


def _ref() -> str:
    return uuid.uuid4().hex


def test_commit_and_release_are_idempotent(upload_stack: UploadStack) -> None:
    store, _ = _store(upload_stack)
    kept, dropped = _ref(), _ref()
    store.reserve("amy", kept, 300, 5)
    store.reserve("amy", dropped, 200, 5)
    assert store.commit("amy", kept) is not None
    assert store.commit("amy", kept) is None
    assert store.release("amy", dropped) is not None
    assert store.release("amy", dropped) is None
    assert store.release("amy", kept) is None
    usage = store.usage("amy")
    assert (usage.used_bytes, usage.reserved_bytes, usage.total_bytes) == (300, 0, 300)
    assert store.release_used("amy", 300).total_bytes == 0
    with pytest.raises(ValueError, match="fewer than"):
        store.release_used("amy", 1)


def test_a_reservation_decided_on_a_stale_read_is_refused_by_the_condition(
    upload_stack: UploadStack,
) -> None:
    """Two creates race: both decide on 0 % used, the second write must fail its condition.

    (moto's DynamoDB does not serialise concurrent requests, so a race with threads there
    can lose updates that DynamoDB would refuse; the interleaving is forced here instead.)
    """
    store, _ = _store(upload_stack, limit=1000)
    stale = store._create_item("eli")
    store.reserve("eli", _ref(), 600, 5)
    with pytest.raises(ClientError) as refused:
        store._reserve_if_room("eli", _ref(), 600, 5, stale)
    assert refused.value.response["Error"]["Code"] == "ConditionalCheckFailedException"
    usage = store.usage("eli")
    assert (usage.reserved_bytes, usage.total_bytes) == (600, 600)


def test_reserve_writes_first_and_decides_on_the_item_the_refusal_returns(
    upload_stack: UploadStack,
) -> None:
    """No read before the write: a refused condition hands back the stored item, which
    decides the next step (here: quota exceeded, without a second write)."""
    store, _ = _store(upload_stack, limit=1000)
    store.reserve("gus", _ref(), 600, 5)
    real = store._reserve_if_room
    decided_on: list[dict | None] = []

    def record(*args: object) -> dict:
        decided_on.append(args[-1])  # type: ignore[arg-type]
        return real(*args)  # type: ignore[arg-type]

    with (
        patch.object(store, "_reserve_if_room", side_effect=record),
        patch.object(store, "_item", wraps=store._item) as read,
        pytest.raises(QuotaExceededError) as exceeded,
    ):
        store.reserve("gus", _ref(), 600, 5)
    assert decided_on == [None]
    assert read.call_count == 0
    assert exceeded.value.usage.total_bytes == 600
    assert store.usage("gus").total_bytes == 600


def test_commit_with_a_stale_reservation_changes_nothing(upload_stack: UploadStack) -> None:
    store, _ = _store(upload_stack, limit=1000)
    ref = _ref()
    store.reserve("hal", ref, 300, 5)
    assert store.commit("hal", ref, Reservation(ref, 299, 5)) is None
    assert store.commit("hal", _ref(), Reservation(ref, 300, 5)) is None
    usage = store.usage("hal")
    assert (usage.used_bytes, usage.reserved_bytes) == (0, 300)
    held = store.reservation("hal", ref)
    assert held == Reservation(ref, 300, 5, held.created_at if held else 0)
    assert store.commit("hal", ref, held) == held
    usage = store.usage("hal")
    assert (usage.used_bytes, usage.reserved_bytes, usage.total_bytes) == (300, 0, 300)


def test_sequential_creates_fill_the_quota_exactly(upload_stack: UploadStack) -> None:
    store, _ = _store(upload_stack, limit=1000)
    outcomes = []
    for _ in range(7):
        try:
            store.reserve("fay", _ref(), 200, 5)
            outcomes.append("ok")
        except QuotaExceededError:
            outcomes.append("413")
    assert outcomes == ["ok"] * 5 + ["413"] * 2
    assert store.usage("fay").total_bytes == 1000


def test_per_user_limit_overrides_the_default(upload_stack: UploadStack) -> None:
    store, _ = _store(upload_stack, limit=1000)
    store.set_limit("ben", 5000)
    store.reserve("ben", _ref(), 4000, 5)
    with pytest.raises(QuotaExceededError) as refused:
        store.reserve("ben", _ref(), 1001, 5)
    assert refused.value.usage.limit_bytes == 5000
    assert "1000 bytes left of 5000" in str(refused.value)
    with pytest.raises(QuotaExceededError):
        store.reserve("cat", _ref(), 1001, 5)


def test_a_notification_that_could_not_be_sent_is_sent_later(upload_stack: UploadStack) -> None:
    store, notifier = _store(upload_stack)
    failure = ClientError({"Error": {"Code": "InternalError", "Message": "down"}}, "Publish")
    with patch.object(notifier._sns, "publish", side_effect=failure) as publish:
        store.reserve("dan", _ref(), 850, 5)
    assert publish.call_count == 1
    assert upload_stack.alerts(wait_s=0.3) == []
    store.reserve("dan", _ref(), 10, 5)
    assert [a["threshold_percent"] for a in upload_stack.alerts()] == [80.0]
