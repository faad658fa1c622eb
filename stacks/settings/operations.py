"""Alert thresholds, backup, quotas, uploads, prices and the SLAs."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from stacks.settings.base import (
    Frozen,
    Percent,
    PositiveFloat,
    PositiveInt,
    aws_schedule,
)


class AlertSettings(Frozen):
    """Thresholds shared by CloudWatch alarms and the local Prometheus rules."""

    queue_age_seconds: PositiveInt = 30
    dlq_depth: Annotated[int, Field(ge=0)] = 0
    """Alarm when a DLQ holds more than this many messages."""
    origin_5xx_rate_percent: Percent = 1.0
    origin_latency_p95_ms: PositiveInt = 200
    origin_latency_p99_ms: PositiveInt = 500
    edge_hit_ratio_percent: Percent = 90.0
    evaluation_periods: PositiveInt = 3
    period_seconds: Literal[10, 30, 60, 300, 900, 3600] = 60
    email_endpoints: dict[Literal["critical", "warning", "info"], tuple[str, ...]] = {}


class BackupSettings(Frozen):
    """AWS Backup plan: continuous (PITR), hourly and daily rules, cross-region copy."""

    continuous_retention_days: Annotated[int, Field(ge=1, le=35)] = 35
    hourly_schedule: str = "cron(0 * ? * * *)"
    hourly_retention_days: PositiveInt = 30
    daily_schedule: str = "cron(0 3 ? * * *)"
    daily_retention_days: PositiveInt = 30
    copy_region: str | None = None
    vault_lock_min_retention_days: PositiveInt = 7
    vault_lock_max_retention_days: PositiveInt = 365
    selection_tag_key: str = "backup"
    selection_tag_value: str = "media-infra"
    drill_schedule: str = "cron(0 4 ? * SUN *)"

    @field_validator("hourly_schedule", "daily_schedule", "drill_schedule")
    @classmethod
    def _cron(cls, value: str) -> str:
        return aws_schedule(value)

    @model_validator(mode="after")
    def _retention_within_lock(self) -> BackupSettings:
        low, high = self.vault_lock_min_retention_days, self.vault_lock_max_retention_days
        if low > high:
            raise ValueError(
                "vault_lock_min_retention_days must be <= vault_lock_max_retention_days"
            )
        for name in ("continuous_retention_days", "hourly_retention_days", "daily_retention_days"):
            days = getattr(self, name)
            if not low <= days <= high:
                raise ValueError(
                    f"{name} ({days}) must lie within the vault lock's {low}..{high} days"
                )
        return self


class QuotaSettings(Frozen):
    """Per-user storage quotas enforced by the uploads API."""

    default_bytes: PositiveInt = 50 * 1024**3
    """Quota of a user without a per-user limit in the quotas table."""
    notify_percents: tuple[Percent, ...] = (80.0, 90.0, 95.0)
    """Usage percents that each send one warning when crossed (plus one when exceeded); also
    the thresholds of the bucket-size alarms of every bucket with a `quota_bytes`."""
    max_upload_bytes: PositiveInt = 10 * 1024**3
    """Largest single upload accepted, whatever the remaining quota."""

    @field_validator("notify_percents")
    @classmethod
    def _ascending(cls, value: tuple[float, ...]) -> tuple[float, ...]:
        if list(value) != sorted(set(value)):
            raise ValueError("notify_percents must be strictly increasing")
        return value


class UploadSettings(Frozen):
    """The uploads API: token secret reference, presigned multipart limits, listen port."""

    token_secret_env: Annotated[str, Field(pattern=r"^[A-Z_][A-Z0-9_]*$")] = (
        "MEDIAINFRA_UPLOAD_TOKEN_SECRET"
    )
    """Environment variable holding the HMAC secret of bearer tokens (set from a secret store)."""
    token_ttl_seconds: PositiveInt = 12 * 3600
    presign_expiry_seconds: Annotated[int, Field(ge=60, le=604800)] = 3600
    min_part_bytes: Annotated[int, Field(ge=5 * 1024**2)] = 5 * 1024**2
    max_part_count: Annotated[int, Field(ge=1, le=10000)] = 10000
    port: Annotated[int, Field(gt=0, lt=65536)] = 8070


class PriceTable(Frozen):
    """List prices in USD, used by the cost model and analytics."""

    storage_gb_month: dict[str, PositiveFloat] = {
        "STANDARD": 0.023,
        "INTELLIGENT_TIERING": 0.023,
        "STANDARD_IA": 0.0125,
        "GLACIER_IR": 0.004,
        "GLACIER": 0.0036,
        "DEEP_ARCHIVE": 0.00099,
    }
    egress_gb: PositiveFloat = 0.09
    cdn_egress_gb: Annotated[float, Field(ge=0)] = 0.0
    put_per_1000: PositiveFloat = 0.005
    get_per_1000: PositiveFloat = 0.0004


class SlaSettings(Frozen):
    """Service levels the load tests and drills verify."""

    upload_mb_per_s: PositiveFloat = 5.0
    download_mb_per_s: PositiveFloat = 10.0
    first_byte_p95_ms: PositiveFloat = 200.0
    cache_hit_percent: Percent = 90.0
    queue_wait_p95_seconds: PositiveFloat = 30.0
    rto_minutes: PositiveFloat = 15.0
    rpo_minutes: PositiveFloat = 5.0
    max_failure_percent: Annotated[float, Field(ge=0, le=100)] = 1.0
    malicious_blocked_percent: Percent = 100.0
