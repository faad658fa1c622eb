"""Job queues, the worker image and services, the existing network."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from stacks.settings.base import (
    Frozen,
    PositiveInt,
)


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
    dead_letter: bool = True
    """False: no DLQ, no redrive policy and no DLQ-depth alarm for this queue (failed jobs
    are retried until retention ends). The policy pack refuses it (`sqs-queue-has-dlq`)."""


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
