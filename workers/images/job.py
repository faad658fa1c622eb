"""The image job: S3 source -> optimised variant set -> S3, the manifest uploaded last.

Idempotent: outputs go to deterministic keys under the job's output prefix, and a manifest
already there for the same source content means the job is done (duplicate delivery).
A job killed mid-way leaves no manifest, so nothing is published; a rerun overwrites.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path, PurePosixPath
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from stacks.settings import BucketRole
from workers.errors import PermanentJobError, TransientJobError
from workers.images.manifest import MANIFEST_NAME, ImageManifest
from workers.images.optimize import optimize
from workers.jobs import JobContext, JobMessage, OutputRef

_MISSING = frozenset({"NoSuchKey", "404", "NotFound", "NoSuchBucket", "NoSuchVersion"})


def handle(job: JobMessage, ctx: JobContext) -> dict[str, Any]:
    """Optimise `job.source` and publish the variants under `job.output.prefix`."""
    output = job.output or default_output(job, ctx)
    prefix = output.prefix.rstrip("/") + "/" if output.prefix else ""
    src = ctx.scratch / "source" / _source_name(job.source.key)
    _download(ctx.s3, job, src, ctx.settings.images.max_source_bytes)
    source_sha = _sha256(src)

    published = _published_manifest(ctx.s3, output.bucket, prefix + MANIFEST_NAME)
    if published is not None and published.source.sha256 == source_sha:
        return _result(job, output, prefix, published, skipped=True)

    out_dir = ctx.scratch / "out"
    manifest = optimize(src, out_dir, ctx.settings.images)
    cache_control = _cache_control(ctx)
    for item in manifest.outputs:
        _put(
            ctx.s3,
            output.bucket,
            prefix + item.name,
            out_dir / item.name,
            item.content_type,
            cache_control,
            item.sha256,
        )
    _put(
        ctx.s3,
        output.bucket,
        prefix + MANIFEST_NAME,
        out_dir / MANIFEST_NAME,
        "application/json",
        "no-cache",
        None,
    )
    return _result(job, output, prefix, manifest, skipped=False)


def default_output(job: JobMessage, ctx: JobContext) -> OutputRef:
    """Without an explicit output: the derivatives bucket, `images/<content hash or job id>/`."""
    return OutputRef(
        bucket=ctx.settings.bucket_name(BucketRole.DERIVATIVES),
        prefix=f"images/{job.content_hash or job.job_id}/",
    )


def _source_name(key: str) -> str:
    name = PurePosixPath(key).name
    return name if name not in ("", ".", "..") else "source"


def _download(s3: Any, job: JobMessage, dest: Path, max_bytes: int) -> None:
    ref = job.source
    extra = {"VersionId": ref.version_id} if ref.version_id else {}
    try:
        head = s3.head_object(Bucket=ref.bucket, Key=ref.key, **extra)
        if head["ContentLength"] > max_bytes:
            raise PermanentJobError(
                f"s3://{ref.bucket}/{ref.key} is {head['ContentLength']} bytes, "
                f"over the image limit of {max_bytes}"
            )
        dest.parent.mkdir(parents=True, exist_ok=True)
        s3.download_file(ref.bucket, ref.key, str(dest), ExtraArgs=extra or None)
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", ""))
        if code in _MISSING:
            raise PermanentJobError(f"source s3://{ref.bucket}/{ref.key} not found") from None
        raise TransientJobError(f"download of s3://{ref.bucket}/{ref.key}: {code}") from None
    except BotoCoreError as exc:
        raise TransientJobError(f"download of s3://{ref.bucket}/{ref.key}: {exc}") from None


def _published_manifest(s3: Any, bucket: str, key: str) -> ImageManifest | None:
    try:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except ClientError as exc:
        if str(exc.response.get("Error", {}).get("Code", "")) in _MISSING:
            return None
        raise TransientJobError(f"reading s3://{bucket}/{key}: {exc}") from None
    except BotoCoreError as exc:
        raise TransientJobError(f"reading s3://{bucket}/{key}: {exc}") from None
    try:
        return ImageManifest.model_validate_json(body)
    except ValueError:
        return None


def _put(
    s3: Any,
    bucket: str,
    key: str,
    path: Path,
    content_type: str,
    cache_control: str,
    sha256: str | None,
) -> None:
    extra: dict[str, Any] = {"ContentType": content_type, "CacheControl": cache_control}
    if sha256:
        extra["Metadata"] = {"sha256": sha256}
    try:
        s3.upload_file(str(path), bucket, key, ExtraArgs=extra)
    except (ClientError, BotoCoreError) as exc:
        raise TransientJobError(f"upload of s3://{bucket}/{key}: {exc}") from None


def _cache_control(ctx: JobContext) -> str:
    try:
        rule = ctx.settings.delivery.rule_for("images")
    except KeyError:
        return "public, max-age=86400"
    return f"public, max-age={rule.browser_ttl_seconds}, immutable"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _result(
    job: JobMessage, output: OutputRef, prefix: str, manifest: ImageManifest, *, skipped: bool
) -> dict[str, Any]:
    return {
        "job_id": job.job_id,
        "bucket": output.bucket,
        "manifest_key": prefix + MANIFEST_NAME,
        "keys": [prefix + item.name for item in manifest.outputs],
        "skipped": skipped,
        "manifest": json.loads(manifest.model_dump_json()),
    }
