"""Typed stack settings: the one source of truth for every target.

This module is the root of the import graph: it imports nothing of ours and not pulumi.
`Settings.from_mapping` builds the frozen, validated settings from a plain mapping (what
`pulumi.Config` holds for the `media-infra` namespace); `load_stack` reads the `config:`
block of `stacks/Pulumi.<stack>.yaml` with pyyaml for the CLI, the tests and the workers.
An unknown or invalid key raises `SettingsError` naming the file, the key and what was
expected.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

NAMESPACE = "media-infra"
STACKS_DIR = Path(__file__).resolve().parent

PositiveInt = Annotated[int, Field(gt=0)]
PositiveFloat = Annotated[float, Field(gt=0)]
Percent = Annotated[float, Field(gt=0, le=100)]


class SettingsError(ValueError):
    """Invalid stack settings: names the source file, the key path and what was expected."""

    def __init__(self, source: str, problems: list[tuple[str, str]]) -> None:
        self.source = source
        self.problems = problems
        lines = [f"{source}: {key}: {message}" for key, message in problems]
        super().__init__("\n".join(lines))


class Frozen(BaseModel):
    """Base of every settings type: immutable, unknown keys rejected."""

    model_config = ConfigDict(frozen=True, extra="forbid")


# --------------------------------------------------------------------------- storage


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


# --------------------------------------------------------------------------- delivery

CacheClass = Literal["images", "audio", "api", "hls-playlists", "hls-segments", "static"]


class CacheMatch(Frozen):
    """What a cache rule matches: URI path prefixes and/or file extensions (OR-ed)."""

    path_prefixes: tuple[Annotated[str, Field(pattern=r"^/[A-Za-z0-9/_.-]*$")], ...] = ()
    extensions: tuple[Annotated[str, Field(pattern=r"^[a-z0-9]{1,8}$")], ...] = ()

    @model_validator(mode="after")
    def _not_empty(self) -> CacheMatch:
        if not self.path_prefixes and not self.extensions:
            raise ValueError("a cache rule must match path_prefixes or extensions")
        return self


class CacheRule(Frozen):
    """One cache class: what it matches and how long the edge and the browser keep it."""

    cache_class: CacheClass
    match: CacheMatch
    edge_ttl_seconds: Annotated[int, Field(ge=0)]
    browser_ttl_seconds: Annotated[int, Field(ge=0)]
    cache_tag: str | None = None
    """Cache-Tag the origin sets on responses of this class (purge by tag)."""


class ZoneSettings(Frozen):
    """Cloudflare zone settings enforced by the delivery component and the policies."""

    brotli: Literal["on", "off"] = "on"
    http3: Literal["on", "off"] = "on"
    zero_rtt: Literal["on", "off"] = "on"
    early_hints: Literal["on", "off"] = "on"
    min_tls_version: Literal["1.0", "1.1", "1.2", "1.3"] = "1.2"
    always_use_https: Literal["on", "off"] = "on"
    tiered_cache: bool = True


S3Uri = Annotated[str, Field(pattern=r"^s3://[a-z0-9.-]+/.+$")]
CLOUDFLARE_IPV4_CIDRS = (
    "173.245.48.0/20",
    "103.21.244.0/22",
    "103.22.200.0/22",
    "103.31.4.0/22",
    "141.101.64.0/18",
    "108.162.192.0/18",
    "190.93.240.0/20",
    "188.114.96.0/20",
    "197.234.240.0/22",
    "198.41.128.0/17",
    "162.158.0.0/15",
    "104.16.0.0/13",
    "104.24.0.0/14",
    "172.64.0.0/13",
    "131.0.72.0/22",
)
CLOUDFLARE_IPV6_CIDRS = (
    "2400:cb00::/32",
    "2606:4700::/32",
    "2803:f800::/32",
    "2405:b500::/32",
    "2405:8100::/32",
    "2a06:98c0::/29",
    "2c0f:f248::/32",
)


class DeliverySettings(Frozen):
    """The edge: Cloudflare zone, the origin behind it, and the cache rules."""

    domain: str
    cloudflare_account_id: str = ""
    cloudflare_zone_id: str = ""
    origin_hostname: str
    origin_port: Annotated[int, Field(gt=0, lt=65536)] = 443
    origin_container_port: Annotated[int, Field(gt=0, lt=65536)] = 8080
    """Port the delivery origin service (`mediainfra origin serve`) listens on in its task."""
    origin_health_path: Annotated[str, Field(pattern=r"^/[A-Za-z0-9/_.-]*$")] = "/healthz"
    origin_pull_ca_bundle_s3_uri: S3Uri | None = None
    """CA bundle (Cloudflare's origin-pull CA) for the ALB trust store: with it the HTTPS
    listener verifies the client certificate of authenticated origin pulls (mTLS `verify`);
    without it the listener passes the certificate through to the origin (`passthrough`)."""
    cloudflare_ipv4_cidrs: tuple[str, ...] = CLOUDFLARE_IPV4_CIDRS
    """Cloudflare's edge ranges (https://www.cloudflare.com/ips-v4): the only origin ingress."""
    cloudflare_ipv6_cidrs: tuple[str, ...] = CLOUDFLARE_IPV6_CIDRS
    zone: ZoneSettings = ZoneSettings()
    cache_rules: tuple[CacheRule, ...]
    signed_url_ttl_seconds: PositiveInt = 3600

    @field_validator("cloudflare_ipv4_cidrs", "cloudflare_ipv6_cidrs")
    @classmethod
    def _cidrs(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for cidr in value:
            ipaddress.ip_network(cidr)  # ValueError names the bad range
        return value

    @field_validator("cache_rules")
    @classmethod
    def _disjoint(cls, rules: tuple[CacheRule, ...]) -> tuple[CacheRule, ...]:
        seen_classes: set[str] = set()
        seen_ext: dict[str, str] = {}
        for rule in rules:
            if rule.cache_class in seen_classes:
                raise ValueError(f"cache class {rule.cache_class!r} defined twice")
            seen_classes.add(rule.cache_class)
            for ext in rule.match.extensions:
                if ext in seen_ext:
                    raise ValueError(
                        f"extension {ext!r} in both {seen_ext[ext]!r} and {rule.cache_class!r}"
                    )
                seen_ext[ext] = rule.cache_class
        return rules

    def rule_for(self, cache_class: str) -> CacheRule:
        """The cache rule of a class; KeyError when the class has none."""
        for rule in self.cache_rules:
            if rule.cache_class == cache_class:
                return rule
        raise KeyError(cache_class)


# --------------------------------------------------------------------------- processing


class JobKind(StrEnum):
    """Kinds of processing jobs, one queue (and DLQ) each."""

    SCAN = "scan"
    AUDIO = "audio"
    IMAGE = "image"


class QueueSettings(Frozen):
    """One job queue and its dead-letter queue."""

    visibility_timeout_seconds: Annotated[int, Field(ge=0, le=43200)] = 300
    max_receive_count: Annotated[int, Field(ge=1, le=1000)] = 5
    retention_seconds: Annotated[int, Field(ge=60, le=1209600)] = 345600
    dlq_retention_seconds: Annotated[int, Field(ge=60, le=1209600)] = 1209600


class WorkerService(Frozen):
    """One containerised worker service (ECS Fargate) and its autoscaling."""

    cpu: Literal[256, 512, 1024, 2048, 4096, 8192, 16384] = 1024
    memory_mib: Annotated[int, Field(ge=512, le=122880)] = 2048
    min_tasks: Annotated[int, Field(ge=0)] = 1
    max_tasks: PositiveInt = 10
    backlog_per_task: PositiveInt = 10
    """Target queue messages per running task (the scaling metric)."""

    @model_validator(mode="after")
    def _bounds(self) -> WorkerService:
        if self.max_tasks < self.min_tasks:
            raise ValueError("max_tasks must be >= min_tasks")
        return self


class NetworkSettings(Frozen):
    """An existing network the services run in (not created by this program)."""

    vpc_id: str
    private_subnet_ids: tuple[str, ...] = Field(min_length=1)
    public_subnet_ids: tuple[str, ...] = Field(min_length=1)
    """Subnets for the origin's load balancer."""


class ProcessingSettings(Frozen):
    """Queues per job kind, the worker image and the services that consume them."""

    image_repository: str
    image_tag: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]{1,128}$")]
    queues: dict[JobKind, QueueSettings]
    services: dict[JobKind, WorkerService]
    delivery_service: WorkerService = WorkerService()

    @field_validator("queues", "services")
    @classmethod
    def _every_kind(cls, value: dict[JobKind, Any]) -> dict[JobKind, Any]:
        missing = [kind.value for kind in JobKind if kind not in value]
        if missing:
            raise ValueError(f"missing job kinds: {', '.join(missing)}")
        return value


# --------------------------------------------------------------------------- operations


class AlertSettings(Frozen):
    """Thresholds shared by CloudWatch alarms and the local Prometheus rules."""

    queue_age_seconds: PositiveInt = 30
    dlq_depth: Annotated[int, Field(ge=0)] = 0
    """Alarm when a DLQ holds more than this many messages."""
    origin_5xx_rate_percent: Percent = 1.0
    origin_latency_p95_ms: PositiveInt = 200
    origin_latency_p99_ms: PositiveInt = 500
    quota_percents: tuple[Percent, ...] = (80.0, 90.0, 95.0)
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
        cron = r"cron\(\S+( \S+){5}\)"
        rate = r"rate\(([2-9]|[1-9]\d+) (minutes|hours|days)\)|rate\(1 (minute|hour|day)\)"
        if not re.fullmatch(f"{cron}|{rate}", value):
            raise ValueError(
                "expected an AWS schedule expression: 'cron(min hour day-of-month month "
                "day-of-week year)' such as 'cron(0 3 ? * * *)', or 'rate(N unit)'"
            )
        return value

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
    """Usage percents that each send one warning when crossed (plus one when exceeded)."""
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


# --------------------------------------------------------------------------- workers

AudioCodec = Literal["mp3", "ogg", "m4a"]


class AudioSettings(Frozen):
    """The transcoding ladder, lossy policy per role, HLS packaging and watermark parameters."""

    codecs: tuple[AudioCodec, ...] = ("mp3", "ogg", "m4a")
    bitrates_kbps: tuple[Literal[96, 128, 160, 192, 256, 320], ...] = (128, 256, 320)
    lossy_policy: dict[Literal["track", "stem"], tuple[str, ...]] = {
        "track": ("*",),
        "stem": (),
    }
    """Ladder variants kept per role: `*`, `<codec>-*`, `*-<kbps>` or `<codec>-<kbps>`."""
    hls_min_duration_seconds: Annotated[float, Field(ge=0)] = 180.0
    hls_segment_seconds: PositiveInt = 6
    parallel_encodes: PositiveInt = 2
    vorbis_rate_managed: bool = False
    """Hold Vorbis to >= 90 % of its bitrate (libvorbis rate management: ~4x the CPU);
    off, Vorbis is VBR by estimate (near target on music, ~30 % under on noise)."""
    stem_format: Literal["flac"] = "flac"
    watermark_key: str = Field(default="media-infra-dev-watermark-key", min_length=8)
    """Secret keying the invisible watermark (set with `pulumi config set --secret`)."""
    watermark_strength: Annotated[float, Field(gt=0, le=0.5)] = 0.1
    """Relative band-gain modulation of the invisible watermark (0.1 = +/-0.8 dB)."""
    trial_interval_seconds: PositiveFloat = 20.0
    trial_gain_db: Annotated[float, Field(le=0)] = -12.0

    @field_validator("lossy_policy")
    @classmethod
    def _variant_patterns(cls, value: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        for patterns in value.values():
            for pattern in patterns:
                if not re.fullmatch(r"\*|(mp3|ogg|m4a|\*)-(\d+|\*)", pattern):
                    raise ValueError(f"bad variant pattern {pattern!r}: expected e.g. 'mp3-320'")
        return value


ImageQuality = Annotated[int, Field(ge=1, le=100)]
ImagePresetName = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$")]
ImagePresetOptions = Annotated[str, Field(pattern=r"^[a-z_]+:[^/]*(/[a-z_]+:[^/]*)*$")]
SigningKeyId = Annotated[str, Field(pattern=r"^[A-Za-z0-9_]{1,32}$")]


class ImageSettings(Frozen):
    """Image optimisation, the signed transform service, and their safety limits."""

    sizes: tuple[PositiveInt, ...] = Field(
        default=(256, 512, 1024, 2048), min_length=3, max_length=5
    )
    """Responsive widths in pixels (never upscaled)."""
    responsive_formats: tuple[Literal["webp", "jpeg"], ...] = Field(
        default=("webp", "jpeg"), min_length=1
    )
    webp_quality: ImageQuality = 80
    jpeg_quality: ImageQuality = 85
    avif_quality: ImageQuality = 50
    max_pixels: PositiveInt = 50_000_000
    """Source width x height refused (from the header, before decoding) above this."""
    max_source_bytes: PositiveInt = 200 * 1024**2
    max_output_dimension: PositiveInt = 4096
    """Longest side of a transform-service output; larger requests are capped."""
    animated: Literal["first-frame", "refuse"] = "first-frame"
    """Animated GIF/WebP: optimise the first frame, or refuse the image."""
    presets: dict[ImagePresetName, ImagePresetOptions] = {
        "thumb": "rs:fill:256:256/g:sm/q:80",
        "cover": "rs:fit:1024:1024",
        "avatar": "rs:fill:128:128/g:ce/f:webp",
    }
    """Named transform options, used as `preset:<name>` (imgproxy syntax)."""
    transform_sources: tuple[Literal["derivatives", "masters"], ...] = ("derivatives", "masters")
    """Bucket roles the transform service may read sources from."""
    signing_key_ids: tuple[SigningKeyId, ...] = Field(default=("k1",), min_length=1, max_length=2)
    """Active URL-signing keys (two during a rotation); the key and salt of id `K` are
    hex strings in `MEDIAINFRA_IMAGE_KEY_K` / `MEDIAINFRA_IMAGE_SALT_K` (secrets, never here)."""
    watermark_text: str = "media-infra"
    watermark_opacity: Annotated[float, Field(gt=0, le=1)] = 0.5
    transform_concurrency: PositiveInt = 2
    parallel_encodes: PositiveInt = 2
    """Variants encoded at once by the image worker (threads)."""

    @field_validator("sizes")
    @classmethod
    def _sizes_increasing(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if list(value) != sorted(set(value)):
            raise ValueError("sizes must be strictly increasing")
        return value


class ScanSettings(Frozen):
    """Virus scanning limits: larger files are never treated as clean."""

    clamd_address: str = "127.0.0.1:3310"
    """clamd to use: `HOST:PORT` (TCP, 127.0.0.1 locally) or the path of a unix socket."""
    max_file_bytes: Annotated[int, Field(gt=0, le=4 * 1024**3 - 1)] = 2 * 1024**3
    """Larger files are not scanned and never clean; also clamd's StreamMaxLength/MaxFileSize."""
    chunk_bytes: Annotated[int, Field(ge=65536)] = 1024 * 1024
    timeout_seconds: PositiveFloat = 120.0
    max_attempts: PositiveInt = 3
    """Receives of a scan job before an unscannable file is quarantined (capped by the queue)."""
    retry_backoff_seconds: Annotated[float, Field(ge=0)] = 10.0
    """First visibility delay after a transient failure; doubles per receive."""


# --------------------------------------------------------------------------- cloud tasks

AwsRegion = Annotated[str, Field(pattern=r"^[a-z]{2}(-[a-z]+)+-\d$")]
FargateCpu = Literal[256, 512, 1024, 2048, 4096, 8192, 16384]
FargateMemory = Annotated[int, Field(ge=512, le=122880)]


def _aws_schedule(value: str) -> str:
    cron = r"cron\(\S+( \S+){5}\)"
    rate = r"rate\(([2-9]|[1-9]\d+) (minutes|hours|days)\)|rate\(1 (minute|hour|day)\)"
    if not re.fullmatch(f"{cron}|{rate}", value):
        raise ValueError(
            "expected an AWS schedule expression: 'cron(min hour day-of-month month "
            "day-of-week year)' such as 'cron(0 3 ? * * *)', or 'rate(N unit)'"
        )
    return value


class UploadsServiceSettings(Frozen):
    """The uploads API in the cloud: a Fargate service behind the origin ALB."""

    enabled: bool = True
    """False: no uploads service (the API runs elsewhere)."""
    service: WorkerService = WorkerService(
        cpu=512, memory_mib=1024, min_tasks=2, max_tasks=10, backlog_per_task=500
    )
    """Task size and scaling; `backlog_per_task` is ALB requests per target per minute."""
    listener_rule_priority: Annotated[int, Field(ge=1, le=50000)] = 100
    """Priority of the origin listener's rule sending `/s3/multipart*` to the uploads API."""


class ClamdSidecarSettings(Frozen):
    """The clamd sidecar of the scan task; the worker reaches it at `scan.clamd_address`."""

    image: str = "clamav/clamav:1.4"
    memory_reservation_mib: Annotated[int, Field(ge=256)] = 1536
    """Memory kept for clamd (signatures ~1 GiB, twice that while reloading)."""
    start_period_seconds: Annotated[int, Field(ge=0, le=300)] = 300
    """Health-check grace while clamd loads (or downloads) its signatures."""
    config_path: str = "/etc/clamav/clamd.conf"
    """The image's clamd.conf, where the sidecar writes its listen address and limits."""
    entrypoint: str = "/init"
    """The image's own entry point (starts freshclam and clamd), run after the config edit."""
    health_command: str = "clamdcheck.sh"
    """Shell command that exits 0 when clamd answers PING."""


class TaskSize(Frozen):
    """CPU and memory of a one-off Fargate task."""

    cpu: FargateCpu = 512
    memory_mib: FargateMemory = 1024


class DrillTaskSettings(Frozen):
    """The weekly restore drill (`mediainfra drill pitr`), run at `backup.drill_schedule`."""

    bucket: BucketRole = BucketRole.MASTERS
    prefix: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*/$")] = (
        "restore-drills/"
    )
    """Key prefix the drill seeds, damages and restores (its task role may touch nothing else)."""
    seed_objects: PositiveInt = 20
    size: TaskSize = TaskSize()


class CacheWarmSettings(Frozen):
    """Off-peak cache warming (`mediainfra cache warm --top N`)."""

    schedule: str | None = "cron(30 4 * * ? *)"
    """When to warm (None: never)."""
    top: PositiveInt = 500
    size: TaskSize = TaskSize(cpu=256, memory_mib=512)

    @field_validator("schedule")
    @classmethod
    def _schedule(cls, value: str | None) -> str | None:
        return None if value is None else _aws_schedule(value)


class ScheduleSettings(Frozen):
    """Scheduled ECS tasks (EventBridge Scheduler); none without a network."""

    timezone: str = "UTC"
    """Time zone of the cron expressions (IANA name)."""
    drill_enabled: bool = True
    drill: DrillTaskSettings = DrillTaskSettings()
    cache_warm: CacheWarmSettings = CacheWarmSettings()


class LoadGenRegion(Frozen):
    """Locust workers in one region, in an existing network of that region."""

    region: AwsRegion
    label: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,31}$")]
    """Region label of these workers (`LOCUST_REGION`: the per-region breakdown)."""
    workers: PositiveInt = 1
    vpc_id: str
    subnet_ids: tuple[str, ...] = Field(min_length=1)
    """Private subnets whose NAT gateways give the workers the `egress_cidrs` addresses."""
    egress_cidrs: tuple[str, ...] = ()
    """Public source addresses of these workers (NAT EIPs), admitted by the master's NLB."""

    @field_validator("egress_cidrs")
    @classmethod
    def _cidrs(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for cidr in value:
            ipaddress.ip_network(cidr)
        return value


class LoadGenSettings(Frozen):
    """Distributed Locust in the cloud: a master in the stack's network, workers per region."""

    enabled: bool = False
    """Off by default: no load-generator resources at all."""
    target_url: str | None = None
    """What the workers load (default `https://<delivery.domain>`)."""
    locustfile: str = "loadtests"
    master_size: TaskSize = TaskSize(cpu=1024, memory_mib=2048)
    worker_size: TaskSize = TaskSize(cpu=1024, memory_mib=2048)
    master_access: Literal["public-nlb", "peered"] = "public-nlb"
    """How workers reach the master's port 5557: an internet-facing NLB admitting only the
    regions' `egress_cidrs`, or (`peered`) the master's Cloud Map name over peered VPCs whose
    CIDRs are given as `egress_cidrs`."""
    regions: tuple[LoadGenRegion, ...] = ()

    @model_validator(mode="after")
    def _regions(self) -> LoadGenSettings:
        labels = [r.label for r in self.regions]
        if len(set(labels)) != len(labels):
            raise ValueError("region labels must be unique")
        if self.enabled and not self.regions:
            raise ValueError("an enabled load generator needs at least one region")
        if self.enabled:
            missing = [r.label for r in self.regions if not r.egress_cidrs]
            if missing:
                raise ValueError(
                    f"regions {', '.join(missing)} need egress_cidrs (the only sources the "
                    "master admits)"
                )
        return self


# --------------------------------------------------------------------------- root


class Settings(Frozen):
    """Everything a stack is: what the program renders and what the harness checks."""

    stack: Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{0,30}$")]
    environment: Literal["local", "dev", "prod"]
    region: str = "eu-west-1"
    owner: str
    data_class: Literal["public", "internal", "confidential", "restricted"] = "confidential"
    extra_tags: dict[str, str] = {}
    storage: StorageSettings
    delivery: DeliverySettings
    processing: ProcessingSettings
    network: NetworkSettings | None = None
    alerts: AlertSettings = AlertSettings()
    backup: BackupSettings = BackupSettings()
    quotas: QuotaSettings = QuotaSettings()
    uploads: UploadSettings = UploadSettings()
    prices: PriceTable = PriceTable()
    slas: SlaSettings = SlaSettings()
    audio: AudioSettings = AudioSettings()
    images: ImageSettings = ImageSettings()
    scan: ScanSettings = ScanSettings()
    uploads_service: UploadsServiceSettings = UploadsServiceSettings()
    clamd_sidecar: ClamdSidecarSettings = ClamdSidecarSettings()
    schedules: ScheduleSettings = ScheduleSettings()
    loadgen: LoadGenSettings = LoadGenSettings()

    @property
    def tags(self) -> dict[str, str]:
        """Tags applied to every taggable resource (by the stack transform)."""
        return {
            "service": NAMESPACE,
            "stack": self.stack,
            "owner": self.owner,
            "data-class": self.data_class,
            **self.extra_tags,
        }

    def bucket_name(self, role: BucketRole | str) -> str:
        """Physical name of a bucket of this stack."""
        return self.storage.bucket_name(BucketRole(role), self.stack)

    def resource_name(self, role: str) -> str:
        """Physical name of a non-bucket resource (queue, table, topic): `<prefix>-<role>-<stack>`.

        Queues: `scan`, `audio`, `image` and `<kind>-dlq`; tables: `quotas`, `content-refs`,
        `jobs`; topics: `alerts-critical`, `alerts-warning`, `alerts-info`.
        """
        return f"{self.storage.bucket_prefix}-{role}-{self.stack}"

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any], *, source: str = "<settings>") -> Settings:
        """Validate a plain mapping (keys without the `media-infra:` namespace)."""
        try:
            return cls.model_validate(dict(values))
        except ValidationError as exc:
            raise SettingsError(source, _problems(exc)) from None


def _problems(exc: ValidationError) -> list[tuple[str, str]]:
    problems = []
    for error in exc.errors(include_url=False):
        key = ".".join(str(part) for part in error["loc"]) or "<root>"
        message = error["msg"]
        if error["type"] == "extra_forbidden":
            message = "unknown key"
        elif error["type"] == "missing":
            message = "required key is missing"
        problems.append((key, message))
    return problems


def stack_file(stack: str) -> Path:
    """Path of a stack's settings file: `stacks/Pulumi.<stack>.yaml`."""
    return STACKS_DIR / f"Pulumi.{stack}.yaml"


def namespaced_config(document: Mapping[str, Any], *, source: str) -> dict[str, Any]:
    """The `media-infra:` keys of a stack file's `config:` block, without the namespace."""
    config = document.get("config")
    if not isinstance(config, Mapping):
        raise SettingsError(source, [("config", "expected a mapping of config keys")])
    values: dict[str, Any] = {}
    for key, value in config.items():
        namespace, _, name = str(key).partition(":")
        if namespace == NAMESPACE:
            values[name] = value
    return values


def load_file(path: Path | str) -> Settings:
    """Load settings from a Pulumi stack file (its `config:` block) with pyyaml."""
    path = Path(path)
    try:
        document = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise SettingsError(str(path), [("<file>", str(exc))]) from None
    if not isinstance(document, Mapping):
        raise SettingsError(str(path), [("<root>", "expected a YAML mapping")])
    return Settings.from_mapping(namespaced_config(document, source=str(path)), source=str(path))


def load_stack(stack: str) -> Settings:
    """Load the settings of a named stack from `stacks/Pulumi.<stack>.yaml`."""
    return load_file(stack_file(stack))
