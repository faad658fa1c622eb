"""`QuotaStore` against DynamoDB and SNS in moto: idempotent settling, limits, SNS failures."""

from __future__ import annotations

import uuid
from unittest.mock import patch

import pytest
from botocore.exceptions import ClientError
from uploads_harness import UploadStack

from workers.uploads.notify import QuotaNotifier, find_topic_arn
from workers.uploads.quotas import QuotaExceededError, QuotaStore

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
    """Two creates race: both read 0 % used, the second write must fail its condition.

    (moto's DynamoDB does not serialise concurrent requests, so a race with threads there
    can lose updates that DynamoDB would refuse; the interleaving is forced here instead.)
    """
    store, _ = _store(upload_stack, limit=1000)
    stale = store._ensure_item("eli")
    store.reserve("eli", _ref(), 600, 5)
    real = store._ensure_item
    reads = iter([stale])

    def stale_then_real(user_id: str) -> dict:
        return next(reads, None) or real(user_id)

    with (
        patch.object(store, "_ensure_item", side_effect=stale_then_real) as ensure,
        pytest.raises(QuotaExceededError),
    ):
        store.reserve("eli", _ref(), 600, 5)
    assert ensure.call_count == 2  # refused by the condition, then re-read and refused
    usage = store.usage("eli")
    assert (usage.reserved_bytes, usage.total_bytes) == (600, 600)


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
