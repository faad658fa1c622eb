"""Cloud-only tasks: the uploads service, the clamd sidecar, schedules, load generators."""

from __future__ import annotations

import ipaddress
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from stacks.settings.base import (
    Frozen,
    PositiveInt,
    aws_schedule,
)
from stacks.settings.processing import (
    WorkerService,
)
from stacks.settings.storage import (
    BucketRole,
)

AwsRegion = Annotated[str, Field(pattern=r"^[a-z]{2}(-[a-z]+)+-\d$")]
FargateCpu = Literal[256, 512, 1024, 2048, 4096, 8192, 16384]
FargateMemory = Annotated[int, Field(ge=512, le=122880)]


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
    """When to warm (None: never). A cron schedule must fire inside `off_peak`."""
    off_peak: tuple[Annotated[int, Field(ge=0, le=23)], Annotated[int, Field(ge=0, le=23)]] = (2, 6)
    """Off-peak hours `[start, end)` in `schedules.timezone`; wraps midnight when start > end
    (`(22, 6)`: 22:00-05:59). `cache warm --off-peak-only` warms only inside it."""
    top: PositiveInt = 500
    size: TaskSize = TaskSize(cpu=256, memory_mib=512)

    @field_validator("schedule")
    @classmethod
    def _schedule(cls, value: str | None) -> str | None:
        return None if value is None else aws_schedule(value)

    @field_validator("off_peak")
    @classmethod
    def _window(cls, value: tuple[int, int]) -> tuple[int, int]:
        if value[0] == value[1]:
            raise ValueError(f"off_peak {list(value)} is empty: start and end hours must differ")
        return value

    @model_validator(mode="after")
    def _schedule_off_peak(self) -> CacheWarmSettings:
        hours = self.cron_hours(self.schedule) if self.schedule else frozenset()
        outside = sorted(hour for hour in hours if not self.in_off_peak(hour))
        if outside:
            raise ValueError(
                f"schedule {self.schedule!r} fires at hour(s) {outside}, outside off_peak "
                f"[{self.off_peak[0]}, {self.off_peak[1]})"
            )
        return self

    def in_off_peak(self, hour: int) -> bool:
        """Whether `hour` (0-23, in `schedules.timezone`) is inside the off-peak window."""
        start, end = self.off_peak
        return start <= hour < end if start < end else hour >= start or hour < end

    @staticmethod
    def cron_hours(schedule: str) -> frozenset[int]:
        """Hours a `cron(...)` expression fires at (`*`, `a`, `a-b`, lists, `/step`); none
        for `rate(...)`. ValueError when the hour field cannot be read."""
        if not schedule.startswith("cron("):
            return frozenset()
        field = schedule[len("cron(") : -1].split()[1]
        hours: set[int] = set()
        for part in field.split(","):
            span, _, step = part.partition("/")
            first, _, last = span.partition("-")
            try:
                low = 0 if span == "*" else int(first)
                high = 23 if span == "*" or (step and not last) else int(last or first)
                stride = int(step) if step else 1
            except ValueError:
                raise ValueError(f"cannot read the hour field {field!r} of {schedule!r}") from None
            if not 0 <= low <= high <= 23 or stride < 1:
                raise ValueError(f"hour field {field!r} of {schedule!r} is out of 0-23")
            hours.update(range(low, high + 1, stride))
        return frozenset(hours)


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
