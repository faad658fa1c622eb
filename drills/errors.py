"""Typed errors of the restore drills: each names what was wrong and what to do."""

from __future__ import annotations

from pathlib import Path


class DrillError(Exception):
    """A drill could not run or its restore did not verify."""


class TargetError(DrillError):
    """The stack, its endpoint or its bucket cannot be reached or is not set up for restores."""


class VersioningDisabledError(TargetError):
    """Point-in-time restores from object versions need a versioned bucket."""

    def __init__(self, bucket: str) -> None:
        self.bucket = bucket
        super().__init__(
            f"bucket {bucket!r} is not versioned: point-in-time restore from object versions "
            "needs versioning enabled (the stack's storage component turns it on)"
        )


class RestoreVerificationError(DrillError):
    """Objects of the manifest are missing from, or differ in, the restored copy."""

    def __init__(
        self, bucket: str, missing: list[str], different: list[str], error: str | None = None
    ) -> None:
        self.bucket = bucket
        self.missing = missing
        self.different = different
        self.report_path: Path | None = None
        parts = [error] if error else []
        if missing:
            parts.append(f"{len(missing)} missing ({', '.join(missing[:5])})")
        if different:
            parts.append(f"{len(different)} different ({', '.join(different[:5])})")
        super().__init__(f"restore into {bucket!r} did not verify: {'; '.join(parts)}")
