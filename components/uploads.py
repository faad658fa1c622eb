"""`MediaUploads`: the uploads API (`mediainfra uploads-api`) as a Fargate service.

It sits behind the origin ALB of `MediaDelivery`: a listener rule on the HTTPS listener sends
`/s3/multipart*` (the Uppy multipart endpoints) to its own target group, health-checked on
`/healthz`. The public `/healthz` stays the origin's (the rule would otherwise shadow it) and
`/metrics` is not routed at all. Clients reach it through Cloudflare on the media domain; the
parts themselves go straight to S3 with presigned URLs (CORS on `incoming`).

The task role is exactly what the API calls (`components.task_policies.uploads_task_policy`).
The bearer-token HMAC secret is a Secrets Manager secret created here (its value is put
outside Pulumi), injected as `uploads.token_secret_env` through the container's `secrets`;
the execution role may read only that secret. Without a network or with
`uploads_service.enabled` false, the component is empty.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.alb_service import (
    LISTEN_ALL,
    AlbService,
    alb_fargate_service,
    alb_target_group,
    alb_task_security_group,
)
from components.fargate import TaskSpec, fargate_task, managed_secret
from components.task_policies import uploads_task_policy
from stacks.settings import Settings

TYPE_TOKEN = "media-infra:uploads:MediaUploads"
API_PATHS = ("/s3/multipart*",)
HEALTH_PATH = "/healthz"


@dataclass(frozen=True)
class MediaUploadsArgs:
    """Inputs of `MediaUploads`."""

    settings: Settings
    """The stack settings: uploads port and token variable, service size, network."""
    cluster_arn: pulumi.Input[str]
    """The ECS cluster the service runs in (from `MediaProcessing`)."""
    incoming_bucket: aws.s3.Bucket
    """Where uploads land (multipart)."""
    quotas_table: aws.dynamodb.Table
    """Per-user quotas and upload reservations."""
    warning_topic_arn: pulumi.Input[str]
    """The `alerts-warning` topic (quota notifications)."""
    kms_key_arn: pulumi.Input[str]
    """The stack key: objects, table, topic and the token secret are encrypted with it."""
    load_balancer: aws.lb.LoadBalancer | None
    """The origin ALB (from `MediaDelivery`); None: no service."""
    listener: aws.lb.Listener | None
    """Its HTTPS listener, which gets the rule."""
    alb_security_group: aws.ec2.SecurityGroup | None
    """The ALB's security group: the only ingress of the tasks."""


def uploads_command(settings: Settings) -> list[str]:
    """`mediainfra uploads-api` for this stack, listening on `uploads.port` in the task."""
    port = str(settings.uploads.port)
    return ["mediainfra", "uploads-api", "--stack", settings.stack, "--host", LISTEN_ALL,
            "--port", port]  # fmt: skip


class MediaUploads(pulumi.ComponentResource):
    """The uploads API service, its target group and listener rule, its token secret."""

    token_secret: aws.secretsmanager.Secret | None
    target_group: aws.lb.TargetGroup | None
    listener_rule: aws.lb.ListenerRule | None
    task_role: aws.iam.Role | None
    service: aws.ecs.Service | None

    def __init__(
        self, name: str, args: MediaUploadsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(TYPE_TOKEN, name, None, opts)
        self._name = name
        self._args = args
        self.token_secret = self.target_group = self.listener_rule = None
        self.task_role = self.service = None
        settings = args.settings
        runs = settings.network is not None and settings.uploads_service.enabled
        if runs and args.listener is not None and args.alb_security_group is not None:
            self._service()
        self.register_outputs(
            {
                "token_secret": self.token_secret,
                "target_group": self.target_group,
                "listener_rule": self.listener_rule,
                "task_role": self.task_role,
                "service": self.service,
            }
        )

    def _service(self) -> None:
        settings, args = self._args.settings, self._args
        network, port = settings.network, settings.uploads.port
        assert network is not None and args.listener and args.alb_security_group
        assert args.load_balancer is not None
        child = pulumi.ResourceOptions(parent=self)
        self.token_secret = managed_secret(
            self,
            f"{self._name}-token",
            settings,
            role="uploads-token-secret",
            description="HMAC secret of the uploads API's bearer tokens",
            kms_key_arn=args.kms_key_arn,
        )
        group = alb_task_security_group(
            self,
            f"{self._name}-sg",
            description="media-infra uploads API tasks: from the origin ALB only, HTTPS out",
            vpc_id=network.vpc_id,
            port=port,
            alb_group=args.alb_security_group,
        )
        self.target_group = alb_target_group(
            self, f"{self._name}-tg", vpc_id=network.vpc_id, port=port, health_path=HEALTH_PATH
        )
        self.listener_rule = aws.lb.ListenerRule(
            f"{self._name}-rule",
            listener_arn=args.listener.arn,
            priority=settings.uploads_service.listener_rule_priority,
            conditions=[
                aws.lb.ListenerRuleConditionArgs(
                    path_pattern=aws.lb.ListenerRuleConditionPathPatternArgs(values=list(API_PATHS))
                )
            ],
            actions=[
                aws.lb.ListenerRuleActionArgs(
                    type="forward", target_group_arn=self.target_group.arn
                )
            ],
            opts=child,
        )
        policy = pulumi.Output.all(
            args.incoming_bucket.arn,
            args.quotas_table.arn,
            args.warning_topic_arn,
            args.kms_key_arn,
        ).apply(
            lambda v: json.dumps(
                uploads_task_policy(
                    incoming_bucket_arn=v[0],
                    quotas_table_arn=v[1],
                    warning_topic_arn=v[2],
                    kms_key_arn=v[3],
                )
            )
        )
        config = settings.uploads_service.service
        task = fargate_task(
            self,
            f"{self._name}-api",
            settings,
            role="uploads-api",
            command=uploads_command(settings),
            service=config,
            task_policy=policy,
            port=port,
            spec=TaskSpec(
                secrets={settings.uploads.token_secret_env: self.token_secret.arn},
                kms_key_arn=args.kms_key_arn,
            ),
        )
        self.task_role = task.task_role
        self.service = alb_fargate_service(
            self,
            f"{self._name}-service",
            settings,
            args.cluster_arn,
            AlbService(
                role="uploads-api",
                task=task,
                config=config,
                port=port,
                security_group=group,
                load_balancer=args.load_balancer,
                target_group=self.target_group,
                routed_by=[self.listener_rule],
            ),
            scaling_prefix=f"{self._name}-api",
        )
