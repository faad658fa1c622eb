"""Where transform sources come from: allowed buckets, read through an injected S3 client."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from botocore.exceptions import BotoCoreError, ClientError

from stacks.settings import Settings
from workers.images.errors import ImageTooLargeError

_MISSING = frozenset({"NoSuchKey", "404", "NotFound", "NoSuchBucket"})


class SourceNotFoundError(LookupError):
    """The source does not exist or is outside the allowed buckets (answered 404)."""


class SourceUnavailableError(RuntimeError):
    """The storage could not be read (answered 502)."""


@dataclass(frozen=True)
class SourceRef:
    """A source object."""

    bucket: str
    key: str


class SourceFetcher(Protocol):
    """Reads a source object's bytes."""

    def __call__(self, ref: SourceRef) -> bytes: ...


def resolve_source(source: str, settings: Settings) -> SourceRef:
    """`<role>/<key>` (role among `images.transform_sources`) or `s3://<bucket>/<key>`."""
    allowed = {role: settings.bucket_name(role) for role in settings.images.transform_sources}
    if source.startswith("s3://"):
        bucket, _, key = source.removeprefix("s3://").partition("/")
        if bucket not in allowed.values():
            raise SourceNotFoundError(f"bucket {bucket!r} is not a transform source")
    else:
        role, _, key = source.partition("/")
        if role not in allowed:
            raise SourceNotFoundError(f"{role!r} is not a transform source")
        bucket = allowed[role]
    if not key or key.startswith("/") or ".." in key.split("/"):
        raise SourceNotFoundError(f"bad source key {key!r}")
    return SourceRef(bucket, key)


class S3SourceFetcher:
    """Reads sources with a boto3 S3 client, refusing objects over `max_bytes` unread."""

    def __init__(self, s3: Any, max_bytes: int) -> None:
        self._s3 = s3
        self._max_bytes = max_bytes

    def __call__(self, ref: SourceRef) -> bytes:
        try:
            response = self._s3.get_object(Bucket=ref.bucket, Key=ref.key)
            length = int(response["ContentLength"])
            if length > self._max_bytes:
                response["Body"].close()
                raise ImageTooLargeError(
                    f"source is {length} bytes, over the limit of {self._max_bytes}"
                )
            return response["Body"].read()
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code in _MISSING:
                raise SourceNotFoundError(f"s3://{ref.bucket}/{ref.key} not found") from None
            raise SourceUnavailableError(f"s3://{ref.bucket}/{ref.key}: {code}") from None
        except BotoCoreError as exc:
            raise SourceUnavailableError(f"s3://{ref.bucket}/{ref.key}: {exc}") from None
