"""`MediaProcessing`: job queues, the ECS cluster and the workers that consume them.

Per job kind: a queue and its DLQ (redrive after `max_receive_count` receives; no DLQ when
the queue's settings say `dead_letter: false`), a TLS-only queue policy (the scan queue also
accepts S3 events from the `incoming` bucket), a task role with the least-privilege policy of
`components.iam_policies`, an execution role, a log group and a Fargate task definition
running `mediainfra worker run --kind <kind>` with the stack settings as JSON in
`MEDIAINFRA_SETTINGS`. With a network in the settings each kind also gets a service in the
private subnets (egress-only security group) and target-tracking autoscaling on the queue
backlog per running task. `settings.network is None` (the local stack): no
services. The `incoming` bucket notifies the scan queue of every created object.

The scan task runs a clamd sidecar (`settings.clamd_sidecar`) the worker waits for (HEALTHY)
and reaches at `scan.clamd_address` on the task's loopback. The audio worker receives
`audio.watermark_key` from a Secrets Manager secret (value set outside Pulumi) as
`MEDIAINFRA_AUDIO_WATERMARK_KEY`; the settings JSON never carries it.

Encryption: the audio and image queues use the stack's KMS key; the scan queue and its DLQ
use SQS-managed SSE, because S3 event delivery to a KMS queue needs a key-policy grant to
`s3.amazonaws.com` that a customer key does not have by default.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components.autoscaling import backlog_autoscaling
from components.fargate import (
    WATERMARK_KEY_ENV,
    TaskSpec,
    fargate_task,
    managed_secret,
    worker_command,
)
from components.iam_policies import (
    WORKER_ACCESS,
    StackArns,
    queue_policy,
    task_role_policy,
)
from stacks.settings import BucketRole, JobKind, Settings

TYPE_TOKEN = "media-infra:processing:MediaProcessing"
S3_CREATED_EVENTS = ["s3:ObjectCreated:*"]
SEVERITIES = ("critical", "warning", "info")
SQS_MANAGED_KINDS = frozenset({JobKind.SCAN})
"""Kinds whose queues use SQS-managed SSE (S3 event targets)."""


@dataclass(frozen=True)
class MediaProcessingArgs:
    """Inputs of `MediaProcessing`."""

    settings: Settings
    """The stack settings: queues, worker image, services, network."""
    buckets: Mapping[BucketRole, aws.s3.Bucket]
    """The six media buckets (from `MediaStorage`)."""
    kms_key_arn: pulumi.Input[str]
    """The stack's KMS key: queue encryption and the workers' object encryption."""
    tables: Mapping[str, aws.dynamodb.Table]
    """The workers' DynamoDB tables by role: `quotas`, `content-refs`, `jobs`."""


# --------------------------------------------------------------------------- pure parts


def redrive_policy(dlq_arn: str, max_receive_count: int) -> str:
    """The queue's redrive policy JSON: to the DLQ after `max_receive_count` receives."""
    return json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": max_receive_count})


def topic_arn(settings: Settings, account_id: str, severity: str) -> str:
    """ARN of an alerts topic (created by `MediaMonitoring`) from its physical name."""
    name = settings.resource_name(f"alerts-{severity}")
    return f"arn:aws:sns:{settings.region}:{account_id}:{name}"


# --------------------------------------------------------------------------- the component


class MediaProcessing(pulumi.ComponentResource):
    """Queues, DLQs, the ECS cluster, and per job kind the worker's roles, task and service."""

    queues: dict[JobKind, aws.sqs.Queue]
    dlqs: dict[JobKind, aws.sqs.Queue]
    cluster: aws.ecs.Cluster
    task_roles: dict[JobKind, aws.iam.Role]
    task_definitions: dict[JobKind, aws.ecs.TaskDefinition]
    services: dict[JobKind, aws.ecs.Service]
    watermark_secret: aws.secretsmanager.Secret

    def __init__(
        self, name: str, args: MediaProcessingArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(TYPE_TOKEN, name, None, opts)
        self._name = name
        self._args = args
        settings = args.settings
        self._child = pulumi.ResourceOptions(parent=self)
        self._account_id = aws.get_caller_identity_output(
            opts=pulumi.InvokeOptions(parent=self)
        ).account_id

        self.queues, self.dlqs = {}, {}
        for kind in JobKind:
            self._queue_pair(kind)
        self._scan_notification()

        self.cluster = aws.ecs.Cluster(
            f"{name}-cluster",
            name=settings.resource_name("workers"),
            settings=[aws.ecs.ClusterSettingArgs(name="containerInsights", value="enabled")],
            opts=self._child,
        )
        self.watermark_secret = managed_secret(
            self,
            f"{name}-watermark-key",
            settings,
            role="audio-watermark-key",
            description="audio.watermark_key: keys the invisible watermark of the audio worker",
            kms_key_arn=args.kms_key_arn,
        )
        arns = self._stack_arns()
        security_group = self._security_group() if settings.network is not None else None
        self.task_roles, self.task_definitions, self.services = {}, {}, {}
        for kind in JobKind:
            self._worker(kind, arns, security_group)

        self.register_outputs(
            {
                "queues": self.queues,
                "dlqs": self.dlqs,
                "cluster": self.cluster,
                "task_roles": self.task_roles,
                "task_definitions": self.task_definitions,
                "services": self.services,
                "watermark_secret": self.watermark_secret,
            }
        )

    # ----------------------------------------------------------------------- queues

    def _queue_pair(self, kind: JobKind) -> None:
        settings = self._args.settings
        config = settings.processing.queues[kind]
        encryption: dict[str, Any] = (
            {"sqs_managed_sse_enabled": True}
            if kind in SQS_MANAGED_KINDS
            else {
                "kms_master_key_id": self._args.kms_key_arn,
                "kms_data_key_reuse_period_seconds": 300,
            }
        )
        if not config.dead_letter:
            self.queues[kind] = self._queue(kind, encryption, redrive=None)
            return
        dlq = aws.sqs.Queue(
            f"{self._name}-{kind.value}-dlq",
            name=settings.resource_name(f"{kind.value}-dlq"),
            message_retention_seconds=config.dlq_retention_seconds,
            opts=self._child,
            **encryption,
        )
        redrive = dlq.arn.apply(lambda arn: redrive_policy(arn, config.max_receive_count))
        self.queues[kind] = self._queue(kind, encryption, redrive)
        self.dlqs[kind] = dlq
        aws.sqs.QueuePolicy(
            f"{self._name}-{kind.value}-dlq-policy",
            queue_url=dlq.url,
            policy=dlq.arn.apply(lambda arn: json.dumps(queue_policy(arn))),
            opts=self._child,
        )

    def _queue(
        self, kind: JobKind, encryption: dict[str, Any], redrive: pulumi.Output[str] | None
    ) -> aws.sqs.Queue:
        """The job queue of `kind`; `redrive` None: no dead-letter queue."""
        settings = self._args.settings
        config = settings.processing.queues[kind]
        return aws.sqs.Queue(
            f"{self._name}-{kind.value}-queue",
            name=settings.resource_name(kind.value),
            visibility_timeout_seconds=config.visibility_timeout_seconds,
            message_retention_seconds=config.retention_seconds,
            receive_wait_time_seconds=20,
            redrive_policy=redrive,
            opts=self._child,
            **encryption,
        )

    def _scan_notification(self) -> None:
        scan = self.queues[JobKind.SCAN]
        incoming = self._args.buckets[BucketRole.INCOMING]
        policy = aws.sqs.QueuePolicy(
            f"{self._name}-scan-queue-policy",
            queue_url=scan.url,
            policy=pulumi.Output.all(scan.arn, incoming.arn, self._account_id).apply(
                lambda values: json.dumps(
                    queue_policy(values[0], s3_source_bucket_arn=values[1], account_id=values[2])
                )
            ),
            opts=self._child,
        )
        for kind in (JobKind.AUDIO, JobKind.IMAGE):
            queue = self.queues[kind]
            aws.sqs.QueuePolicy(
                f"{self._name}-{kind.value}-queue-policy",
                queue_url=queue.url,
                policy=queue.arn.apply(lambda arn: json.dumps(queue_policy(arn))),
                opts=self._child,
            )
        aws.s3.BucketNotification(
            f"{self._name}-incoming-notification",
            bucket=incoming.id,
            queues=[
                aws.s3.BucketNotificationQueueArgs(queue_arn=scan.arn, events=S3_CREATED_EVENTS)
            ],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[policy]),
        )

    # ----------------------------------------------------------------------- workers

    def _stack_arns(self) -> pulumi.Output[StackArns]:
        settings = self._args.settings
        plain: dict[str, Any] = {
            "kms_key": self._args.kms_key_arn,
            "buckets": {role.value: bucket.arn for role, bucket in self._args.buckets.items()},
            "queues": {kind.value: queue.arn for kind, queue in self.queues.items()},
            "dlqs": {kind.value: queue.arn for kind, queue in self.dlqs.items()},
            "tables": {role: table.arn for role, table in self._args.tables.items()},
            "account": self._account_id,
        }
        return pulumi.Output.from_input(plain).apply(
            lambda v: StackArns(
                kms_key=v["kms_key"],
                buckets={BucketRole(k): arn for k, arn in v["buckets"].items()},
                queues={JobKind(k): arn for k, arn in v["queues"].items()},
                dlqs={JobKind(k): arn for k, arn in v["dlqs"].items()},
                tables=dict(v["tables"]),
                topics={s: topic_arn(settings, v["account"], s) for s in SEVERITIES},
            )
        )

    def _security_group(self) -> aws.ec2.SecurityGroup:
        network = self._args.settings.network
        assert network is not None
        return aws.ec2.SecurityGroup(
            f"{self._name}-workers-sg",
            description="media-infra workers: no inbound, HTTPS out to AWS APIs",
            vpc_id=network.vpc_id,
            egress=[
                aws.ec2.SecurityGroupEgressArgs(
                    description="HTTPS to AWS APIs and the image registry",
                    protocol="tcp",
                    from_port=443,
                    to_port=443,
                    cidr_blocks=["0.0.0.0/0"],
                )
            ],
            opts=self._child,
        )

    def _task_spec(self, kind: JobKind) -> TaskSpec:
        """The scan task runs clamd beside the worker; the audio worker gets its key."""
        if kind is JobKind.SCAN:
            return TaskSpec(clamd_sidecar=True)
        if kind is JobKind.AUDIO:
            return TaskSpec(
                secrets={WATERMARK_KEY_ENV: self.watermark_secret.arn},
                kms_key_arn=self._args.kms_key_arn,
            )
        return TaskSpec()

    def _worker(
        self,
        kind: JobKind,
        arns: pulumi.Output[StackArns],
        security_group: aws.ec2.SecurityGroup | None,
    ) -> None:
        settings = self._args.settings
        role = f"{kind.value}-worker"
        task = fargate_task(
            self,
            f"{self._name}-{kind.value}",
            settings,
            role=role,
            command=worker_command(kind),
            service=settings.processing.services[kind],
            task_policy=arns.apply(
                lambda a: json.dumps(task_role_policy(WORKER_ACCESS[kind.value], a))
            ),
            spec=self._task_spec(kind),
        )
        self.task_roles[kind] = task.task_role
        self.task_definitions[kind] = task.definition
        if security_group is None or settings.network is None:
            return
        service = aws.ecs.Service(
            f"{self._name}-{kind.value}-service",
            name=settings.resource_name(role),
            cluster=self.cluster.arn,
            task_definition=task.definition.arn,
            desired_count=settings.processing.services[kind].min_tasks,
            launch_type="FARGATE",
            network_configuration=aws.ecs.ServiceNetworkConfigurationArgs(
                subnets=list(settings.network.private_subnet_ids),
                security_groups=[security_group.id],
                assign_public_ip=False,
            ),
            deployment_circuit_breaker=aws.ecs.ServiceDeploymentCircuitBreakerArgs(
                enable=True, rollback=True
            ),
            propagate_tags="SERVICE",
            enable_ecs_managed_tags=True,
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=["desired_count"]),
        )
        self.services[kind] = service
        backlog_autoscaling(
            self,
            f"{self._name}-{kind.value}",
            cluster_name=self.cluster.name,
            service=service,
            queue=self.queues[kind],
            config=settings.processing.services[kind],
        )
