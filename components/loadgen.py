"""`LoadGenerators`: distributed Locust in the cloud (the seed's latency-by-location test).

A Locust master runs as a Fargate service in the stack's own region and network, with a
Cloud Map name (`master.loadgen.<stack>.internal`); N workers per region of
`settings.loadgen.regions` (e.g. US, EU, Asia) run as Fargate services in that region —
one explicit `aws.Provider(region=...)` per region, its own cluster, security group and log
group — each labelled with its region (`LOCUST_REGION`, the harness's `--region`: the
per-region breakdown) and started as `locust -f loadtests --worker --master-host <master>`.

Cross-region networking (an assumption about the accounts' networks, not created here):
- `master_access: public-nlb` (default): the master sits behind an internet-facing network
  load balancer on TCP 5557 whose security group admits only the regions' `egress_cidrs` —
  the public addresses (NAT gateway EIPs) the workers leave their private subnets through.
  Workers connect to the NLB's DNS name. Locust's ZeroMQ traffic (test control and stats, no
  credentials) is not encrypted on that path.
- `master_access: peered`: the worker VPCs are peered with (or routed to) the stack's VPC and
  the Cloud Map private zone is associated with them; `egress_cidrs` are then their VPC
  CIDRs, admitted directly by the master's security group, and workers use the Cloud Map name.
The master's web UI (8089) is not exposed: reach it with ECS Exec / SSM port forwarding.
Switched on by `settings.loadgen.enabled` (off by default: no resources) and needs a network.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.fargate import CONTAINER_NAME, TaskSpec, fargate_task
from stacks.settings import LoadGenRegion, Settings

TYPE_TOKEN = "media-infra:loadgen:LoadGenerators"
MASTER_PORT = 5557
MASTER_NAME = "master"
REGION_ENV = "LOCUST_REGION"
STACK_ENV = "LOCUST_STACK"


@dataclass(frozen=True)
class LoadGenArgs:
    """Inputs of `LoadGenerators`."""

    settings: Settings
    """The stack settings: `loadgen` (switch, sizes, regions), network, domain, worker image."""


def namespace_name(settings: Settings) -> str:
    """The Cloud Map private DNS namespace of the load generators."""
    return f"loadgen.{settings.stack}.internal"


def master_fqdn(settings: Settings) -> str:
    """The master's Cloud Map name."""
    return f"{MASTER_NAME}.{namespace_name(settings)}"


def target_url(settings: Settings) -> str:
    """What the workers load: the configured URL, else the media domain over HTTPS."""
    return settings.loadgen.target_url or f"https://{settings.delivery.domain}"


def master_command(settings: Settings) -> list[str]:
    loadgen = settings.loadgen
    return ["locust", "-f", loadgen.locustfile, "--master", "--master-bind-port",
            str(MASTER_PORT), "--host", target_url(settings)]  # fmt: skip


def worker_command(settings: Settings, master_host: pulumi.Input[str]) -> list[pulumi.Input[str]]:
    return ["locust", "-f", settings.loadgen.locustfile, "--worker", "--master-host",
            master_host, "--master-port", str(MASTER_PORT)]  # fmt: skip


def worker_sources(settings: Settings) -> list[str]:
    """Every region's `egress_cidrs`: the only sources admitted to the master's port."""
    return sorted({cidr for region in settings.loadgen.regions for cidr in region.egress_cidrs})


class LoadGenerators(pulumi.ComponentResource):
    """A Locust master and labelled workers in several regions, as Fargate services."""

    master: aws.ecs.Service | None
    master_host: pulumi.Output[str] | None
    load_balancer: aws.lb.LoadBalancer | None
    workers: dict[str, aws.ecs.Service]
    providers: dict[str, aws.Provider]

    def __init__(
        self, name: str, args: LoadGenArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(TYPE_TOKEN, name, None, opts)
        self._name = name
        self._settings = settings = args.settings
        self.master = self.master_host = self.load_balancer = None
        self.workers, self.providers = {}, {}
        if settings.loadgen.enabled and settings.network is not None:
            self._master()
            for region in settings.loadgen.regions:
                self._workers(region)
        self.register_outputs(
            {
                "master": self.master,
                "master_host": self.master_host,
                "load_balancer": self.load_balancer,
                "workers": self.workers,
            }
        )

    # ----------------------------------------------------------------------- master

    def _master(self) -> None:
        settings, network = self._settings, self._settings.network
        assert network is not None
        child = pulumi.ResourceOptions(parent=self)
        cluster = aws.ecs.Cluster(
            f"{self._name}-cluster", name=settings.resource_name("loadgen"), opts=child
        )
        namespace = aws.servicediscovery.PrivateDnsNamespace(
            f"{self._name}-namespace",
            name=namespace_name(settings),
            vpc=network.vpc_id,
            description="media-infra load generators",
            opts=child,
        )
        discovery = aws.servicediscovery.Service(
            f"{self._name}-master-discovery",
            name=MASTER_NAME,
            namespace_id=namespace.id,
            dns_config=aws.servicediscovery.ServiceDnsConfigArgs(
                namespace_id=namespace.id,
                dns_records=[aws.servicediscovery.ServiceDnsConfigDnsRecordArgs(ttl=10, type="A")],
                routing_policy="MULTIVALUE",
            ),
            opts=child,
        )
        public = settings.loadgen.master_access == "public-nlb"
        nlb_group = self._nlb_security_group() if public else None
        ingress = aws.ec2.SecurityGroupIngressArgs(
            description="Locust workers",
            protocol="tcp",
            from_port=MASTER_PORT,
            to_port=MASTER_PORT,
            **(
                {"security_groups": [nlb_group.id]}
                if nlb_group is not None
                else {"cidr_blocks": worker_sources(settings)}
            ),
        )
        group = aws.ec2.SecurityGroup(
            f"{self._name}-master-sg",
            description="media-infra Locust master: workers on 5557 only",
            vpc_id=network.vpc_id,
            ingress=[ingress],
            egress=[self._https_egress()],
            opts=child,
        )
        task = fargate_task(
            self,
            f"{self._name}-master",
            settings,
            role="loadgen-master",
            command=master_command(settings),
            service=settings.loadgen.master_size,
            task_policy=None,
            port=MASTER_PORT,
            spec=TaskSpec(environment={STACK_ENV: settings.stack}),
        )
        target_group = self._public_entry(nlb_group) if nlb_group is not None else None
        self.master = aws.ecs.Service(
            f"{self._name}-master-service",
            name=settings.resource_name("loadgen-master"),
            cluster=cluster.arn,
            task_definition=task.definition.arn,
            desired_count=1,
            launch_type="FARGATE",
            network_configuration=aws.ecs.ServiceNetworkConfigurationArgs(
                subnets=list(network.private_subnet_ids),
                security_groups=[group.id],
                assign_public_ip=False,
            ),
            service_registries=aws.ecs.ServiceServiceRegistriesArgs(registry_arn=discovery.arn),
            load_balancers=[
                aws.ecs.ServiceLoadBalancerArgs(
                    container_name=CONTAINER_NAME,
                    container_port=MASTER_PORT,
                    target_group_arn=target_group.arn,
                )
            ]
            if target_group is not None
            else None,
            enable_execute_command=True,
            opts=child,
        )
        if self.load_balancer is not None:
            self.master_host = self.load_balancer.dns_name
        else:
            self.master_host = pulumi.Output.from_input(master_fqdn(settings))

    def _https_egress(self) -> aws.ec2.SecurityGroupEgressArgs:
        return aws.ec2.SecurityGroupEgressArgs(
            description="HTTPS to the target and AWS APIs",
            protocol="tcp",
            from_port=443,
            to_port=443,
            cidr_blocks=["0.0.0.0/0"],
        )

    def _nlb_security_group(self) -> aws.ec2.SecurityGroup:
        settings, network = self._settings, self._settings.network
        assert network is not None
        return aws.ec2.SecurityGroup(
            f"{self._name}-nlb-sg",
            description="media-infra Locust master NLB: the workers' egress addresses only",
            vpc_id=network.vpc_id,
            ingress=[
                aws.ec2.SecurityGroupIngressArgs(
                    description="Locust workers (their NAT egress addresses)",
                    protocol="tcp",
                    from_port=MASTER_PORT,
                    to_port=MASTER_PORT,
                    cidr_blocks=worker_sources(settings),
                )
            ],
            egress=[
                aws.ec2.SecurityGroupEgressArgs(
                    description="to the master",
                    protocol="tcp",
                    from_port=MASTER_PORT,
                    to_port=MASTER_PORT,
                    cidr_blocks=["0.0.0.0/0"],
                )
            ],
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _public_entry(self, nlb_group: aws.ec2.SecurityGroup) -> aws.lb.TargetGroup:
        network = self._settings.network
        assert network is not None
        child = pulumi.ResourceOptions(parent=self)
        self.load_balancer = aws.lb.LoadBalancer(
            f"{self._name}-nlb",
            load_balancer_type="network",
            internal=False,
            subnets=list(network.public_subnet_ids),
            security_groups=[nlb_group.id],
            opts=child,
        )
        target_group = aws.lb.TargetGroup(
            f"{self._name}-master-tg",
            port=MASTER_PORT,
            protocol="TCP",
            target_type="ip",
            vpc_id=network.vpc_id,
            health_check=aws.lb.TargetGroupHealthCheckArgs(enabled=True, protocol="TCP"),
            opts=child,
        )
        aws.lb.Listener(
            f"{self._name}-master-listener",
            load_balancer_arn=self.load_balancer.arn,
            port=MASTER_PORT,
            protocol="TCP",
            default_actions=[
                aws.lb.ListenerDefaultActionArgs(type="forward", target_group_arn=target_group.arn)
            ],
            opts=child,
        )
        return target_group

    # ----------------------------------------------------------------------- workers

    def _workers(self, region: LoadGenRegion) -> None:
        settings = self._settings
        assert self.master_host is not None
        prefix = f"{self._name}-{region.label}"
        provider = aws.Provider(
            prefix, region=region.region, opts=pulumi.ResourceOptions(parent=self)
        )
        self.providers[region.label] = provider
        regional = pulumi.ResourceOptions(parent=self, provider=provider)
        cluster = aws.ecs.Cluster(
            f"{prefix}-cluster",
            name=settings.resource_name(f"loadgen-{region.label}"),
            opts=regional,
        )
        group = aws.ec2.SecurityGroup(
            f"{prefix}-sg",
            description=f"media-infra Locust workers ({region.label}): no inbound",
            vpc_id=region.vpc_id,
            egress=[
                self._https_egress(),
                aws.ec2.SecurityGroupEgressArgs(
                    description="to the Locust master",
                    protocol="tcp",
                    from_port=MASTER_PORT,
                    to_port=MASTER_PORT,
                    cidr_blocks=["0.0.0.0/0"],
                ),
            ],
            opts=regional,
        )
        task = fargate_task(
            self,
            f"{prefix}-worker",
            settings,
            role=f"loadgen-worker-{region.label}",
            command=worker_command(settings, self.master_host),
            service=settings.loadgen.worker_size,
            task_policy=None,
            spec=TaskSpec(
                environment={REGION_ENV: region.label, STACK_ENV: settings.stack},
                region=region.region,
            ),
            opts=pulumi.ResourceOptions(provider=provider),
        )
        self.workers[region.label] = aws.ecs.Service(
            f"{prefix}-worker-service",
            name=settings.resource_name(f"loadgen-worker-{region.label}"),
            cluster=cluster.arn,
            task_definition=task.definition.arn,
            desired_count=region.workers,
            launch_type="FARGATE",
            network_configuration=aws.ecs.ServiceNetworkConfigurationArgs(
                subnets=list(region.subnet_ids),
                security_groups=[group.id],
                assign_public_ip=False,
            ),
            opts=regional,
        )
