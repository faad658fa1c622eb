"""Incidents simulated against a stack's bucket: deletes, overwrites, a wipe, a purge.

A purge deletes every version of its keys: those objects cannot be restored from versions,
which is how a drill proves that it fails when something is lost. It only ever picks the
drill's own seeded objects (`PURGEABLE_MARKER` in the key), never the stack's real content.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from drills.manifest import Manifest

PURGEABLE_MARKER = "drill-seed/"


class IncidentKind(StrEnum):
    DELETES = "deletes"
    OVERWRITES = "overwrites"
    MIXED = "mixed"
    WIPE = "wipe"
    PURGE = "purge"


@dataclass
class Incident:
    """What was done to the bucket, and when it started."""

    kind: IncidentKind
    started_at: datetime
    deleted: list[str] = field(default_factory=list)
    overwritten: list[str] = field(default_factory=list)
    purged: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, int]:
        return {
            "deleted": len(self.deleted),
            "overwritten": len(self.overwritten),
            "purged": len(self.purged),
        }


def choose_keys(
    manifest: Manifest, fraction: float, rng: random.Random, marker: str = ""
) -> list[str]:
    """A random `fraction` of the manifest's keys containing `marker` (at least one)."""
    keys = [entry.key for entry in manifest.entries if marker in entry.key]
    if not keys:
        return []
    return sorted(rng.sample(keys, max(1, round(len(keys) * fraction))))


def plan_incident(
    manifest: Manifest, kind: IncidentKind, fraction: float, rng: random.Random
) -> Incident:
    """Which keys the incident will hit (nothing is changed yet)."""
    incident = Incident(kind=kind, started_at=datetime.now(UTC))
    if kind is IncidentKind.WIPE:
        incident.deleted = [entry.key for entry in manifest.entries]
    elif kind is IncidentKind.DELETES:
        incident.deleted = choose_keys(manifest, fraction, rng)
    elif kind is IncidentKind.OVERWRITES:
        incident.overwritten = choose_keys(manifest, fraction, rng)
    elif kind is IncidentKind.MIXED:
        chosen = choose_keys(manifest, min(1.0, 2 * fraction), rng)
        incident.deleted, incident.overwritten = chosen[::2], chosen[1::2]
    else:
        incident.purged = choose_keys(manifest, fraction, rng, PURGEABLE_MARKER)
        incident.deleted = [
            k for k in choose_keys(manifest, fraction, rng) if k not in incident.purged
        ]
    return incident


def inflict(s3: Any, bucket: str, incident: Incident) -> Incident:
    """Carry the incident out against the bucket; returns it with its start time."""
    incident.started_at = datetime.now(UTC)
    for key in incident.overwritten:
        s3.put_object(Bucket=bucket, Key=key, Body=b"corrupted by drill " + key.encode())
    for key in incident.deleted:
        s3.delete_object(Bucket=bucket, Key=key)
    for key in incident.purged:
        paginator = s3.get_paginator("list_object_versions")
        for page in paginator.paginate(Bucket=bucket, Prefix=key):
            for item in page.get("Versions", []) + page.get("DeleteMarkers", []):
                if item["Key"] == key:
                    s3.delete_object(Bucket=bucket, Key=key, VersionId=item["VersionId"])
    return incident


def heal(s3: Any, bucket: str, manifest: Manifest, incident: Incident) -> int:
    """Undo the incident in the source bucket: put back the manifest version of every key it
    deleted or overwrote (purged keys cannot come back). Returns the keys put back."""
    versions = manifest.by_key()
    healed = 0
    for key in [*incident.deleted, *incident.overwritten]:
        entry = versions.get(key)
        if entry is None:
            continue
        source = {"Bucket": bucket, "Key": key, "VersionId": entry.version_id}
        s3.copy(source, bucket, key)
        healed += 1
    return healed
