"""`MediaDelivery`: the origin (ALB + delivery service) and the Cloudflare edge in front of it.

AWS side (when `settings.network` is set): an internet-facing ALB in the public subnets whose
security group admits only Cloudflare's ranges (`delivery.cloudflare_ipv4/6_cidrs`) on the
HTTPS port; an ACM certificate for `origin_hostname` (plus the media domain, which
Cloudflare sends as SNI); an HTTPS listener (TLS 1.2+) with mutual TLS for authenticated
origin pulls (`verify` against a trust store when `origin_pull_ca_bundle_s3_uri` is set,
else `passthrough`); a target group and the delivery service (`mediainfra origin serve`,
read-only on `derivatives`, its URL-signing key from a Secrets Manager secret) in the private
subnets, reachable only from the ALB, scaled on requests per target. Unless
`delivery.user_watermark` is `off`, the origin makes per-user watermarked copies: its task
gets the audio worker's watermark-key secret (`MediaProcessing.watermark_secret`) as
`MEDIAINFRA_AUDIO_WATERMARK_KEY` and may PutObject under `derivatives/watermarked/` only
(`components.iam_policies.delivery_access`). The ALB's egress also
reaches the uploads API's port when `uploads_service.enabled` (`components.uploads` adds its
listener rule and target group).

Cloudflare side (when `delivery.cloudflare_zone_id` is set): one `ZoneSetting` per zone
setting, tiered caching (+ smart topology), the cache-rules ruleset from
`components.cache_rules`, zone-level authenticated origin pulls, the proxied DNS record of
the media domain (and a DNS-only one for the origin hostname) to the ALB, ACM validation
records, and an API token that may only purge this zone's cache.

The local stack has neither: the component registers nothing but itself.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_cloudflare as cf

from components.alb_service import (
    LISTEN_ALL,
    AlbService,
    alb_fargate_service,
    alb_target_group,
    alb_task_security_group,
)
from components.edge import build_edge, certificate_validation_records
from components.fargate import WATERMARK_KEY_ENV, TaskSpec, fargate_task, managed_secret
from components.iam_policies import StackArns, delivery_access, task_role_policy
from stacks.settings import BucketRole, Settings

TYPE_TOKEN = "media-infra:delivery:MediaDelivery"
ORIGIN_COMMAND = ("mediainfra", "origin", "serve")
SIGNING_KEY_ENV = "MEDIAINFRA_ORIGIN_SIGNING_KEY"
"""Where `mediainfra origin serve` reads the URL-signing key (a Secrets Manager secret)."""
TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"


@dataclass(frozen=True)
class MediaDeliveryArgs:
    """Inputs of `MediaDelivery`."""

    settings: Settings
    """The stack settings: domain, zone, cache rules, origin, network."""
    cluster_arn: pulumi.Input[str]
    """The ECS cluster the delivery service runs in (from `MediaProcessing`)."""
    derivatives_bucket: aws.s3.Bucket
    """The bucket the origin serves (read only)."""
    kms_key_arn: pulumi.Input[str]
    """The key the derivatives (and the secrets) are encrypted with: decrypt only, plus data
    keys for the per-user copies unless `delivery.user_watermark` is `off`."""
    watermark_secret_arn: pulumi.Input[str] | None = None
    """The audio worker's watermark-key secret (`MediaProcessing.watermark_secret`): the origin
    watermarks per-user copies with the same key. Required unless `user_watermark` is `off`."""


class DeliveryArgsError(ValueError):
    """`MediaDeliveryArgs` lack what the settings need (names the setting and the argument)."""


def parse_s3_uri(uri: str) -> tuple[str, str]:
    """`s3://bucket/key` -> (bucket, key)."""
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return bucket, key


def origin_secrets(
    settings: Settings,
    signing_secret_arn: pulumi.Input[str],
    watermark_secret_arn: pulumi.Input[str] | None,
) -> dict[str, pulumi.Input[str]]:
    """Environment variable -> secret ARN of the origin's container: the URL-signing key, and
    the watermark key unless `delivery.user_watermark` is `off`."""
    secrets = {SIGNING_KEY_ENV: signing_secret_arn}
    if settings.delivery.user_watermark == "off":
        return secrets
    if watermark_secret_arn is None:
        raise DeliveryArgsError(
            f"delivery.user_watermark is {settings.delivery.user_watermark!r}: the origin needs "
            "the audio watermark key; pass MediaDeliveryArgs.watermark_secret_arn "
            "(MediaProcessing.watermark_secret.arn) or set user_watermark: off"
        )
    return {**secrets, WATERMARK_KEY_ENV: watermark_secret_arn}


def origin_command(settings: Settings) -> list[str]:
    """`mediainfra origin serve` for this stack, listening on the container port."""
    port = str(settings.delivery.origin_container_port)
    return [*ORIGIN_COMMAND, "--stack", settings.stack, "--host", LISTEN_ALL, "--port", port]


def alb_target_ports(settings: Settings) -> list[int]:
    """Ports the origin ALB forwards to: the origin's, and the uploads API's when it runs."""
    ports = {settings.delivery.origin_container_port}
    if settings.uploads_service.enabled:
        ports.add(settings.uploads.port)
    return sorted(ports)


class MediaDelivery(pulumi.ComponentResource):
    """The origin behind Cloudflare and the zone's edge configuration."""

    load_balancer: aws.lb.LoadBalancer | None
    target_group: aws.lb.TargetGroup | None
    listener: aws.lb.Listener | None
    alb_security_group: aws.ec2.SecurityGroup | None
    signing_secret: aws.secretsmanager.Secret | None
    service: aws.ecs.Service | None
    task_role: aws.iam.Role | None
    cache_ruleset: cf.Ruleset | None
    purge_token: cf.ApiToken | None

    def __init__(
        self, name: str, args: MediaDeliveryArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(TYPE_TOKEN, name, None, opts)
        self._name = name
        self._args = args
        self._child = pulumi.ResourceOptions(parent=self)
        settings = args.settings
        self._zone_id = settings.delivery.cloudflare_zone_id
        self.load_balancer = self.target_group = self.service = self.task_role = None
        self.listener = self.alb_security_group = self.signing_secret = None
        self.cache_ruleset = self.purge_token = None
        if settings.network is not None:
            self._origin()
        if self._zone_id:
            edge = build_edge(self, name, settings, self.load_balancer)
            self.cache_ruleset, self.purge_token = edge.cache_ruleset, edge.purge_token
        self.register_outputs(
            {
                "load_balancer": self.load_balancer,
                "target_group": self.target_group,
                "listener": self.listener,
                "alb_security_group": self.alb_security_group,
                "signing_secret": self.signing_secret,
                "service": self.service,
                "task_role": self.task_role,
                "cache_ruleset": self.cache_ruleset,
                "purge_token": self.purge_token,
            }
        )

    # ----------------------------------------------------------------------- origin

    def _origin(self) -> None:
        settings = self._args.settings
        delivery, network = settings.delivery, settings.network
        assert network is not None
        alb_group = aws.ec2.SecurityGroup(
            f"{self._name}-alb-sg",
            description="media-infra origin ALB: HTTPS from Cloudflare only",
            vpc_id=network.vpc_id,
            ingress=[
                aws.ec2.SecurityGroupIngressArgs(
                    description="Cloudflare edge",
                    protocol="tcp",
                    from_port=delivery.origin_port,
                    to_port=delivery.origin_port,
                    cidr_blocks=list(delivery.cloudflare_ipv4_cidrs),
                    ipv6_cidr_blocks=list(delivery.cloudflare_ipv6_cidrs),
                )
            ],
            egress=[
                aws.ec2.SecurityGroupEgressArgs(
                    description="to the tasks behind the ALB",
                    protocol="tcp",
                    from_port=port,
                    to_port=port,
                    cidr_blocks=["0.0.0.0/0"],
                )
                for port in alb_target_ports(settings)
            ],
            opts=self._child,
        )
        self.alb_security_group = alb_group
        service_group = alb_task_security_group(
            self,
            f"{self._name}-origin-sg",
            description="media-infra origin tasks: from the ALB only, HTTPS out to S3",
            vpc_id=network.vpc_id,
            port=delivery.origin_container_port,
            alb_group=alb_group,
        )
        self.load_balancer = aws.lb.LoadBalancer(
            f"{self._name}-alb",
            load_balancer_type="application",
            internal=False,
            subnets=list(network.public_subnet_ids),
            security_groups=[alb_group.id],
            drop_invalid_header_fields=True,
            enable_deletion_protection=settings.environment == "prod",
            opts=self._child,
        )
        self.target_group = alb_target_group(
            self,
            f"{self._name}-tg",
            vpc_id=network.vpc_id,
            port=delivery.origin_container_port,
            health_path=delivery.origin_health_path,
        )
        self.listener = listener = aws.lb.Listener(
            f"{self._name}-https",
            load_balancer_arn=self.load_balancer.arn,
            port=delivery.origin_port,
            protocol="HTTPS",
            ssl_policy=TLS_POLICY,
            certificate_arn=self._certificate_arn(),
            mutual_authentication=self._mutual_tls(),
            default_actions=[
                aws.lb.ListenerDefaultActionArgs(
                    type="forward", target_group_arn=self.target_group.arn
                )
            ],
            opts=self._child,
        )
        self._origin_service(service_group, listener)

    def _certificate_arn(self) -> pulumi.Output[str]:
        delivery = self._args.settings.delivery
        certificate = aws.acm.Certificate(
            f"{self._name}-origin-cert",
            domain_name=delivery.origin_hostname,
            subject_alternative_names=[delivery.domain],
            validation_method="DNS",
            opts=self._child,
        )
        if not self._zone_id:
            return certificate.arn
        records = certificate_validation_records(
            self,
            self._name,
            self._zone_id,
            certificate,
            (delivery.origin_hostname, delivery.domain),
        )
        validation = aws.acm.CertificateValidation(
            f"{self._name}-cert-validation",
            certificate_arn=certificate.arn,
            validation_record_fqdns=[record.name for record in records],
            opts=self._child,
        )
        return validation.certificate_arn

    def _mutual_tls(self) -> aws.lb.ListenerMutualAuthenticationArgs:
        uri = self._args.settings.delivery.origin_pull_ca_bundle_s3_uri
        if uri is None:
            return aws.lb.ListenerMutualAuthenticationArgs(mode="passthrough")
        bucket, key = parse_s3_uri(uri)
        trust_store = aws.lb.TrustStore(
            f"{self._name}-origin-pull-ca",
            ca_certificates_bundle_s3_bucket=bucket,
            ca_certificates_bundle_s3_key=key,
            opts=self._child,
        )
        return aws.lb.ListenerMutualAuthenticationArgs(
            mode="verify", trust_store_arn=trust_store.arn
        )

    def _origin_service(self, group: aws.ec2.SecurityGroup, listener: aws.lb.Listener) -> None:
        settings, args = self._args.settings, self._args
        assert self.load_balancer and self.target_group
        arns = pulumi.Output.all(args.kms_key_arn, args.derivatives_bucket.arn).apply(
            lambda v: StackArns(kms_key=v[0], buckets={BucketRole.DERIVATIVES: v[1]})
        )
        config = settings.processing.delivery_service
        access = delivery_access(settings.delivery.user_watermark)
        self.signing_secret = managed_secret(
            self,
            f"{self._name}-signing-key",
            settings,
            role="origin-signing-key",
            description="The delivery origin's URL-signing key (premium URLs)",
            kms_key_arn=args.kms_key_arn,
        )
        task = fargate_task(
            self,
            f"{self._name}-origin",
            settings,
            role="origin",
            command=origin_command(settings),
            service=config,
            task_policy=arns.apply(lambda a: json.dumps(task_role_policy(access, a))),
            port=settings.delivery.origin_container_port,
            spec=TaskSpec(
                secrets=origin_secrets(
                    settings, self.signing_secret.arn, args.watermark_secret_arn
                ),
                kms_key_arn=args.kms_key_arn,
            ),
        )
        self.task_role = task.task_role
        self.service = alb_fargate_service(
            self,
            f"{self._name}-origin-service",
            settings,
            args.cluster_arn,
            AlbService(
                role="origin",
                task=task,
                config=config,
                port=settings.delivery.origin_container_port,
                security_group=group,
                load_balancer=self.load_balancer,
                target_group=self.target_group,
                routed_by=[listener],
            ),
            scaling_prefix=f"{self._name}-origin",
        )
