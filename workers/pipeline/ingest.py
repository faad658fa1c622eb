"""The clean path of an upload: content-address it (dedup) and queue its processing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from stacks.settings import JobKind, Settings
from workers.dedup.hashing import ContentDigest
from workers.dedup.store import ContentStore, ReferenceNotFound
from workers.jobs import JobContext, JobMessage, ObjectRef
from workers.pipeline.routing import content_bucket, decide_role, enqueue, follow_up_jobs


def reference_id(source: ObjectRef) -> str:
    """The dedup reference of one upload: its incoming bucket, key and version."""
    base = f"{source.bucket}/{source.key}"
    return f"{base}?versionId={source.version_id}" if source.version_id else base


def content_store(settings: Settings, s3: Any, dynamodb: Any) -> ContentStore:
    """The dedup store of this stack; the claim lease is the scan queue's visibility timeout."""
    lease = settings.processing.queues[JobKind.SCAN].visibility_timeout_seconds
    return ContentStore(s3, dynamodb, settings.resource_name("content-refs"), lease_seconds=lease)


def release_reference(settings: Settings, s3: Any, dynamodb: Any, source: ObjectRef) -> bool:
    """Drop the dedup reference of an upload that ended in quarantine; False if it had none."""
    try:
        content_store(settings, s3, dynamodb).remove(reference_id(source))
    except ReferenceNotFound:
        return False
    return True


def ingest_clean(
    job: JobMessage,
    ctx: JobContext,
    local_copy: Path,
    digest: ContentDigest,
    metadata: dict[str, str],
) -> dict[str, Any]:
    """Store clean content once, add this upload's reference, enqueue follow-up jobs.

    The role comes from `decide_role` (declared in the object's metadata by the uploads
    API); a bad declared role raises `RoutingError` before anything is stored.
    """
    decision = decide_role(job, metadata)
    role = decision.role
    attributes = {"role": role}
    if job.user_id:
        attributes["user_id"] = job.user_id
    result = content_store(ctx.settings, ctx.s3, ctx.dynamodb).add(
        local_copy,
        digest,
        content_bucket(ctx.settings, role),
        reference_id(job.source),
        attributes,
    )
    stored = ObjectRef(bucket=result.bucket, key=result.key)
    jobs = follow_up_jobs(ctx.settings, job, role, stored, digest.sha256)
    enqueued = enqueue(ctx.sqs, ctx.settings, jobs)
    return {
        "role": role,
        "role_source": decision.source,
        "dedup": result.as_dict(),
        "enqueued": enqueued,
    }
