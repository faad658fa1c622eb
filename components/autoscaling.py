"""Application autoscaling of ECS services: on queue backlog per task, or ALB requests.

`backlog_autoscaling` scales a service on visible queue messages per running task (target
tracking on a metric-math expression); `request_count_autoscaling` on ALB requests per target.
"""

from __future__ import annotations

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

from stacks.settings import WorkerService


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


def target_tracking_autoscaling(
    parent: pulumi.Resource,
    prefix: str,
    metric: str,
    *,
    cluster_name: pulumi.Input[str],
    service: aws.ecs.Service,
    config: WorkerService,
    tracking: TargetTrackingArgs,
) -> aws.appautoscaling.Policy:
    """The service's scaling target and a target-tracking policy `{prefix}-{metric}-scaling`."""
    target = scaling_target(
        parent, prefix, cluster_name=cluster_name, service=service, config=config
    )
    return aws.appautoscaling.Policy(
        f"{prefix}-{metric}-scaling",
        policy_type="TargetTrackingScaling",
        service_namespace=target.service_namespace,
        scalable_dimension=target.scalable_dimension,
        resource_id=target.resource_id,
        target_tracking_scaling_policy_configuration=tracking,
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
    return target_tracking_autoscaling(
        parent,
        prefix,
        "backlog",
        cluster_name=cluster_name,
        service=service,
        config=config,
        tracking=TargetTrackingArgs(
            target_value=float(config.backlog_per_task),
            customized_metric_specification=backlog_metric(queue.name, cluster_name, service.name),
            scale_in_cooldown=120,
            scale_out_cooldown=30,
        ),
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
    return target_tracking_autoscaling(
        parent,
        prefix,
        "request",
        cluster_name=cluster_name,
        service=service,
        config=config,
        tracking=TargetTrackingArgs(
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
    )
