"""One drill, start to finish: manifest, point, incident, restore, verify, measure, report.

A drill that restores into a new bucket (`full`, `partial`) puts the source back afterwards
(the manifest version of every key the incident deleted or overwrote), outside the RTO, so a
drill leaves a live stack as it found it. RTO is the time from the start of the incident to
the end of a verified restore. RPO is the
chosen point minus the newest write contained in the restored copy (how much recent data a
restore to that point would give up). Both are compared with the stack's `slas`.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from drills.errors import (
    DrillError,
    RestoreVerificationError,
    TargetError,
    VersioningDisabledError,
)
from drills.incidents import IncidentKind, heal, inflict, plan_incident
from drills.manifest import take_manifest
from drills.report import DrillReport, write_report
from drills.restorers import Restorer, RestoreRequest, VersionRestorer
from drills.verify import check_restore
from drills.writer import ContinuingWriter
from stacks.settings import Settings

SEED_PREFIX = "drill-seed/"
WRITES_PREFIX = "drill-writes/"


@dataclass(frozen=True)
class DrillContext:
    """The stack a drill runs against and where its reports go."""

    settings: Settings
    s3: Any
    reports_dir: Path
    dry_run: bool = False
    echo: Callable[[str], None] = print


@dataclass(frozen=True)
class DrillSpec:
    """What one drill does."""

    kind: str
    bucket_role: str = "masters"
    prefix: str = ""
    incident: IncidentKind = IncidentKind.MIXED
    fraction: float = 0.3
    writes: bool = False
    seed_objects: int = 20
    seed_bytes: int = 64 * 1024
    new_bucket: bool = False
    cleanup: bool = False
    random_seed: int | None = None


def ensure_versioned(s3: Any, bucket: str) -> None:
    """Raise unless the bucket exists and is versioned."""
    try:
        status = s3.get_bucket_versioning(Bucket=bucket).get("Status")
    except s3.exceptions.ClientError as exc:
        raise TargetError(f"cannot read bucket {bucket!r}: {exc}") from None
    if status != "Enabled":
        raise VersioningDisabledError(bucket)


def seed(s3: Any, bucket: str, prefix: str, count: int, size: int, rng: random.Random) -> int:
    """Put objects under `<prefix>drill-seed/` until the prefix holds `count`; returns added."""
    existing = s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("KeyCount", 0)
    added = 0
    for index in range(existing, count):
        body = rng.randbytes(size // 2 + rng.randrange(size))
        s3.put_object(Bucket=bucket, Key=f"{prefix}{SEED_PREFIX}{index:05d}.bin", Body=body)
        added += 1
    return added


def wait_past(point: datetime) -> None:
    """Sleep until the second after `point` has begun (S3 times are whole seconds)."""
    remaining = (point + timedelta(seconds=1) - datetime.now(UTC)).total_seconds()
    if remaining > 0:
        time.sleep(remaining + 0.01)


def restore_bucket_name(bucket: str, now: datetime) -> str:
    """A new bucket for a restored copy: `<bucket>-r<yymmddhhmmss>`, within 63 characters."""
    suffix = f"-r{now.strftime('%y%m%d%H%M%S')}"
    return f"{bucket[: 63 - len(suffix)]}{suffix}"


def _create_bucket(s3: Any, name: str, region: str) -> None:
    extra = (
        {}
        if region == "us-east-1"
        else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    )
    s3.create_bucket(Bucket=name, **extra)


def _delete_bucket(s3: Any, name: str) -> None:
    paginator = s3.get_paginator("list_object_versions")
    for page in paginator.paginate(Bucket=name):
        for item in page.get("Versions", []) + page.get("DeleteMarkers", []):
            s3.delete_object(Bucket=name, Key=item["Key"], VersionId=item["VersionId"])
    s3.delete_bucket(Bucket=name)


def run_drill(ctx: DrillContext, spec: DrillSpec, restorer: Restorer | None = None) -> DrillReport:
    """Run one drill and write its report; raises `RestoreVerificationError` when it failed."""
    settings, s3 = ctx.settings, ctx.s3
    rng = random.Random(spec.random_seed if spec.random_seed is not None else os.urandom(8))
    restorer = restorer or VersionRestorer(s3)
    bucket = settings.bucket_name(spec.bucket_role)
    ensure_versioned(s3, bucket)
    now = datetime.now(UTC)
    drill_id = f"{now.strftime('%Y%m%dT%H%M%SZ')}-{spec.kind}-{spec.bucket_role}"
    target = restore_bucket_name(bucket, now) if spec.new_bucket else bucket
    if ctx.dry_run:
        return _dry_run(ctx, spec, restorer, bucket, target, drill_id)
    seeded = seed(s3, bucket, spec.prefix, spec.seed_objects, spec.seed_bytes, rng)
    ctx.echo(f"bucket {bucket}: {seeded} objects seeded under {spec.prefix}{SEED_PREFIX}")
    writer = ContinuingWriter(s3, bucket, f"{spec.prefix}{WRITES_PREFIX}{drill_id}/")
    if spec.writes:
        writer.__enter__()
    try:
        manifest = take_manifest(s3, bucket, spec.prefix, datetime.now(UTC))
        point = datetime.now(UTC).replace(microsecond=0)
        ctx.echo(f"manifest: {len(manifest.entries)} objects; point in time {point.isoformat()}")
        wait_past(point)
        incident = inflict(s3, bucket, plan_incident(manifest, spec.incident, spec.fraction, rng))
        ctx.echo(f"incident {incident.kind}: {incident.summary()}")
        error: str | None = None
        outcome = None
        try:
            if spec.new_bucket:
                _create_bucket(s3, target, settings.region)
            outcome = restorer.restore(RestoreRequest(bucket, spec.prefix, point, target))
        except DrillError as exc:
            error = str(exc)
        verification = check_restore(s3, manifest, target)
        verified_at = datetime.now(UTC)
        healed = heal(s3, bucket, manifest, incident) if spec.new_bucket else 0
    finally:
        writer.stop()
    plan = outcome.plan if outcome else None
    newest = plan.newest_write if plan else None
    report = DrillReport(
        drill_id=drill_id,
        kind=spec.kind,
        stack=settings.stack,
        bucket=bucket,
        prefix=spec.prefix,
        target_bucket=target,
        point=point.isoformat(),
        incident=str(incident.kind),
        incident_started_at=incident.started_at.isoformat(),
        finished_at=verified_at.isoformat(),
        damage=incident.summary(),
        manifest_objects=len(manifest.entries),
        manifest_bytes=manifest.total_bytes,
        copied=outcome.copied if outcome else 0,
        deleted=outcome.deleted if outcome else 0,
        verified=verification.verified,
        missing=list(verification.missing),
        different=list(verification.different),
        writes_during=len(writer.written),
        rto_seconds=(verified_at - incident.started_at).total_seconds(),
        rpo_seconds=(point - newest).total_seconds() if newest else None,
        rto_target_seconds=settings.slas.rto_minutes * 60,
        rpo_target_seconds=settings.slas.rpo_minutes * 60,
        error=error,
        extra={
            "writer_errors": writer.errors[:10],
            "job_id": outcome.job_id if outcome else None,
            "source_keys_put_back": healed,
        },
    )
    json_path, _ = write_report(report, ctx.reports_dir)
    if not report.restored:
        failure = RestoreVerificationError(target, report.missing, report.different, error)
        failure.report_path = json_path
        raise failure
    if spec.new_bucket and spec.cleanup:
        _delete_bucket(s3, target)
    return report


def _dry_run(
    ctx: DrillContext,
    spec: DrillSpec,
    restorer: Restorer,
    bucket: str,
    target: str,
    drill_id: str,
) -> DrillReport:
    """Read-only: what the drill would hit and restore now; nothing is written anywhere."""
    s3, settings = ctx.s3, ctx.settings
    manifest = take_manifest(s3, bucket, spec.prefix, datetime.now(UTC))
    incident = plan_incident(manifest, spec.incident, spec.fraction, random.Random(0))
    point = datetime.now(UTC)
    plan = restorer.plan(RestoreRequest(bucket, spec.prefix, point, target))
    ctx.echo(f"[dry-run] would seed up to {spec.seed_objects} objects in {bucket}/{spec.prefix}")
    ctx.echo(f"[dry-run] manifest now: {len(manifest.entries)} objects")
    ctx.echo(f"[dry-run] incident {spec.incident}: would hit {incident.summary()}")
    ctx.echo(f"[dry-run] restore into {target}: {len(plan.present()) if plan else '?'} objects")
    return DrillReport(
        drill_id=drill_id,
        kind=spec.kind,
        stack=settings.stack,
        bucket=bucket,
        prefix=spec.prefix,
        target_bucket=target,
        point=point.isoformat(),
        incident=str(spec.incident),
        incident_started_at="",
        finished_at="",
        damage=incident.summary(),
        manifest_objects=len(manifest.entries),
        manifest_bytes=manifest.total_bytes,
        copied=0,
        deleted=0,
        verified=0,
        missing=[],
        different=[],
        writes_during=0,
        rto_seconds=None,
        rpo_seconds=None,
        rto_target_seconds=settings.slas.rto_minutes * 60,
        rpo_target_seconds=settings.slas.rpo_minutes * 60,
        dry_run=True,
    )
