"""`MediaSchedules`: ECS tasks started on a schedule by EventBridge Scheduler.

- The weekly restore drill (`backup.drill_schedule`): `mediainfra drill pitr --stack <stack>`
  on `schedules.drill.prefix` of `schedules.drill.bucket`. The drill seeds that prefix,
  damages it (deletes and overwrites) and restores it from object versions, so its task role
  may touch objects under that prefix only — never the rest of the bucket.
- Off-peak cache warming (`schedules.cache_warm.schedule`): `mediainfra cache warm --top N
  --stack <stack> --off-peak-only`, which fetches the most-requested objects through the
  public edge, and does nothing when the task starts outside `schedules.cache_warm.off_peak`
  (a late or retried start must not warm at peak); its task calls no AWS API and its role
  has no policy.

Each task gets its own task definition (its command is fixed there, no overrides), the
scheduler one role that may run exactly those task definitions in the cluster and pass
exactly their roles to ECS. The tasks run in the private subnets with an egress-only security
group. Without a network (the local stack, where the CLI runs these) nothing is created.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
from pulumi_aws.scheduler import (  # the SDK's generated name is long
    ScheduleTargetEcsParametersNetworkConfigurationArgs as NetworkArgs,
)

from components.fargate import FargateTask, fargate_task
from components.task_policies import (
    drill_task_policy,
    scheduler_assume_role_policy,
    scheduler_role_policy,
    task_definition_family_arn,
)
from stacks.settings import BucketRole, Settings

TYPE_TOKEN = "media-infra:schedules:MediaSchedules"
DRILL = "restore-drill"
CACHE_WARM = "cache-warm"
MAX_EVENT_AGE_SECONDS = 3600


@dataclass(frozen=True)
class MediaSchedulesArgs:
    """Inputs of `MediaSchedules`."""

    settings: Settings
    """The stack settings: schedules, drill target, network."""
    cluster_arn: pulumi.Input[str]
    """The ECS cluster the tasks run in (from `MediaProcessing`)."""
    buckets: dict[BucketRole, aws.s3.Bucket]
    """The media buckets (the drill's bucket is one of them)."""
    kms_key_arn: pulumi.Input[str]
    """The stack key the buckets are encrypted with."""


def drill_command(settings: Settings) -> list[str]:
    """The weekly point-in-time drill on the drill prefix of the drill bucket."""
    drill = settings.schedules.drill
    target = ["--bucket", drill.bucket.value, "--prefix", drill.prefix]
    return ["mediainfra", "drill", "pitr", "--stack", settings.stack, *target,
            "--seed", str(drill.seed_objects)]  # fmt: skip


def warm_command(settings: Settings) -> list[str]:
    """Cache warming of the top N objects through the edge, inside the off-peak window only."""
    top = str(settings.schedules.cache_warm.top)
    return ["mediainfra", "cache", "warm", "--top", top, "--stack", settings.stack,
            "--off-peak-only"]  # fmt: skip


class MediaSchedules(pulumi.ComponentResource):
    """Scheduled restore drill and cache warming, and the role that starts them."""

    tasks: dict[str, FargateTask]
    schedules: dict[str, aws.scheduler.Schedule]
    role: aws.iam.Role | None

    def __init__(
        self, name: str, args: MediaSchedulesArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(TYPE_TOKEN, name, None, opts)
        self._name = name
        self._args = args
        self.tasks, self.schedules, self.role = {}, {}, None
        settings = args.settings
        expressions: dict[str, str] = {}
        if settings.schedules.drill_enabled:
            expressions[DRILL] = settings.backup.drill_schedule
        if settings.schedules.cache_warm.schedule is not None:
            expressions[CACHE_WARM] = settings.schedules.cache_warm.schedule
        if settings.network is not None and expressions:
            self._scheduled(expressions)
        self.register_outputs(
            {
                "task_definitions": {r: t.definition for r, t in self.tasks.items()},
                "schedules": self.schedules,
                "role": self.role,
            }
        )

    def _scheduled(self, expressions: dict[str, str]) -> None:
        settings, args = self._args.settings, self._args
        if DRILL in expressions:
            drill = settings.schedules.drill
            policy = pulumi.Output.all(args.buckets[drill.bucket].arn, args.kms_key_arn).apply(
                lambda v: json.dumps(
                    drill_task_policy(bucket_arn=v[0], prefix=drill.prefix, kms_key_arn=v[1])
                )
            )
            self.tasks[DRILL] = fargate_task(
                self,
                f"{self._name}-drill",
                settings,
                role=DRILL,
                command=drill_command(settings),
                service=drill.size,
                task_policy=policy,
            )
        if CACHE_WARM in expressions:
            self.tasks[CACHE_WARM] = fargate_task(
                self,
                f"{self._name}-warm",
                settings,
                role=CACHE_WARM,
                command=warm_command(settings),
                service=settings.schedules.cache_warm.size,
                task_policy=None,
            )
        self.role = self._scheduler_role()
        group = self._security_group()
        for role, expression in expressions.items():
            self.schedules[role] = self._schedule(role, expression, group)

    def _scheduler_role(self) -> aws.iam.Role:
        settings, args = self._args.settings, self._args
        child = pulumi.ResourceOptions(parent=self)
        account = aws.get_caller_identity_output(opts=pulumi.InvokeOptions(parent=self)).account_id
        role = aws.iam.Role(
            f"{self._name}-scheduler-role",
            assume_role_policy=account.apply(lambda a: json.dumps(scheduler_assume_role_policy(a))),
            opts=child,
        )
        families = [settings.resource_name(role) for role in self.tasks]
        passed = [
            arn
            for task in self.tasks.values()
            for arn in (task.task_role.arn, task.execution_role.arn)
        ]
        policy = pulumi.Output.all(account, args.cluster_arn, *passed).apply(
            lambda v: json.dumps(
                scheduler_role_policy(
                    task_definition_arns=[
                        task_definition_family_arn(settings.region, v[0], f) for f in families
                    ],
                    cluster_arn=v[1],
                    pass_role_arns=v[2:],
                )
            )
        )
        aws.iam.RolePolicy(
            f"{self._name}-scheduler-policy", role=role.id, policy=policy, opts=child
        )
        return role

    def _security_group(self) -> aws.ec2.SecurityGroup:
        network = self._args.settings.network
        assert network is not None
        return aws.ec2.SecurityGroup(
            f"{self._name}-tasks-sg",
            description="media-infra scheduled tasks: no inbound, HTTPS out",
            vpc_id=network.vpc_id,
            egress=[
                aws.ec2.SecurityGroupEgressArgs(
                    description="HTTPS to AWS APIs and the edge",
                    protocol="tcp",
                    from_port=443,
                    to_port=443,
                    cidr_blocks=["0.0.0.0/0"],
                )
            ],
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _schedule(
        self, role: str, expression: str, group: aws.ec2.SecurityGroup
    ) -> aws.scheduler.Schedule:
        settings, network = self._args.settings, self._args.settings.network
        assert network is not None and self.role is not None
        task = self.tasks[role]
        return aws.scheduler.Schedule(
            f"{self._name}-{role}",
            name=settings.resource_name(role),
            description=f"media-infra {settings.stack}: {role} task",
            schedule_expression=expression,
            schedule_expression_timezone=settings.schedules.timezone,
            flexible_time_window=aws.scheduler.ScheduleFlexibleTimeWindowArgs(mode="OFF"),
            target=aws.scheduler.ScheduleTargetArgs(
                arn=self._args.cluster_arn,
                role_arn=self.role.arn,
                ecs_parameters=aws.scheduler.ScheduleTargetEcsParametersArgs(
                    task_definition_arn=task.definition.arn,
                    launch_type="FARGATE",
                    task_count=1,
                    network_configuration=NetworkArgs(
                        subnets=list(network.private_subnet_ids),
                        security_groups=[group.id],
                        assign_public_ip=False,
                    ),
                ),
                retry_policy=aws.scheduler.ScheduleTargetRetryPolicyArgs(
                    maximum_retry_attempts=0, maximum_event_age_in_seconds=MAX_EVENT_AGE_SECONDS
                ),
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
