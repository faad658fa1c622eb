"""Buckets and their tiers (lifecycle, intelligent-tiering)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from stacks.settings.base import (
    Frozen,
    PositiveInt,
)


class BucketRole(StrEnum):
    """The buckets of the platform, by the role they play in the data flow."""

    INCOMING = "incoming"
    QUARANTINE = "quarantine"
    MASTERS = "masters"
    STEMS = "stems"
    DERIVATIVES = "derivatives"
    LOGS = "logs"


StorageClass = Literal[
    "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE"
]


class Transition(Frozen):
    """Move current objects to a colder storage class after `days`."""

    days: Annotated[int, Field(ge=0)]
    storage_class: StorageClass


class IntelligentTiering(Frozen):
    """Archive tiers of an S3 intelligent-tiering configuration (the cold end)."""

    archive_access_days: Annotated[int, Field(ge=90, le=730)] = 90
    deep_archive_access_days: Annotated[int, Field(ge=180, le=730)] = 180

    @model_validator(mode="after")
    def _ordered(self) -> IntelligentTiering:
        if self.deep_archive_access_days <= self.archive_access_days:
            raise ValueError("deep_archive_access_days must exceed archive_access_days")
        return self


class BucketSettings(Frozen):
    """One bucket: its tiers (lifecycle) and retention."""

    transitions: tuple[Transition, ...] = ()
    intelligent_tiering: IntelligentTiering | None = None
    expire_days: PositiveInt | None = None
    noncurrent_expire_days: PositiveInt = 30
    abort_multipart_days: PositiveInt = 7
    quota_bytes: PositiveInt | None = None
    """Alarm reference for the bucket's size (80/90/95 % alarms)."""
    public_read: bool = False
    """Serves anonymous GETs of its objects: only for deliberately public assets. The policy
    pack refuses it (`s3-no-public-access`)."""

    @field_validator("transitions")
    @classmethod
    def _increasing(cls, value: tuple[Transition, ...]) -> tuple[Transition, ...]:
        days = [t.days for t in value]
        if days != sorted(days) or len(set(days)) != len(days):
            raise ValueError("transition days must be strictly increasing")
        for t in value:
            if t.storage_class in ("STANDARD_IA", "ONEZONE_IA") and t.days < 30:
                raise ValueError(
                    f"S3 moves objects to {t.storage_class} after 30 days at the earliest"
                )
        return value

    @model_validator(mode="after")
    def _expire_after_tiers(self) -> BucketSettings:
        last = self.transitions[-1].days if self.transitions else None
        if self.expire_days is not None and last is not None and self.expire_days <= last:
            raise ValueError("expire_days must exceed the last transition's days")
        return self


class StorageSettings(Frozen):
    """All buckets; every role must be present."""

    bucket_prefix: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{1,40}$")]
    force_destroy: bool = False
    cors_origins: tuple[str, ...] = ("*",)
    kms_deletion_window_days: Annotated[int, Field(ge=7, le=30)] = 30
    """Waiting period before a scheduled deletion of the stack's KMS keys takes effect."""
    athena_results_expire_days: Annotated[int, Field(ge=1, le=3650)] = 30
    """Athena query results (`logs` under `athena-results/`) are deleted after this."""
    buckets: dict[BucketRole, BucketSettings]

    @field_validator("buckets")
    @classmethod
    def _all_roles(
        cls, value: dict[BucketRole, BucketSettings]
    ) -> dict[BucketRole, BucketSettings]:
        missing = [role.value for role in BucketRole if role not in value]
        if missing:
            raise ValueError(f"missing buckets: {', '.join(missing)}")
        return value

    def bucket_name(self, role: BucketRole, stack: str) -> str:
        """Physical bucket name: `<prefix>-<role>-<stack>`."""
        return f"{self.bucket_prefix}-{role.value}-{stack}"
