"""Where clean content goes: its role, its bucket, and the processing jobs it needs.

The role is decided by `decide_role`: the job's own role (`track`/`stem`/`cover`) when it
has one, else the role the upload declared in its object metadata (`x-amz-meta-role`, set
by the uploads API) — authoritative: an unknown declared role, or one its file contradicts
(a `.wav` declared `cover`), is a `RoutingError` and nothing is stored. Only an object that
declares nothing (put straight into `incoming`) has its role guessed: a `tracks/`, `stems/`
or `covers/` folder in the key, else the extension (audio -> track, image -> cover).

Follow-up job ids are derived from the content hash, so the same content is processed once
however many users upload it and however often a message is delivered.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any, Literal

from stacks.settings import BucketRole, JobKind, Settings
from workers.errors import PermanentJobError
from workers.jobs import JobMessage, ObjectRef, OutputRef
from workers.pipeline.roles import (
    COVER_EXTENSIONS,
    ROLE_METADATA_KEY,
    STEM_TO_FLAC_EXTENSIONS,
    TRACK_EXTENSIONS,
    InvalidRoleError,
    RoleMismatchError,
    UploadRole,
    check_role_fits,
    parse_role,
)

ROLES = frozenset(role.value for role in UploadRole)
_FOLDER_ROLES = {"tracks": "track", "stems": "stem", "covers": "cover"}


class RoutingError(PermanentJobError):
    """An upload whose declared role is unknown or contradicted by its file: not stored."""


@dataclass(frozen=True)
class RoleDecision:
    """The role content is routed by, and where that role came from."""

    role: str
    """`track`, `stem`, `cover`, or `upload` (stored, no processing)."""
    source: Literal["job", "declared", "guessed"]


def decide_role(job: JobMessage, metadata: dict[str, str] | None = None) -> RoleDecision:
    """The routing role of `job`'s source; `RoutingError` for a bad declared role."""
    if job.role in ROLES:
        return RoleDecision(job.role, "job")
    declared = (metadata or {}).get(ROLE_METADATA_KEY, job.attributes.get(ROLE_METADATA_KEY))
    if declared is not None:
        try:
            role = parse_role(declared)
            check_role_fits(role, job.source.key)
        except (InvalidRoleError, RoleMismatchError) as exc:
            raise RoutingError(f"s3://{job.source.bucket}/{job.source.key}: {exc}") from None
        return RoleDecision(role.value, "declared")
    return RoleDecision(guess_role(job.source.key), "guessed")


def classify_role(job: JobMessage, metadata: dict[str, str] | None = None) -> str:
    """`track`, `stem`, `cover` or `upload` (stored, no processing); see `decide_role`."""
    return decide_role(job, metadata).role


def guess_role(key: str) -> str:
    """The role of an object that declares none: from a role folder, else the extension."""
    path = PurePosixPath(key)
    for part in path.parts[:-1]:
        if part.lower() in _FOLDER_ROLES:
            return _FOLDER_ROLES[part.lower()]
    suffix = path.suffix.lower()
    if suffix in TRACK_EXTENSIONS:
        return "track"
    if suffix in COVER_EXTENSIONS:
        return "cover"
    return "upload"


def content_bucket(settings: Settings, role: str) -> str:
    """Stems live in the `stems` bucket; tracks, covers and other uploads in `masters`."""
    return settings.bucket_name(BucketRole.STEMS if role == "stem" else BucketRole.MASTERS)


def follow_up_jobs(
    settings: Settings,
    source_job: JobMessage,
    role: str,
    stored: ObjectRef,
    sha256: str,
) -> list[JobMessage]:
    """The processing jobs for stored clean content (none for plain uploads)."""
    suffix = PurePosixPath(source_job.source.key).suffix.lower()
    attributes = {
        "original_bucket": source_job.source.bucket,
        "original_key": source_job.source.key,
        "filename": PurePosixPath(source_job.source.key).name,
        "extension": suffix,
    }
    derivatives = settings.bucket_name(BucketRole.DERIVATIVES)
    common: dict[str, Any] = {
        "source": stored,
        "content_hash": sha256,
        "user_id": source_job.user_id,
        "attributes": attributes,
    }
    if role == "track" and suffix in TRACK_EXTENSIONS:
        return [
            JobMessage(
                job_id=f"audio-track-{sha256}",
                kind="audio",
                role="track",
                output=OutputRef(bucket=derivatives, prefix=f"audio/{sha256}/"),
                **common,
            )
        ]
    if role == "stem" and suffix in STEM_TO_FLAC_EXTENSIONS:
        return [
            JobMessage(
                job_id=f"audio-stem-{sha256}",
                kind="audio",
                role="stem",
                # the stems bucket even when dedup found this content stored as a track
                output=OutputRef(bucket=content_bucket(settings, role), prefix=f"flac/{sha256}/"),
                **common,
            )
        ]
    if role == "cover" and suffix in COVER_EXTENSIONS:
        return [
            JobMessage(
                job_id=f"image-cover-{sha256}",
                kind="image",
                role="cover",
                output=OutputRef(bucket=derivatives, prefix=f"images/{sha256}/"),
                **common,
            )
        ]
    return []


def queue_url(sqs: Any, settings: Settings, kind: JobKind | str, *, dlq: bool = False) -> str:
    """URL of a job kind's queue (or its DLQ) by its physical name."""
    name = settings.resource_name(f"{JobKind(kind).value}-dlq" if dlq else JobKind(kind).value)
    return str(sqs.get_queue_url(QueueName=name)["QueueUrl"])


def enqueue(sqs: Any, settings: Settings, jobs: list[JobMessage]) -> list[str]:
    """Send jobs to their kinds' queues; returns the job ids sent."""
    for job in jobs:
        sqs.send_message(
            QueueUrl=queue_url(sqs, settings, job.kind), MessageBody=job.model_dump_json()
        )
    return [job.job_id for job in jobs]
