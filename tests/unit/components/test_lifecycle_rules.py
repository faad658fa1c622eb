"""The pure lifecycle builders: every setting of a bucket becomes exactly one rule action."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, reject
from hypothesis import strategies as st
from pydantic import ValidationError

from components.lifecycle_rules import (
    ABORT_MULTIPART_RULE_ID,
    ATHENA_RESULTS_PREFIX,
    ATHENA_RESULTS_RULE_ID,
    EXPIRE_RULE_ID,
    NONCURRENT_RULE_ID,
    TIERING_RULE_ID,
    USER_COPIES_PREFIX,
    USER_COPIES_RULE_ID,
    USER_COPY_MARKERS_RULE_ID,
    athena_results_rule,
    bucket_lifecycle_rules,
    intelligent_tierings,
    lifecycle_rules,
    user_copies_rules,
)
from stacks.settings import BucketRole, BucketSettings, IntelligentTiering, Settings

STORAGE_CLASSES = (
    "STANDARD_IA",
    "ONEZONE_IA",
    "INTELLIGENT_TIERING",
    "GLACIER_IR",
    "GLACIER",
    "DEEP_ARCHIVE",
)


@st.composite
def bucket_settings(draw: st.DrawFn) -> BucketSettings:
    days = draw(st.lists(st.integers(0, 3650), max_size=4, unique=True).map(sorted))
    classes = draw(
        st.lists(st.sampled_from(STORAGE_CLASSES), min_size=len(days), max_size=len(days))
    )
    try:
        return BucketSettings(
            transitions=tuple(
                {"days": d, "storage_class": c} for d, c in zip(days, classes, strict=True)
            ),
            expire_days=draw(st.none() | st.integers(1, 5000)),
            noncurrent_expire_days=draw(st.integers(1, 400)),
            abort_multipart_days=draw(st.integers(1, 30)),
        )
    except ValidationError:
        reject()  # S3's own rules (IA at 30 days at the earliest, expiry after the last tier)


def by_id(rules: list[Any]) -> dict[str, Any]:
    return {rule["id"]: rule for rule in rules}


@given(bucket_settings())
def test_each_setting_becomes_one_enabled_whole_bucket_rule(bucket: BucketSettings) -> None:
    rules = lifecycle_rules(bucket)
    ids = [rule["id"] for rule in rules]
    assert len(ids) == len(set(ids))
    assert all(rule["status"] == "Enabled" for rule in rules)
    assert all(rule["filter"] == {"prefix": ""} for rule in rules)
    rule = by_id(rules)
    assert rule[NONCURRENT_RULE_ID]["noncurrent_version_expiration"] == {
        "noncurrent_days": bucket.noncurrent_expire_days
    }
    assert rule[ABORT_MULTIPART_RULE_ID]["abort_incomplete_multipart_upload"] == {
        "days_after_initiation": bucket.abort_multipart_days
    }
    if bucket.expire_days is None:
        assert EXPIRE_RULE_ID not in rule
    else:
        assert rule[EXPIRE_RULE_ID]["expiration"] == {"days": bucket.expire_days}
    if bucket.transitions:
        assert rule[TIERING_RULE_ID]["transitions"] == [
            {"days": t.days, "storage_class": t.storage_class} for t in bucket.transitions
        ]
    else:
        assert TIERING_RULE_ID not in rule


@given(bucket_settings())
def test_every_rule_has_exactly_one_action(bucket: BucketSettings) -> None:
    actions = {
        "transitions",
        "expiration",
        "noncurrent_version_expiration",
        "abort_incomplete_multipart_upload",
    }
    for rule in lifecycle_rules(bucket):
        assert len(actions & set(rule)) == 1, rule


@given(
    st.integers(90, 729).flatmap(lambda a: st.tuples(st.just(a), st.integers(max(a + 1, 180), 730)))
)
def test_intelligent_tiering_days_in_tier_order(days: tuple[int, int]) -> None:
    archive, deep = days
    tiers = intelligent_tierings(
        IntelligentTiering(archive_access_days=archive, deep_archive_access_days=deep)
    )
    assert tiers == [
        {"access_tier": "ARCHIVE_ACCESS", "days": archive},
        {"access_tier": "DEEP_ARCHIVE_ACCESS", "days": deep},
    ]


def test_prod_tiers(prod_settings: Settings) -> None:
    """The issue's tiers: masters to INTELLIGENT_TIERING at day 0; derivatives IA 30, IR 90."""
    masters = by_id(lifecycle_rules(prod_settings.storage.buckets[BucketRole.MASTERS]))
    assert masters[TIERING_RULE_ID]["transitions"] == [
        {"days": 0, "storage_class": "INTELLIGENT_TIERING"}
    ]
    derivatives = by_id(lifecycle_rules(prod_settings.storage.buckets[BucketRole.DERIVATIVES]))
    assert derivatives[TIERING_RULE_ID]["transitions"] == [
        {"days": 30, "storage_class": "STANDARD_IA"},
        {"days": 90, "storage_class": "GLACIER_IR"},
    ]
    incoming = by_id(lifecycle_rules(prod_settings.storage.buckets[BucketRole.INCOMING]))
    assert incoming[EXPIRE_RULE_ID]["expiration"] == {"days": 7}


@given(st.integers(1, 3650))
def test_user_copies_expire_under_their_prefix_only(days: int) -> None:
    expire, markers = user_copies_rules(days)
    assert expire == {
        "id": USER_COPIES_RULE_ID,
        "status": "Enabled",
        "filter": {"prefix": "watermarked/"},
        "expiration": {"days": days},
    }
    # S3 refuses `days` and `expired_object_delete_marker` in one expiration: two rules
    assert markers == {
        "id": USER_COPY_MARKERS_RULE_ID,
        "status": "Enabled",
        "filter": {"prefix": "watermarked/"},
        "expiration": {"expired_object_delete_marker": True},
    }


@pytest.mark.parametrize("mode", ["signed-users", "required", "off"])
def test_only_derivatives_expire_user_copies(prod_settings: Settings, mode: str) -> None:
    delivery = prod_settings.delivery.model_copy(
        update={"user_watermark": mode, "user_copy_expire_days": 45}
    )
    settings = prod_settings.model_copy(update={"delivery": delivery})
    for role in BucketRole:
        rules = bucket_lifecycle_rules(settings, role)
        base = lifecycle_rules(settings.storage.buckets[role])
        assert rules[: len(base)] == base
        extra = rules[len(base) :]
        if role is BucketRole.DERIVATIVES:
            assert extra == user_copies_rules(45)
            assert by_id(rules)[USER_COPIES_RULE_ID]["filter"] == {"prefix": USER_COPIES_PREFIX}
        elif role is BucketRole.LOGS:
            assert extra == [athena_results_rule(settings.storage.athena_results_expire_days)]
        else:
            assert extra == []
        ids = [rule["id"] for rule in rules]
        assert len(ids) == len(set(ids))


def test_prod_user_copies_expire_after_the_setting(prod_settings: Settings) -> None:
    assert prod_settings.delivery.user_copy_expire_days == 30
    rules = by_id(bucket_lifecycle_rules(prod_settings, BucketRole.DERIVATIVES))
    assert rules[USER_COPIES_RULE_ID]["expiration"] == {"days": 30}


@pytest.mark.parametrize("days", [0, -1])
def test_user_copy_expiry_must_be_positive(prod_settings: Settings, days: int) -> None:
    raw = prod_settings.delivery.model_dump()
    with pytest.raises(ValidationError, match="user_copy_expire_days"):
        type(prod_settings.delivery).model_validate({**raw, "user_copy_expire_days": days})


def test_athena_results_expire_in_the_logs_bucket_only_under_their_prefix(
    prod_settings: Settings,
) -> None:
    storage = prod_settings.storage.model_copy(update={"athena_results_expire_days": 7})
    settings = prod_settings.model_copy(update={"storage": storage})
    rule = by_id(bucket_lifecycle_rules(settings, BucketRole.LOGS))[ATHENA_RESULTS_RULE_ID]
    assert rule["filter"] == {"prefix": ATHENA_RESULTS_PREFIX}
    assert rule["expiration"] == {"days": 7}
