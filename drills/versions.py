"""Point-in-time plans from S3 object versions: which version of each key was current at T.

S3 keeps `LastModified` to the second, so the drill runner waits until the second after the
chosen point has begun before it changes anything: every later write then sorts after it.
Within one key S3 lists versions (and delete markers) newest first; that order breaks ties.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class KeyAtPoint:
    """One key: the version current at the point (None: absent then) and the version now."""

    key: str
    version_id: str | None
    last_modified: datetime | None
    current_version_id: str | None

    @property
    def needs_copy(self) -> bool:
        return self.version_id is not None and self.version_id != self.current_version_id

    @property
    def needs_delete(self) -> bool:
        return self.version_id is None and self.current_version_id is not None


@dataclass(frozen=True)
class RestorePlan:
    """How to bring `bucket`/`prefix` back to `point`, key by key."""

    bucket: str
    prefix: str
    point: datetime
    keys: tuple[KeyAtPoint, ...]

    def present(self) -> list[KeyAtPoint]:
        """Keys that existed at the point (what a restored copy must contain)."""
        return [k for k in self.keys if k.version_id is not None]

    def copies(self) -> list[KeyAtPoint]:
        return [k for k in self.keys if k.needs_copy]

    def deletes(self) -> list[KeyAtPoint]:
        return [k for k in self.keys if k.needs_delete]

    @property
    def newest_write(self) -> datetime | None:
        """The newest write contained in a copy restored from this plan."""
        times = [k.last_modified for k in self.present() if k.last_modified is not None]
        return max(times) if times else None


@dataclass(frozen=True)
class _Version:
    key: str
    version_id: str
    last_modified: datetime
    is_latest: bool
    is_delete_marker: bool
    order: int  # position in S3's listing (newest first within a key)


def _versions(s3: Any, bucket: str, prefix: str) -> dict[str, list[_Version]]:
    by_key: dict[str, list[_Version]] = {}
    paginator = s3.get_paginator("list_object_versions")
    order = 0
    for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
        for field, marker in (("Versions", False), ("DeleteMarkers", True)):
            for item in page.get(field, []):
                order += 1
                by_key.setdefault(item["Key"], []).append(
                    _Version(
                        key=item["Key"],
                        version_id=item["VersionId"],
                        last_modified=item["LastModified"],
                        is_latest=bool(item.get("IsLatest")),
                        is_delete_marker=marker,
                        order=order,
                    )
                )
    return by_key


def key_at_point(versions: list[_Version], point: datetime) -> KeyAtPoint:
    """The state of one key at `point` from all its versions and delete markers."""
    newest_first = sorted(versions, key=lambda v: (-v.last_modified.timestamp(), not v.is_latest))
    current = next((v for v in newest_first if v.is_latest), None)
    current_id = current.version_id if current and not current.is_delete_marker else None
    at_point = next((v for v in newest_first if v.last_modified <= point), None)
    if at_point is None or at_point.is_delete_marker:
        return KeyAtPoint(versions[0].key, None, None, current_id)
    return KeyAtPoint(versions[0].key, at_point.version_id, at_point.last_modified, current_id)


def plan_at(s3: Any, bucket: str, prefix: str, point: datetime) -> RestorePlan:
    """The restore plan of `bucket`/`prefix` to `point` (a timezone-aware datetime)."""
    keys = tuple(
        key_at_point(versions, point)
        for _, versions in sorted(_versions(s3, bucket, prefix).items())
    )
    return RestorePlan(bucket=bucket, prefix=prefix, point=point, keys=keys)
