"""Postconditions of a restore: every manifest object present with the same sha256."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from drills.errors import RestoreVerificationError
from drills.manifest import Manifest, sha256_of_object


@dataclass(frozen=True)
class Verification:
    """The result of checking a restored copy against the manifest."""

    bucket: str
    verified: int
    missing: tuple[str, ...]
    different: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.missing and not self.different


def _missing(exc: ClientError) -> bool:
    return exc.response.get("Error", {}).get("Code") in {"404", "NoSuchKey", "NotFound"}


def check_restore(s3: Any, manifest: Manifest, bucket: str) -> Verification:
    """Hash the current object of every manifest key in `bucket` and compare."""
    missing: list[str] = []
    different: list[str] = []
    verified = 0
    for entry in manifest.entries:
        try:
            digest = sha256_of_object(s3, bucket, entry.key)
        except ClientError as exc:
            if not _missing(exc):
                raise
            missing.append(entry.key)
            continue
        if digest != entry.sha256:
            different.append(entry.key)
        else:
            verified += 1
    return Verification(bucket, verified, tuple(missing), tuple(different))


def verify_restore(s3: Any, manifest: Manifest, bucket: str) -> Verification:
    """`check_restore`, raising `RestoreVerificationError` unless every object verified."""
    result = check_restore(s3, manifest, bucket)
    if not result.ok:
        raise RestoreVerificationError(bucket, list(result.missing), list(result.different))
    return result
