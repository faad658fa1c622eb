"""What is stored: one row per object, from the reference corpus or a stack's buckets."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from analytics.access_pattern import EPOCH
from analytics.corpus import Corpus
from analytics.storage_classes import lifecycle_intervals
from stacks.settings import BucketRole, Settings


@dataclass(frozen=True)
class StoredObject:
    """One object: where, whose, how big, in which class, since when."""

    bucket: str
    key: str
    size: int
    storage_class: str
    created: date

    @property
    def user(self) -> str:
        """Owner: the first key segment (`<user>/<upload>/<file>`), `-` for shared keys."""
        head, sep, _ = self.key.partition("/")
        return head if sep and head != "sha256" else "-"

    @property
    def prefix(self) -> str:
        """The first two key segments (`<user>/<upload or track>/`)."""
        parts = self.key.split("/")
        return "/".join(parts[:2]) + "/" if len(parts) > 2 else parts[0]


def class_at_age(settings: Settings, role: BucketRole, age_days: int) -> str:
    """The storage class the bucket's lifecycle gives an object of this age."""
    for start, end, storage_class in lifecycle_intervals(settings.storage.buckets[role]):
        if start <= age_days < end:
            return storage_class
    return "STANDARD"


def from_corpus(corpus: Corpus, settings: Settings) -> list[StoredObject]:
    """The corpus as stored on its last day, classes as the stack's lifecycle places them."""
    today = corpus.days - 1
    out = []
    for item in corpus.files:
        role = BucketRole(item.bucket_role)
        out.append(
            StoredObject(
                settings.bucket_name(role), item.key, item.bytes,
                class_at_age(settings, role, today - item.created_day),
                (EPOCH + timedelta(days=item.created_day)).date(),
            )
        )  # fmt: skip
    return out


def from_s3(s3: Any, buckets: list[str]) -> list[StoredObject]:
    """Current objects of `buckets` (missing buckets skipped), dated by LastModified."""
    existing = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
    out = []
    for bucket in buckets:
        if bucket not in existing:
            continue
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            for item in page.get("Contents", []):
                out.append(
                    StoredObject(
                        bucket, item["Key"], int(item["Size"]),
                        item.get("StorageClass", "STANDARD"), item["LastModified"].date(),
                    )
                )  # fmt: skip
    return out
