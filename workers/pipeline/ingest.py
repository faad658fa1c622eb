"""The clean path of an upload: content-address it (dedup) and queue its processing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from stacks.settings import JobKind
from workers.dedup.hashing import ContentDigest
from workers.dedup.store import ContentStore
from workers.jobs import JobContext, JobMessage, ObjectRef
from workers.pipeline.routing import classify_role, content_bucket, enqueue, follow_up_jobs


def reference_id(source: ObjectRef) -> str:
    """The dedup reference of one upload: its incoming bucket, key and version."""
    base = f"{source.bucket}/{source.key}"
    return f"{base}?versionId={source.version_id}" if source.version_id else base


def content_store(ctx: JobContext) -> ContentStore:
    """The dedup store of this stack; the claim lease is the scan queue's visibility timeout."""
    settings = ctx.settings
    lease = settings.processing.queues[JobKind.SCAN].visibility_timeout_seconds
    return ContentStore(
        ctx.s3, ctx.dynamodb, settings.resource_name("content-refs"), lease_seconds=float(lease)
    )


def ingest_clean(
    job: JobMessage,
    ctx: JobContext,
    local_copy: Path,
    digest: ContentDigest,
    metadata: dict[str, str],
) -> dict[str, Any]:
    """Store clean content once, add this upload's reference, enqueue follow-up jobs."""
    role = classify_role(job, metadata)
    attributes = {"role": role}
    if job.user_id:
        attributes["user_id"] = job.user_id
    result = content_store(ctx).add(
        local_copy,
        digest,
        content_bucket(ctx.settings, role),
        reference_id(job.source),
        attributes,
    )
    stored = ObjectRef(bucket=result.bucket, key=result.key)
    jobs = follow_up_jobs(ctx.settings, job, role, stored, digest.sha256)
    enqueued = enqueue(ctx.sqs, ctx.settings, jobs)
    return {"role": role, "dedup": result.as_dict(), "enqueued": enqueued}
