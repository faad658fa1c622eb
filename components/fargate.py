"""Fargate building blocks shared by the worker services and the delivery origin.

`fargate_task` makes a task role (with the policy it is given), an execution role (pull the
image, write the log group), a log group and a task definition whose single container gets
the stack settings as JSON in `MEDIAINFRA_SETTINGS`. `backlog_autoscaling` scales a service
on visible queue messages per running task (target tracking, metric math). The JSON parts are
pure functions.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws
from pulumi_aws.appautoscaling import (  # the SDK's generated names are long
    PolicyTargetTrackingScalingPolicyConfigurationArgs as TargetTrackingArgs,
)
from pulumi_aws.appautoscaling import (
    PolicyTargetTrackingScalingPolicyConfigurationCustomizedMetricSpecificationArgs as MetricSpecArgs,  # noqa: E501
)
from pulumi_aws.appautoscaling import (
    PolicyTargetTrackingScalingPolicyConfigurationCustomizedMetricSpecificationMetricArgs as MetricQueryArgs,  # noqa: E501
)
from pulumi_aws.appautoscaling import (
    PolicyTargetTrackingScalingPolicyConfigurationCustomizedMetricSpecificationMetricMetricStatArgs as MetricStatArgs,  # noqa: E501
)
from pulumi_aws.appautoscaling import (
    PolicyTargetTrackingScalingPolicyConfigurationCustomizedMetricSpecificationMetricMetricStatMetricArgs as MetricStatMetricArgs,  # noqa: E501
)
from pulumi_aws.appautoscaling import (
    PolicyTargetTrackingScalingPolicyConfigurationCustomizedMetricSpecificationMetricMetricStatMetricDimensionArgs as DimensionArgs,  # noqa: E501
)
from pulumi_aws.appautoscaling import (
    PolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecificationArgs as PredefinedMetricArgs,  # noqa: E501
)

from components.iam_policies import assume_role_policy, execution_role_policy
from stacks.settings import JobKind, Settings, WorkerService

SETTINGS_ENV = "MEDIAINFRA_SETTINGS"
CONTAINER_NAME = "worker"
LOG_RETENTION_DAYS = 30
STOP_TIMEOUT_SECONDS = 120


def worker_image(settings: Settings) -> str:
    """The worker image reference `<repository>:<tag>`."""
    return f"{settings.processing.image_repository}:{settings.processing.image_tag}"


def worker_command(kind: JobKind) -> list[str]:
    """The container command of a job kind's worker."""
    return ["mediainfra", "worker", "run", "--kind", kind.value]


def settings_json(settings: Settings) -> str:
    """The settings as the container receives them (`Settings.from_mapping(json.loads(...))`)."""
    return settings.model_dump_json()


def container_definitions(
    settings: Settings,
    *,
    command: Sequence[str],
    log_group: str,
    stream_prefix: str,
    port: int | None = None,
) -> str:
    """The task definition's `containerDefinitions` JSON: one essential container."""
    container: dict[str, Any] = {
        "name": CONTAINER_NAME,
        "image": worker_image(settings),
        "essential": True,
        "command": list(command),
        "environment": [{"name": SETTINGS_ENV, "value": settings_json(settings)}],
        "stopTimeout": STOP_TIMEOUT_SECONDS,
        "logConfiguration": {
            "logDriver": "awslogs",
            "options": {
                "awslogs-group": log_group,
                "awslogs-region": settings.region,
                "awslogs-stream-prefix": stream_prefix,
            },
        },
    }
    if port is not None:
        container["portMappings"] = [{"containerPort": port, "protocol": "tcp"}]
    return json.dumps([container])


def log_group_name(settings: Settings, role: str) -> str:
    """Log group of one service: `/media-infra/<stack>/<role>`."""
    return f"/media-infra/{settings.stack}/{role}"


def backlog_metric(
    queue_name: pulumi.Input[str], cluster_name: pulumi.Input[str], service_name: pulumi.Input[str]
) -> MetricSpecArgs:
    """Visible messages per running task (all visible messages while no task runs)."""
    return MetricSpecArgs(
        metrics=[
            MetricQueryArgs(
                id="visible",
                return_data=False,
                metric_stat=MetricStatArgs(
                    stat="Sum",
                    metric=MetricStatMetricArgs(
                        namespace="AWS/SQS",
                        metric_name="ApproximateNumberOfMessagesVisible",
                        dimensions=[DimensionArgs(name="QueueName", value=queue_name)],
                    ),
                ),
            ),
            MetricQueryArgs(
                id="tasks",
                return_data=False,
                metric_stat=MetricStatArgs(
                    stat="Average",
                    metric=MetricStatMetricArgs(
                        namespace="ECS/ContainerInsights",
                        metric_name="RunningTaskCount",
                        dimensions=[
                            DimensionArgs(name="ClusterName", value=cluster_name),
                            DimensionArgs(name="ServiceName", value=service_name),
                        ],
                    ),
                ),
            ),
            MetricQueryArgs(
                id="backlog",
                label="Visible messages per running task",
                expression="IF(tasks > 0, visible / tasks, visible)",
                return_data=True,
            ),
        ]
    )


@dataclass(frozen=True)
class FargateTask:
    """The resources of one Fargate task: roles, log group, definition."""

    task_role: aws.iam.Role
    execution_role: aws.iam.Role
    log_group: aws.cloudwatch.LogGroup
    definition: aws.ecs.TaskDefinition


def fargate_task(
    parent: pulumi.Resource,
    prefix: str,
    settings: Settings,
    *,
    role: str,
    command: Sequence[str],
    service: WorkerService,
    task_policy: pulumi.Input[str],
    port: int | None = None,
) -> FargateTask:
    """Task role (with `task_policy`), execution role, log group and task definition."""
    child = pulumi.ResourceOptions(parent=parent)
    trust = json.dumps(assume_role_policy())
    task_role = aws.iam.Role(f"{prefix}-task-role", assume_role_policy=trust, opts=child)
    aws.iam.RolePolicy(f"{prefix}-task-policy", role=task_role.id, policy=task_policy, opts=child)
    logs = aws.cloudwatch.LogGroup(
        f"{prefix}-logs",
        name=log_group_name(settings, role),
        retention_in_days=LOG_RETENTION_DAYS,
        opts=child,
    )
    execution_role = aws.iam.Role(f"{prefix}-execution-role", assume_role_policy=trust, opts=child)
    aws.iam.RolePolicy(
        f"{prefix}-execution-policy",
        role=execution_role.id,
        policy=logs.arn.apply(
            lambda arn: json.dumps(execution_role_policy(settings.processing.image_repository, arn))
        ),
        opts=child,
    )
    definitions = container_definitions(
        settings,
        command=command,
        log_group=log_group_name(settings, role),
        stream_prefix=role,
        port=port,
    )
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
        container_definitions=definitions,
        opts=child,
    )
    return FargateTask(task_role, execution_role, logs, definition)


def scaling_target(
    parent: pulumi.Resource,
    prefix: str,
    *,
    cluster_name: pulumi.Input[str],
    service: aws.ecs.Service,
    config: WorkerService,
) -> aws.appautoscaling.Target:
    """The service's desired count as an autoscaling target between min and max tasks."""
    return aws.appautoscaling.Target(
        f"{prefix}-scaling-target",
        service_namespace="ecs",
        scalable_dimension="ecs:service:DesiredCount",
        resource_id=pulumi.Output.concat("service/", cluster_name, "/", service.name),
        min_capacity=config.min_tasks,
        max_capacity=config.max_tasks,
        opts=pulumi.ResourceOptions(parent=parent),
    )


def backlog_autoscaling(
    parent: pulumi.Resource,
    prefix: str,
    *,
    cluster_name: pulumi.Input[str],
    service: aws.ecs.Service,
    queue: aws.sqs.Queue,
    config: WorkerService,
) -> aws.appautoscaling.Policy:
    """Target tracking: keep `backlog_per_task` visible messages per running task."""
    target = scaling_target(
        parent, prefix, cluster_name=cluster_name, service=service, config=config
    )
    return aws.appautoscaling.Policy(
        f"{prefix}-backlog-scaling",
        policy_type="TargetTrackingScaling",
        service_namespace=target.service_namespace,
        scalable_dimension=target.scalable_dimension,
        resource_id=target.resource_id,
        target_tracking_scaling_policy_configuration=TargetTrackingArgs(
            target_value=float(config.backlog_per_task),
            customized_metric_specification=backlog_metric(queue.name, cluster_name, service.name),
            scale_in_cooldown=120,
            scale_out_cooldown=30,
        ),
        opts=pulumi.ResourceOptions(parent=parent),
    )


def request_count_autoscaling(
    parent: pulumi.Resource,
    prefix: str,
    *,
    cluster_name: pulumi.Input[str],
    service: aws.ecs.Service,
    load_balancer: aws.lb.LoadBalancer,
    target_group: aws.lb.TargetGroup,
    config: WorkerService,
) -> aws.appautoscaling.Policy:
    """Target tracking: keep `backlog_per_task` ALB requests per target (per minute)."""
    target = scaling_target(
        parent, prefix, cluster_name=cluster_name, service=service, config=config
    )
    return aws.appautoscaling.Policy(
        f"{prefix}-request-scaling",
        policy_type="TargetTrackingScaling",
        service_namespace=target.service_namespace,
        scalable_dimension=target.scalable_dimension,
        resource_id=target.resource_id,
        target_tracking_scaling_policy_configuration=TargetTrackingArgs(
            target_value=float(config.backlog_per_task),
            predefined_metric_specification=PredefinedMetricArgs(
                predefined_metric_type="ALBRequestCountPerTarget",
                resource_label=pulumi.Output.concat(
                    load_balancer.arn_suffix, "/", target_group.arn_suffix
                ),
            ),
            scale_in_cooldown=300,
            scale_out_cooldown=60,
        ),
        opts=pulumi.ResourceOptions(parent=parent),
    )
