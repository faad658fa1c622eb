"""A Fargate service behind the origin ALB: the delivery origin and the uploads API.

Both run the same way: tasks in the private subnets whose security group admits only the ALB
on the container port (HTTPS out to AWS APIs), an `ip` target group health-checked on a path,
an ECS service registered in it (circuit breaker with rollback, desired count left to
autoscaling) and target tracking on ALB requests per target.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.autoscaling import request_count_autoscaling
from components.fargate import CONTAINER_NAME, FargateTask
from stacks.settings import Settings, WorkerService

LISTEN_ALL = "0.0.0.0"
"""Inside the task a service listens on every address; its security group admits the ALB."""
DEREGISTRATION_DELAY_SECONDS = 30
HEALTH_CHECK_INTERVAL_SECONDS = 15
HEALTH_CHECK_GRACE_SECONDS = 30


def cluster_name(cluster_arn: str) -> str:
    """The cluster name at the end of an ECS cluster ARN."""
    return cluster_arn.rsplit("/", 1)[-1].rsplit(":", 1)[-1]


def alb_task_security_group(
    parent: pulumi.Resource,
    name: str,
    *,
    description: str,
    vpc_id: str,
    port: int,
    alb_group: aws.ec2.SecurityGroup,
) -> aws.ec2.SecurityGroup:
    """The tasks' group: `port` from the ALB's group only, HTTPS out to AWS APIs."""
    return aws.ec2.SecurityGroup(
        name,
        description=description,
        vpc_id=vpc_id,
        ingress=[
            aws.ec2.SecurityGroupIngressArgs(
                description="from the origin ALB",
                protocol="tcp",
                from_port=port,
                to_port=port,
                security_groups=[alb_group.id],
            )
        ],
        egress=[
            aws.ec2.SecurityGroupEgressArgs(
                description="HTTPS to AWS APIs",
                protocol="tcp",
                from_port=443,
                to_port=443,
                cidr_blocks=["0.0.0.0/0"],
            )
        ],
        opts=pulumi.ResourceOptions(parent=parent),
    )


def alb_target_group(
    parent: pulumi.Resource, name: str, *, vpc_id: str, port: int, health_path: str
) -> aws.lb.TargetGroup:
    """An HTTP `ip` target group on `port`, healthy when `health_path` answers 200."""
    return aws.lb.TargetGroup(
        name,
        port=port,
        protocol="HTTP",
        target_type="ip",
        vpc_id=vpc_id,
        deregistration_delay=DEREGISTRATION_DELAY_SECONDS,
        health_check=aws.lb.TargetGroupHealthCheckArgs(
            enabled=True, path=health_path, matcher="200", interval=HEALTH_CHECK_INTERVAL_SECONDS
        ),
        opts=pulumi.ResourceOptions(parent=parent),
    )


@dataclass(frozen=True)
class AlbService:
    """Where an ALB-fronted service runs and how it is reached."""

    role: str
    """Its ECS service name within the stack (`settings.resource_name(role)`)."""
    task: FargateTask
    config: WorkerService
    """Task count bounds and requests per target."""
    port: int
    """The container port the target group forwards to."""
    security_group: aws.ec2.SecurityGroup
    load_balancer: aws.lb.LoadBalancer
    target_group: aws.lb.TargetGroup
    routed_by: Sequence[pulumi.Resource]
    """The listener (or listener rule) that must exist before the service registers targets."""


def alb_fargate_service(
    parent: pulumi.Resource,
    name: str,
    settings: Settings,
    cluster_arn: pulumi.Input[str],
    service: AlbService,
    *,
    scaling_prefix: str,
) -> aws.ecs.Service:
    """The ECS service `name` in the private subnets, scaled on ALB requests per target."""
    network = settings.network
    assert network is not None
    ecs_service = aws.ecs.Service(
        name,
        name=settings.resource_name(service.role),
        cluster=cluster_arn,
        task_definition=service.task.definition.arn,
        desired_count=service.config.min_tasks,
        launch_type="FARGATE",
        network_configuration=aws.ecs.ServiceNetworkConfigurationArgs(
            subnets=list(network.private_subnet_ids),
            security_groups=[service.security_group.id],
            assign_public_ip=False,
        ),
        load_balancers=[
            aws.ecs.ServiceLoadBalancerArgs(
                container_name=CONTAINER_NAME,
                container_port=service.port,
                target_group_arn=service.target_group.arn,
            )
        ],
        health_check_grace_period_seconds=HEALTH_CHECK_GRACE_SECONDS,
        deployment_circuit_breaker=aws.ecs.ServiceDeploymentCircuitBreakerArgs(
            enable=True, rollback=True
        ),
        propagate_tags="SERVICE",
        enable_ecs_managed_tags=True,
        opts=pulumi.ResourceOptions(
            parent=parent, depends_on=list(service.routed_by), ignore_changes=["desired_count"]
        ),
    )
    request_count_autoscaling(
        parent,
        scaling_prefix,
        cluster_name=pulumi.Output.from_input(cluster_arn).apply(cluster_name),
        service=ecs_service,
        load_balancer=service.load_balancer,
        target_group=service.target_group,
        config=service.config,
    )
    return ecs_service
