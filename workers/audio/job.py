"""The audio job handler: S3 source -> render in scratch -> outputs under a version folder ->
manifest last.

Commit protocol (outputs are visible only once committed):
1. Everything is rendered and verified in the job's scratch directory; nothing is uploaded
   until the whole rendition succeeded locally.
2. Outputs are uploaded under `<prefix>/<version>/`, where `version` is derived from the
   source's sha256, the role and the audio settings: re-running the same job writes the same
   keys (encodes are bit-exact, so the same bytes), never duplicates.
3. `<prefix>/manifest.json` is written LAST, with one PUT (atomic in S3). It is the commit:
   readers (delivery, the catalogue) resolve outputs only through it, so objects of an
   attempt that died half-way are never referenced, and the retry overwrites them.
4. After committing, outputs of a previous manifest's different version are deleted.
A job whose manifest already holds its version returns that manifest without re-encoding.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path, PurePosixPath
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from workers.audio import manifest
from workers.audio.ffmpeg import ToolError, ToolKilledError, UnsupportedMediaError
from workers.audio.flac import LosslessMismatchError
from workers.audio.render import render
from workers.audio.tags import TagError
from workers.errors import PermanentJobError, TransientJobError
from workers.jobs import JobContext, JobMessage

MISSING_CODES = {"404", "NoSuchKey", "NoSuchBucket", "NoSuchVersion"}
SETTINGS_EXCLUDED_FROM_VERSION = {"watermark_key", "parallel_encodes"}


def _s3_error(action: str, exc: Exception) -> TransientJobError:
    return TransientJobError(f"S3 {action} failed: {exc}")


def _is_missing(exc: ClientError) -> bool:
    return str(exc.response.get("Error", {}).get("Code")) in MISSING_CODES


def download_source(job: JobMessage, ctx: JobContext) -> Path:
    """Fetch the source object into scratch (keeping its extension); missing = permanent."""
    name = PurePosixPath(job.source.key).name or "source"
    dst = ctx.scratch / "source" / name
    dst.parent.mkdir(parents=True, exist_ok=True)
    extra = {"VersionId": job.source.version_id} if job.source.version_id else None
    try:
        ctx.s3.download_file(job.source.bucket, job.source.key, str(dst), ExtraArgs=extra)
    except ClientError as exc:
        if _is_missing(exc):
            raise PermanentJobError(
                f"source s3://{job.source.bucket}/{job.source.key} does not exist"
            ) from None
        raise _s3_error("download", exc) from None
    except BotoCoreError as exc:
        raise _s3_error("download", exc) from None
    return dst


def rendition_version(source_sha256: str, role: str, ctx: JobContext) -> str:
    """Deterministic name of this rendition: same source, role and settings -> same keys."""
    audio = ctx.settings.audio.model_dump(mode="json", exclude=SETTINGS_EXCLUDED_FROM_VERSION)
    material = json.dumps(
        [source_sha256, role, audio, manifest.MANIFEST_VERSION], sort_keys=True
    ).encode()
    return "v-" + hashlib.sha256(material).hexdigest()[:16]


def _read_manifest(ctx: JobContext, bucket: str, key: str) -> dict[str, Any] | None:
    try:
        body = ctx.s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except ClientError as exc:
        if _is_missing(exc):
            return None
        raise _s3_error("manifest read", exc) from None
    except BotoCoreError as exc:
        raise _s3_error("manifest read", exc) from None
    return json.loads(body)


def _render(src: Path, root: Path, job: JobMessage, ctx: JobContext) -> Any:
    try:
        return render(src, root, ctx.settings.audio, "stem" if job.role == "stem" else "track")
    except (UnsupportedMediaError, TagError, LosslessMismatchError) as exc:
        raise PermanentJobError(str(exc)) from None
    except ToolKilledError as exc:
        raise TransientJobError(f"{exc} (killed; will retry)") from None
    except ToolError as exc:
        if "No space left" in exc.last_line:
            raise TransientJobError(str(exc)) from None
        raise PermanentJobError(f"cannot transcode {src.name}: {exc.last_line}") from None
    except OSError as exc:
        raise TransientJobError(f"local I/O failed: {exc}") from None


def _upload(
    ctx: JobContext, bucket: str, root: Path, entries: list[dict[str, Any]], base: str
) -> None:
    for entry in entries:
        path = root / entry["key"][len(base) :]
        try:
            ctx.s3.upload_file(
                str(path), bucket, entry["key"], ExtraArgs={"ContentType": entry["content_type"]}
            )
        except (ClientError, BotoCoreError) as exc:
            raise _s3_error(f"upload of {entry['key']}", exc) from None


def _delete_stale(ctx: JobContext, bucket: str, old: dict[str, Any], keep: set[str]) -> None:
    stale = [o["key"] for o in old.get("outputs", []) if o["key"] not in keep]
    for start in range(0, len(stale), 1000):
        batch = [{"Key": key} for key in stale[start : start + 1000]]
        try:
            ctx.s3.delete_objects(Bucket=bucket, Delete={"Objects": batch, "Quiet": True})
        except (ClientError, BotoCoreError) as exc:
            raise _s3_error("cleanup of the previous version", exc) from None


def handle(job: JobMessage, ctx: JobContext) -> dict[str, Any]:
    """Render an audio job; returns the committed manifest plus where it lives."""
    if job.kind != "audio":
        raise PermanentJobError(f"audio worker got a {job.kind!r} job")
    if job.role not in ("track", "stem"):
        raise PermanentJobError(f"audio jobs are for tracks and stems, not {job.role!r}")
    if job.output is None:
        raise PermanentJobError("audio job has no output location")
    bucket = job.output.bucket
    base = job.output.prefix.strip("/") + "/" if job.output.prefix.strip("/") else ""
    manifest_key = f"{base}{manifest.MANIFEST_NAME}"

    src = download_source(job, ctx)
    source_sha256 = manifest.sha256_file(src)
    version = rendition_version(source_sha256, job.role, ctx)
    previous = _read_manifest(ctx, bucket, manifest_key)
    if previous is not None and previous.get("version") == version:
        return {**previous, "manifest_key": manifest_key, "job_id": job.job_id, "reused": True}

    root = ctx.scratch / "out"
    rendition = _render(src, root, job, ctx)
    version_base = f"{base}{version}/"
    result = rendition.manifest(root, key_prefix=version_base)
    result["version"] = version
    result["source"] |= {
        "bucket": job.source.bucket,
        "key": job.source.key,
        "version_id": job.source.version_id,
        "sha256": source_sha256,
    }
    _upload(ctx, bucket, root, result["outputs"], version_base)
    try:
        ctx.s3.put_object(
            Bucket=bucket,
            Key=manifest_key,
            Body=manifest.manifest_bytes(result),
            ContentType="application/json",
        )
    except (ClientError, BotoCoreError) as exc:
        raise _s3_error("manifest commit", exc) from None
    if previous is not None:
        _delete_stale(ctx, bucket, previous, {o["key"] for o in result["outputs"]})
    return {**result, "manifest_key": manifest_key, "job_id": job.job_id, "reused": False}
