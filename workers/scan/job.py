"""The scan job: download (hashing while copying), scan with clamd, then quarantine or pass on.

Infected: quarantined (tags status=infected, signature, scanned-at), removed from incoming,
an SNS alert on `alerts-critical`; never published. Could not scan: `TransientJobError`
(the runner retries, then quarantines it as `unscannable`). Too large to ever scan:
`QuarantineError`. Clean: tagged `status=clean`, deduplicated, processing jobs queued.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from stacks.settings import BucketRole
from workers.dedup.hashing import download_hashed
from workers.errors import PermanentJobError, QuarantineError, TransientJobError
from workers.jobs import JobContext, JobMessage, ObjectRef
from workers.pipeline.ingest import ingest_clean
from workers.scan.clamd_client import ClamdClient
from workers.scan.quarantine import (
    now_iso,
    publish_alert,
    quarantine_object,
    scan_tags,
    tag_value,
)
from workers.scan.verdicts import Clean, Infected, ScanFailed

ALERT_SEVERITY = "critical"


def handle(job: JobMessage, ctx: JobContext) -> dict[str, Any]:
    """Scan one incoming object and act on the verdict."""
    if job.kind != "scan":
        raise PermanentJobError(f"scan handler got a {job.kind!r} job")
    scan = ctx.settings.scan
    head = _head(ctx, job.source)
    if head is None:
        return _already_quarantined(job, ctx)
    size = int(head["ContentLength"])
    if size > scan.max_file_bytes:
        raise QuarantineError(
            f"file of {size} bytes exceeds the scan limit of {scan.max_file_bytes} bytes"
        )
    local_copy = ctx.scratch / "object"
    try:
        digest = download_hashed(
            ctx.s3,
            job.source.bucket,
            job.source.key,
            local_copy,
            version_id=job.source.version_id,
            chunk_bytes=scan.chunk_bytes,
        )
    except ClientError as exc:
        raise TransientJobError(f"download failed: {exc}") from exc
    verdict = ClamdClient.from_settings(scan).scan_file(local_copy)
    if isinstance(verdict, ScanFailed):
        raise TransientJobError(f"could not scan: {verdict.reason}")
    if isinstance(verdict, Infected):
        return _infected(job, ctx, verdict, digest.sha256)
    assert isinstance(verdict, Clean)
    _tag_clean(ctx, job.source, digest.sha256)
    outcome = ingest_clean(job, ctx, local_copy, digest, head.get("Metadata", {}))
    return {"status": "clean", "sha256": digest.sha256, "size": digest.size, **outcome}


def _infected(job: JobMessage, ctx: JobContext, verdict: Infected, sha256: str) -> dict[str, Any]:
    target = quarantine_object(
        ctx.settings,
        ctx.s3,
        job.source,
        status="infected",
        detail={"signature": verdict.signature, "sha256": sha256},
    )
    alert = {
        "event": "malware-detected",
        "signature": verdict.signature,
        "source": job.source.model_dump(mode="json"),
        "quarantine": target.model_dump(mode="json"),
        "sha256": sha256,
        "user_id": job.user_id,
        "job_id": job.job_id,
        "scanned_at": now_iso(),
    }
    message_id = publish_alert(ctx.settings, ctx.sns, ALERT_SEVERITY, alert)
    return {
        "status": "infected",
        "signature": verdict.signature,
        "quarantine": target.model_dump(mode="json"),
        "alert_message_id": message_id,
    }


def _already_quarantined(job: JobMessage, ctx: JobContext) -> dict[str, Any]:
    """A rerun after the source was moved: finish (re-alert) or fail if it is nowhere."""
    target = ObjectRef(bucket=ctx.settings.bucket_name(BucketRole.QUARANTINE), key=job.source.key)
    if _head(ctx, target) is None:
        raise PermanentJobError(f"s3://{job.source.bucket}/{job.source.key} does not exist")
    tags = ctx.s3.get_object_tagging(Bucket=target.bucket, Key=target.key)["TagSet"]
    detail = {tag["Key"]: tag["Value"] for tag in tags}
    if detail.get("status") == "infected":
        alert = {
            "event": "malware-detected",
            "signature": detail.get("signature", ""),
            "source": job.source.model_dump(mode="json"),
            "quarantine": target.model_dump(mode="json"),
            "job_id": job.job_id,
            "scanned_at": detail.get("scanned-at", ""),
        }
        publish_alert(ctx.settings, ctx.sns, ALERT_SEVERITY, alert)
    return {
        "status": detail.get("status", "quarantined"),
        "quarantine": target.model_dump(mode="json"),
    }


def _tag_clean(ctx: JobContext, source: ObjectRef, sha256: str) -> None:
    extra = {"VersionId": source.version_id} if source.version_id else {}
    ctx.s3.put_object_tagging(
        Bucket=source.bucket,
        Key=source.key,
        Tagging=scan_tags("clean", now_iso(), sha256=tag_value(sha256)),
        **extra,
    )


def _head(ctx: JobContext, source: ObjectRef) -> dict[str, Any] | None:
    extra = {"VersionId": source.version_id} if source.version_id else {}
    try:
        return dict(ctx.s3.head_object(Bucket=source.bucket, Key=source.key, **extra))
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in {"404", "NoSuchKey", "NoSuchVersion"}:
            return None
        raise TransientJobError(f"head failed: {exc}") from exc
