"""The manifest taken before an incident: every object's key, version, sha256, size, time."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

CHUNK_BYTES = 1024 * 1024


@dataclass(frozen=True)
class ManifestEntry:
    """One object as it was before the incident."""

    key: str
    version_id: str
    sha256: str
    size: int
    last_modified: datetime


@dataclass(frozen=True)
class Manifest:
    """The objects of a bucket (under a prefix) at one moment, hashed."""

    bucket: str
    prefix: str
    taken_at: datetime
    entries: tuple[ManifestEntry, ...]

    def by_key(self) -> dict[str, ManifestEntry]:
        return {entry.key: entry for entry in self.entries}

    @property
    def total_bytes(self) -> int:
        return sum(entry.size for entry in self.entries)

    def to_json(self) -> dict[str, Any]:
        return {
            "bucket": self.bucket,
            "prefix": self.prefix,
            "taken_at": self.taken_at.isoformat(),
            "entries": [
                {**asdict(e), "last_modified": e.last_modified.isoformat()} for e in self.entries
            ],
        }

    def dumps(self) -> str:
        return json.dumps(self.to_json(), indent=2)


def sha256_of_object(s3: Any, bucket: str, key: str, version_id: str | None = None) -> str:
    """Stream one object (a given version) through sha256."""
    extra = {"VersionId": version_id} if version_id else {}
    body = s3.get_object(Bucket=bucket, Key=key, **extra)["Body"]
    digest = hashlib.sha256()
    for chunk in iter(lambda: body.read(CHUNK_BYTES), b""):
        digest.update(chunk)
    return digest.hexdigest()


def current_objects(s3: Any, bucket: str, prefix: str) -> Iterator[dict[str, Any]]:
    """The current (latest, not deleted) versions under a prefix."""
    paginator = s3.get_paginator("list_object_versions")
    for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
        for version in page.get("Versions", []):
            if version.get("IsLatest"):
                yield version


def take_manifest(s3: Any, bucket: str, prefix: str, taken_at: datetime) -> Manifest:
    """Hash every current object under `prefix` (by version, so later writes cannot race)."""
    entries = [
        ManifestEntry(
            key=version["Key"],
            version_id=version["VersionId"],
            sha256=sha256_of_object(s3, bucket, version["Key"], version["VersionId"]),
            size=int(version["Size"]),
            last_modified=version["LastModified"],
        )
        for version in current_objects(s3, bucket, prefix)
    ]
    entries.sort(key=lambda e: e.key)
    return Manifest(bucket=bucket, prefix=prefix, taken_at=taken_at, entries=tuple(entries))
