"""Fargate building blocks shared by the workers, the origin, the uploads API and the tasks.

`fargate_task` makes a task role (with the policy it is given), an execution role (pull the
image, write the log group, read the task's secrets and nothing else), a log group and a task
definition. Its main container gets the stack settings as JSON in `MEDIAINFRA_SETTINGS`
without the secret fields (`SECRET_SETTINGS`); secrets reach containers only through
`secrets` (`valueFrom` a Secrets Manager ARN), never as plain environment values. Sidecars
(the scan task's clamd) are extra containers the main one waits for (`dependsOn` HEALTHY).
`managed_secret` creates a Secrets Manager secret whose value is set outside Pulumi. The
JSON parts are pure functions.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import pulumi
import pulumi_aws as aws

from components.iam_policies import assume_role_policy, execution_role_policy
from stacks.settings import JobKind, ScanSettings, Settings

SETTINGS_ENV = "MEDIAINFRA_SETTINGS"
CONTAINER_NAME = "worker"
CLAMD_CONTAINER = "clamd"
LOG_RETENTION_DAYS = 30
STOP_TIMEOUT_SECONDS = 120
WATERMARK_KEY_ENV = "MEDIAINFRA_AUDIO_WATERMARK_KEY"
"""Where the audio worker receives `audio.watermark_key` (a Secrets Manager secret)."""
SECRET_SETTINGS: Mapping[str, frozenset[str]] = {"audio": frozenset({"watermark_key"})}
"""Settings fields that are secrets: never in `MEDIAINFRA_SETTINGS`, only in `secrets`."""
SIDECAR_HOSTS = frozenset({"127.0.0.1", "localhost"})
CLAMD_LIMIT_KEYS = ("StreamMaxLength", "MaxFileSize", "MaxScanSize")
WORKER_MIN_MEMORY_MIB = 512
CLAMD_MIN_MEMORY_MIB = 256


class TaskSizing(Protocol):
    """CPU units and memory of a task (`WorkerService` or `TaskSize`)."""

    @property
    def cpu(self) -> int: ...

    @property
    def memory_mib(self) -> int: ...


def worker_image(settings: Settings) -> str:
    """The worker image reference `<repository>:<tag>`."""
    return f"{settings.processing.image_repository}:{settings.processing.image_tag}"


def worker_command(kind: JobKind) -> list[str]:
    """The container command of a job kind's worker."""
    return ["mediainfra", "worker", "run", "--kind", kind.value]


def settings_json(settings: Settings) -> str:
    """The settings as the container receives them, without the secret fields.

    `Settings.from_mapping(json.loads(...))` gives the settings back with the secret fields at
    their defaults; the worker takes their values from its `secrets` environment.
    """
    exclude = {section: set(fields) for section, fields in SECRET_SETTINGS.items()}
    return settings.model_dump_json(exclude=exclude)


def log_configuration(log_group: str, region: str, stream_prefix: str) -> dict[str, Any]:
    """The awslogs driver writing to `log_group` in `region`."""
    return {
        "logDriver": "awslogs",
        "options": {
            "awslogs-group": log_group,
            "awslogs-region": region,
            "awslogs-stream-prefix": stream_prefix,
        },
    }


def main_container(
    settings: Settings,
    *,
    command: Sequence[str],
    log_group: str,
    stream_prefix: str,
    port: int | None = None,
    secrets: Mapping[str, str] | None = None,
    environment: Mapping[str, str] | None = None,
    image: str | None = None,
    depends_on: Sequence[str] = (),
    region: str | None = None,
) -> dict[str, Any]:
    """The essential main container: settings JSON + `environment`, secrets by reference."""
    env = {SETTINGS_ENV: settings_json(settings), **(environment or {})}
    container: dict[str, Any] = {
        "name": CONTAINER_NAME,
        "image": image or worker_image(settings),
        "essential": True,
        "command": list(command),
        "environment": [{"name": k, "value": v} for k, v in sorted(env.items())],
        "stopTimeout": STOP_TIMEOUT_SECONDS,
        "logConfiguration": log_configuration(log_group, region or settings.region, stream_prefix),
    }
    if secrets:
        container["secrets"] = [
            {"name": name, "valueFrom": arn} for name, arn in sorted(secrets.items())
        ]
    if port is not None:
        container["portMappings"] = [{"containerPort": port, "protocol": "tcp"}]
    if depends_on:
        container["dependsOn"] = [
            {"containerName": name, "condition": "HEALTHY"} for name in depends_on
        ]
    return container


def clamd_port(scan: ScanSettings) -> int:
    """The port of `scan.clamd_address`; it must be on the task's loopback (the sidecar)."""
    host, _, port = scan.clamd_address.rpartition(":")
    if host not in SIDECAR_HOSTS or not port.isdigit():
        raise ValueError(
            f"scan.clamd_address {scan.clamd_address!r}: the clamd sidecar listens on the "
            "task's loopback, expected 127.0.0.1:PORT"
        )
    return int(port)


def clamd_start_script(settings: Settings) -> str:
    """Shell run by the sidecar: our listen address and limits in clamd.conf, then the image's
    own entry point (freshclam + clamd). Limits match `scan.max_file_bytes` (the scanner fails
    closed on anything bigger) and AlertExceedsMax reports oversize files instead of clean."""
    scan, sidecar = settings.scan, settings.clamd_sidecar
    lines = [
        f"TCPSocket {clamd_port(scan)}",
        "TCPAddr 127.0.0.1",
        *(f"{key} {scan.max_file_bytes}" for key in CLAMD_LIMIT_KEYS),
        "AlertExceedsMax yes",
    ]
    keys = "|".join(line.split()[0] for line in lines)
    appended = " ".join(f"'{line}'" for line in lines)
    return (
        f"set -e; conf={sidecar.config_path}; "
        f"sed -i -E '/^({keys})[[:space:]]/d' \"$conf\"; "
        f"printf '%s\\n' {appended} >> \"$conf\"; "
        f"exec {sidecar.entrypoint}"
    )


def clamd_reservation(settings: Settings, task_memory_mib: int) -> int:
    """clamd's memory reservation, leaving the worker at least `WORKER_MIN_MEMORY_MIB`.

    A reservation the task cannot hold is capped (ECS refuses such a task definition) and a
    warning names the settings to change."""
    wanted = settings.clamd_sidecar.memory_reservation_mib
    room = max(task_memory_mib - WORKER_MIN_MEMORY_MIB, CLAMD_MIN_MEMORY_MIB)
    if wanted > room:
        pulumi.log.warn(
            f"clamd_sidecar.memory_reservation_mib {wanted} does not fit a {task_memory_mib} MiB "
            f"scan task: capped to {room} MiB; raise processing.services.scan.memory_mib"
        )
    return min(wanted, room)


def clamd_container(settings: Settings, log_group: str, task_memory_mib: int) -> dict[str, Any]:
    """The clamd sidecar: essential, healthy once it answers PING (`clamdcheck.sh`)."""
    sidecar = settings.clamd_sidecar
    return {
        "name": CLAMD_CONTAINER,
        "image": sidecar.image,
        "essential": True,
        "entryPoint": ["/bin/sh", "-c"],
        "command": [clamd_start_script(settings)],
        "memoryReservation": clamd_reservation(settings, task_memory_mib),
        "healthCheck": {
            "command": ["CMD-SHELL", sidecar.health_command],
            "interval": 30,
            "timeout": 10,
            "retries": 3,
            "startPeriod": sidecar.start_period_seconds,
        },
        "logConfiguration": log_configuration(log_group, settings.region, CLAMD_CONTAINER),
    }


def log_group_name(settings: Settings, role: str) -> str:
    """Log group of one service: `/media-infra/<stack>/<role>`."""
    return f"/media-infra/{settings.stack}/{role}"


def secret_recovery_days(settings: Settings) -> int:
    """Days a deleted secret can be recovered (7 where the stack may be destroyed)."""
    return 7 if settings.storage.force_destroy else 30


def managed_secret(
    parent: pulumi.Resource,
    prefix: str,
    settings: Settings,
    *,
    role: str,
    description: str,
    kms_key_arn: pulumi.Input[str],
) -> aws.secretsmanager.Secret:
    """A KMS-encrypted secret named `<prefix>-<role>-<stack>`; its value is put outside
    Pulumi (`aws secretsmanager put-secret-value`), so it never enters the state."""
    return aws.secretsmanager.Secret(
        f"{prefix}-secret",
        name=settings.resource_name(role),
        description=description,
        kms_key_id=kms_key_arn,
        recovery_window_in_days=secret_recovery_days(settings),
        opts=pulumi.ResourceOptions(parent=parent),
    )


@dataclass(frozen=True)
class FargateTask:
    """The resources of one Fargate task: roles, log group, definition."""

    task_role: aws.iam.Role
    execution_role: aws.iam.Role
    log_group: aws.cloudwatch.LogGroup
    definition: aws.ecs.TaskDefinition


@dataclass(frozen=True)
class TaskSpec:
    """What runs in a task besides its command: secrets, extra environment, sidecars."""

    secrets: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    """Environment variable -> Secrets Manager secret ARN."""
    kms_key_arn: pulumi.Input[str] | None = None
    """Key the secrets are encrypted with (the execution role decrypts through Secrets Manager)."""
    environment: Mapping[str, str] = field(default_factory=dict)
    clamd_sidecar: bool = False
    image: str | None = None
    region: str | None = None
    """Region the task runs in, when not the stack's (its provider is passed in `opts`)."""


def fargate_task(
    parent: pulumi.Resource,
    prefix: str,
    settings: Settings,
    *,
    role: str,
    command: Sequence[pulumi.Input[str]],
    service: TaskSizing,
    task_policy: pulumi.Input[str] | None,
    port: int | None = None,
    spec: TaskSpec | None = None,
    opts: pulumi.ResourceOptions | None = None,
) -> FargateTask:
    """Task role (with `task_policy`, if any), execution role, log group and task definition.

    `opts` (e.g. another region's provider) is merged into every child's options."""
    spec = spec or TaskSpec()
    child = pulumi.ResourceOptions.merge(pulumi.ResourceOptions(parent=parent), opts)
    trust = json.dumps(assume_role_policy())
    task_role = aws.iam.Role(f"{prefix}-task-role", assume_role_policy=trust, opts=child)
    if task_policy is not None:  # None: a task that calls no AWS API
        aws.iam.RolePolicy(
            f"{prefix}-task-policy", role=task_role.id, policy=task_policy, opts=child
        )
    group = log_group_name(settings, role)
    logs = aws.cloudwatch.LogGroup(
        f"{prefix}-logs", name=group, retention_in_days=LOG_RETENTION_DAYS, opts=child
    )
    execution_role = aws.iam.Role(f"{prefix}-execution-role", assume_role_policy=trust, opts=child)
    inputs: dict[str, Any] = {
        "logs": logs.arn,
        "secrets": dict(spec.secrets),
        "key": spec.kms_key_arn,
        "command": list(command),
    }
    resolved = pulumi.Output.from_input(inputs)
    aws.iam.RolePolicy(
        f"{prefix}-execution-policy",
        role=execution_role.id,
        policy=resolved.apply(
            lambda v: json.dumps(
                execution_role_policy(
                    settings.processing.image_repository,
                    v["logs"],
                    secret_arns=sorted(v["secrets"].values()),
                    secrets_kms_key_arn=v["key"],
                    region=spec.region or settings.region,
                )
            )
        ),
        opts=child,
    )

    def definitions(secret_arns: Mapping[str, str], argv: Sequence[str]) -> str:
        containers = [
            main_container(
                settings,
                command=argv,
                log_group=group,
                stream_prefix=role,
                port=port,
                secrets=secret_arns,
                environment=spec.environment,
                image=spec.image,
                depends_on=(CLAMD_CONTAINER,) if spec.clamd_sidecar else (),
                region=spec.region,
            )
        ]
        if spec.clamd_sidecar:
            containers.append(clamd_container(settings, group, service.memory_mib))
        return json.dumps(containers)

    definition = aws.ecs.TaskDefinition(
        f"{prefix}-task",
        family=settings.resource_name(role),
        cpu=str(service.cpu),
        memory=str(service.memory_mib),
        network_mode="awsvpc",
        requires_compatibilities=["FARGATE"],
        runtime_platform=aws.ecs.TaskDefinitionRuntimePlatformArgs(
            operating_system_family="LINUX", cpu_architecture="X86_64"
        ),
        task_role_arn=task_role.arn,
        execution_role_arn=execution_role.arn,
        container_definitions=resolved.apply(lambda v: definitions(v["secrets"], v["command"])),
        opts=child,
    )
    return FargateTask(task_role, execution_role, logs, definition)
