"""The upload operations over boto3: create, sign part, list parts, complete, abort.

Every operation takes the authenticated user id; a key that belongs to another user is
refused. The quota reservation (named by the upload ref inside the key) is the record of
an upload in progress: its declared size bounds the part numbers that can be signed and is
checked against the stored parts before completing.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from botocore.exceptions import BotoCoreError, ClientError

from stacks.settings import Settings
from workers.pipeline.roles import (
    DEFAULT_ROLE,
    ROLE_METADATA_KEY,
    InvalidRoleError,
    RoleMismatchError,
    UploadRole,
    check_role_fits,
    parse_role,
)
from workers.uploads import errors
from workers.uploads.metrics import UploadMetrics
from workers.uploads.naming import (
    InvalidFilenameError,
    InvalidKeyError,
    UploadKey,
    new_upload_key,
    parse_upload_key,
)
from workers.uploads.quotas import (
    QuotaContentionError,
    QuotaExceededError,
    QuotaStore,
    Reservation,
)
from workers.uploads.sizing import part_count, part_range, part_size

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CreatedUpload:
    """A new multipart upload and how the client must cut the file."""

    upload_id: str
    key: str
    size: int
    part_size: int
    part_count: int
    role: UploadRole


def _error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _etag(value: str) -> str:
    return value.strip().strip('"')


class UploadService:
    """Presigned multipart uploads into the stack's `incoming` bucket, with quotas."""

    def __init__(
        self,
        settings: Settings,
        *,
        s3: Any,
        quotas: QuotaStore,
        metrics: UploadMetrics,
        presign_s3: Any = None,
    ) -> None:
        self._settings = settings
        self._s3 = s3
        self._presign_s3 = presign_s3 if presign_s3 is not None else s3
        signature = getattr(self._presign_s3.meta.config, "signature_version", None)
        if signature not in {"s3v4", "v4"}:
            raise ValueError(
                "the S3 client that presigns part URLs must use SigV4: "
                "boto3.client('s3', config=Config(signature_version='s3v4'))"
            )
        self.quotas = quotas
        self._metrics = metrics
        self.bucket = settings.bucket_name("incoming")

    # ------------------------------------------------------------------ helpers

    def _owned(self, user_id: str, key: str) -> UploadKey:
        try:
            parsed = parse_upload_key(key)
        except InvalidKeyError as exc:
            raise errors.BadRequestError(str(exc)) from exc
        if parsed.user_id != user_id:
            raise errors.ForbiddenError("this upload belongs to another user")
        return parsed

    def _reservation(self, upload: UploadKey) -> Reservation:
        reservation = self.quotas.reservation(upload.user_id, upload.upload_ref)
        if reservation is None:
            raise errors.UploadNotFoundError(
                f"no upload in progress for {upload.key!r} (completed, aborted or unknown)"
            )
        return reservation

    def _listed_parts(self, upload_id: str, key: str) -> list[dict[str, Any]]:
        parts: list[dict[str, Any]] = []
        marker = 0
        while True:
            try:
                page = self._s3.list_parts(
                    Bucket=self.bucket, Key=key, UploadId=upload_id, PartNumberMarker=marker
                )
            except ClientError as exc:
                if _error_code(exc) == "NoSuchUpload":
                    raise errors.UploadNotFoundError(f"no such upload {upload_id!r}") from exc
                raise errors.UpstreamError(f"listing parts failed: {exc}") from exc
            parts.extend(page.get("Parts", []))
            if not page.get("IsTruncated"):
                return parts
            marker = int(page["NextPartNumberMarker"])

    # ------------------------------------------------------------------ operations

    def create(
        self,
        user_id: str,
        filename: str,
        size: int,
        content_type: str | None = None,
        role: UploadRole | str = DEFAULT_ROLE,
    ) -> CreatedUpload:
        """Reserve quota, then start a multipart upload; nothing is created when refused.

        `role` is stored as the object's `role` metadata (`x-amz-meta-role`), which the
        pipeline routes by; a file of a known kind that contradicts it is refused first.
        """
        if isinstance(size, bool) or not isinstance(size, int) or size < 0:
            raise errors.BadRequestError("size must be a non-negative integer (bytes)")
        if size == 0:
            raise errors.EmptyFileRequestError("the file is empty (0 bytes): nothing to upload")
        limit = self._settings.quotas.max_upload_bytes
        if size > limit:
            raise errors.FileTooLargeError(
                f"the file has {size} bytes; the largest upload accepted is {limit} bytes"
            )
        try:
            upload = new_upload_key(user_id, filename)
        except InvalidFilenameError as exc:
            raise errors.InvalidFilenameRequestError(str(exc)) from exc
        try:
            role = parse_role(role)
            check_role_fits(role, upload.filename)
        except InvalidRoleError as exc:
            raise errors.InvalidRoleRequestError(str(exc)) from exc
        except RoleMismatchError as exc:
            raise errors.RoleMismatchRequestError(str(exc)) from exc
        uploads = self._settings.uploads
        psize = part_size(
            size, min_part_bytes=uploads.min_part_bytes, max_parts=uploads.max_part_count
        )
        try:
            self.quotas.reserve(user_id, upload.upload_ref, size, psize)
        except QuotaExceededError as exc:
            self._metrics.quota_rejections.inc()
            raise errors.QuotaExceededRequestError(str(exc)) from exc
        except QuotaContentionError as exc:
            raise errors.BusyError(str(exc)) from exc
        try:
            response = self._s3.create_multipart_upload(
                Bucket=self.bucket,
                Key=upload.key,
                ContentType=content_type or "application/octet-stream",
                Metadata={
                    "user-id": user_id,
                    "upload-ref": upload.upload_ref,
                    "declared-size": str(size),
                    "original-filename": quote(filename, safe=""),
                    ROLE_METADATA_KEY: role.value,
                },
            )
        except (ClientError, BotoCoreError) as exc:
            self.quotas.release(user_id, upload.upload_ref)
            self._metrics.failed.labels(reason="create").inc()
            raise errors.UpstreamError(f"could not start the upload: {exc}") from exc
        self._metrics.started.inc()
        return CreatedUpload(
            upload_id=response["UploadId"],
            key=upload.key,
            size=size,
            part_size=psize,
            part_count=part_count(size, psize),
            role=role,
        )

    def sign_parts(
        self, user_id: str, upload_id: str, key: str, part_numbers: list[int]
    ) -> dict[int, str]:
        """Presigned `UploadPart` URLs for the given part numbers of an upload in progress."""
        upload = self._owned(user_id, key)
        reservation = self._reservation(upload)
        count = part_count(reservation.size, reservation.part_size)
        urls: dict[int, str] = {}
        for number in part_numbers:
            if not 1 <= number <= count:
                raise errors.BadRequestError(f"part number {number} outside 1..{count}")
            urls[number] = self._presign_s3.generate_presigned_url(
                "upload_part",
                Params={
                    "Bucket": self.bucket,
                    "Key": key,
                    "UploadId": upload_id,
                    "PartNumber": number,
                },
                ExpiresIn=self._settings.uploads.presign_expiry_seconds,
                HttpMethod="PUT",
            )
        self._metrics.parts_signed.inc(len(urls))
        return urls

    def list_parts(self, user_id: str, upload_id: str, key: str) -> list[dict[str, Any]]:
        """Parts stored so far: `[{PartNumber, Size, ETag}]` (what a resuming client skips)."""
        self._owned(user_id, key)
        return [
            {"PartNumber": int(p["PartNumber"]), "Size": int(p["Size"]), "ETag": p["ETag"]}
            for p in self._listed_parts(upload_id, key)
        ]

    def complete(self, user_id: str, upload_id: str, key: str, parts: Any) -> dict[str, Any]:
        """Check every part is stored with the right size, complete, and count the usage.

        `parts` is the client's `[{PartNumber, ETag}]`, validated here. The parts are listed
        while the reservation is read (two independent round trips, one wait), and the
        reservation read is the one the commit is conditional on.
        """
        upload = self._owned(user_id, key)
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="list-parts") as pool:
            listing = pool.submit(self._listed_parts, upload_id, key)
            reservation = self._reservation(upload)
            given = _parse_parts(parts)
            count = part_count(reservation.size, reservation.part_size)
            missing = sorted(set(range(1, count + 1)) - set(given))
            extra = sorted(set(given) - set(range(1, count + 1)))
            if missing or extra:
                self._metrics.failed.labels(reason="incomplete").inc()
                raise errors.IncompleteUploadError(
                    f"expected parts 1..{count}; missing {missing[:20]}, unexpected {extra[:20]}"
                )
            stored = {int(p["PartNumber"]): p for p in listing.result()}
        for number in range(1, count + 1):
            _, length = part_range(reservation.size, reservation.part_size, number)
            part = stored.get(number)
            if part is None or _etag(part["ETag"]) != given[number]:
                self._metrics.failed.labels(reason="incomplete").inc()
                raise errors.IncompleteUploadError(f"part {number} is not stored with that ETag")
            if int(part["Size"]) != length:
                self._metrics.failed.labels(reason="incomplete").inc()
                raise errors.IncompleteUploadError(
                    f"part {number} has {part['Size']} bytes, expected {length}"
                )
        try:
            response = self._s3.complete_multipart_upload(
                Bucket=self.bucket,
                Key=key,
                UploadId=upload_id,
                MultipartUpload={
                    "Parts": [
                        {"PartNumber": n, "ETag": f'"{given[n]}"'} for n in range(1, count + 1)
                    ]
                },
            )
        except ClientError as exc:
            self._metrics.failed.labels(reason="complete").inc()
            if _error_code(exc) == "NoSuchUpload":
                raise errors.UploadNotFoundError(f"no such upload {upload_id!r}") from exc
            raise errors.UpstreamError(f"completing the upload failed: {exc}") from exc
        self.quotas.commit(user_id, upload.upload_ref, reservation)
        self._metrics.completed.inc()
        self._metrics.bytes.inc(reservation.size)
        return {
            "location": response.get("Location", f"s3://{self.bucket}/{key}"),
            "bucket": self.bucket,
            "key": key,
            "size": reservation.size,
        }

    def abort(self, user_id: str, upload_id: str, key: str) -> None:
        """Abort the multipart upload and give its quota reservation back."""
        upload = self._owned(user_id, key)
        found = True
        try:
            self._s3.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id)
        except ClientError as exc:
            if _error_code(exc) != "NoSuchUpload":
                raise errors.UpstreamError(f"aborting the upload failed: {exc}") from exc
            found = False
        released = self.quotas.release(user_id, upload.upload_ref)
        if not found and released is None:
            raise errors.UploadNotFoundError(f"no such upload {upload_id!r}")
        self._metrics.failed.labels(reason="aborted").inc()

    def reap_abandoned(self, max_age_s: float, *, now: float | None = None) -> int:
        """Abort uploads reserved more than `max_age_s` ago and release their quota.

        The `incoming` bucket's lifecycle aborts stale multipart uploads on its own, but only
        this gives the reserved bytes back. Returns the number of reservations released.
        """
        cutoff = (time.time() if now is None else now) - max_age_s
        released = 0
        for user_id, reservation in list(self.quotas.reservations_older_than(cutoff)):
            prefix = f"{user_id}/{reservation.upload_ref}/"
            listed = self._s3.list_multipart_uploads(Bucket=self.bucket, Prefix=prefix)
            for upload in listed.get("Uploads", []):
                try:
                    self._s3.abort_multipart_upload(
                        Bucket=self.bucket, Key=upload["Key"], UploadId=upload["UploadId"]
                    )
                except ClientError as exc:
                    if _error_code(exc) != "NoSuchUpload":
                        raise
            if self.quotas.release(user_id, reservation.upload_ref) is not None:
                released += 1
                self._metrics.failed.labels(reason="abandoned").inc()
                log.info("released abandoned upload %s (%d bytes)", prefix, reservation.size)
        return released


def _parse_parts(parts: Any) -> dict[int, str]:
    """`[{PartNumber, ETag}]` from a client -> {part number: unquoted ETag}."""
    if not isinstance(parts, list) or not parts:
        raise errors.BadRequestError("'parts' must be a non-empty list of {PartNumber, ETag}")
    given: dict[int, str] = {}
    for part in parts:
        if not isinstance(part, dict):
            raise errors.BadRequestError("each part must be an object {PartNumber, ETag}")
        number, etag = part.get("PartNumber"), part.get("ETag")
        if isinstance(number, bool) or not isinstance(number, int) or not isinstance(etag, str):
            raise errors.BadRequestError("each part needs an integer PartNumber and a string ETag")
        if number in given:
            raise errors.BadRequestError(f"part {number} listed twice")
        given[number] = _etag(etag)
    return given
