"""LoadGenerators under the offline engine: off -> nothing; on -> master + labelled workers."""

from __future__ import annotations

from typing import Any

import pulumi
import pytest
from pulumi_records import ComponentMocks, json_input, named, of_type, run

from components.loadgen import LoadGenArgs, LoadGenerators
from stacks.engine import ResourceRecord
from stacks.settings import LoadGenSettings, Settings

NLB_DNS = "loadgen-nlb-0123.elb.eu-west-1.amazonaws.com"
REGIONS = [
    {"region": "us-east-1", "label": "us", "workers": 3, "vpc_id": "vpc-us",
     "subnet_ids": ["subnet-us-a"], "egress_cidrs": ["3.3.3.3/32"]},
    {"region": "eu-central-1", "label": "eu", "workers": 2, "vpc_id": "vpc-eu",
     "subnet_ids": ["subnet-eu-a"], "egress_cidrs": ["18.18.18.18/32"]},
    {"region": "ap-northeast-1", "label": "asia", "workers": 1, "vpc_id": "vpc-asia",
     "subnet_ids": ["subnet-asia-a"], "egress_cidrs": ["13.13.13.0/30"]},
]  # fmt: skip


class NlbMocks(ComponentMocks):
    """Also answer the NLB's DNS name, and note each resource's provider reference."""

    def __init__(self, region: str) -> None:
        super().__init__(region)
        self.providers: dict[str, str] = {}

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        self.providers[args.name] = args.provider or ""
        resource_id, state = super().new_resource(args)
        if args.typ == "aws:lb/loadBalancer:LoadBalancer":
            state["dnsName"] = NLB_DNS
        return resource_id, state


def with_loadgen(settings: Settings, **values: Any) -> Settings:
    loadgen = LoadGenSettings.model_validate({"enabled": True, "regions": REGIONS, **values})
    return settings.model_copy(update={"loadgen": loadgen})


def build(settings: Settings, mocks: NlbMocks | None = None) -> list[ResourceRecord]:
    return run(
        settings,
        lambda: LoadGenerators("loadgen", LoadGenArgs(settings)),
        mocks or NlbMocks(settings.region),
    )


@pytest.fixture(scope="module")
def enabled_run(prod_settings: Settings) -> tuple[list[ResourceRecord], dict[str, str]]:
    mocks = NlbMocks(prod_settings.region)
    return build(with_loadgen(prod_settings), mocks), mocks.providers


@pytest.fixture(scope="module")
def enabled(enabled_run: tuple[list[ResourceRecord], dict[str, str]]) -> list[ResourceRecord]:
    return enabled_run[0]


def container(records: list[ResourceRecord], name: str) -> dict[str, Any]:
    (only,) = json_input(named(records, name), "containerDefinitions")
    return dict(only)


def environment(definition: dict[str, Any]) -> dict[str, str]:
    return {e["name"]: e["value"] for e in definition["environment"]}


def test_off_by_default_means_no_resources(prod_settings: Settings) -> None:
    assert prod_settings.loadgen.enabled is False
    records = build(prod_settings)
    assert [r.type for r in records] == ["media-infra:loadgen:LoadGenerators"]


def test_master_service_with_a_discovery_name(
    enabled: list[ResourceRecord], prod_settings: Settings
) -> None:
    master = named(enabled, "loadgen-master-service")
    assert master.inputs["desiredCount"] == 1
    assert prod_settings.network is not None
    network = master.inputs["networkConfiguration"]
    assert network["subnets"] == list(prod_settings.network.private_subnet_ids)
    discovery = named(enabled, "loadgen-master-discovery")
    assert master.inputs["serviceRegistries"]["registryArn"] == discovery.state["arn"]
    namespace = named(enabled, "loadgen-namespace")
    assert namespace.inputs["name"] == "loadgen.prod.internal"
    assert namespace.inputs["vpc"] == prod_settings.network.vpc_id
    definition = container(enabled, "loadgen-master-task")
    assert definition["command"] == [
        "locust", "-f", "loadtests", "--master", "--master-bind-port", "5557",
        "--host", "https://media.example.com",
    ]  # fmt: skip
    assert definition["portMappings"] == [{"containerPort": 5557, "protocol": "tcp"}]


def test_public_nlb_admits_only_the_workers_egress_addresses(
    enabled: list[ResourceRecord],
) -> None:
    (nlb,) = of_type(enabled, "aws:lb/loadBalancer:LoadBalancer")
    assert nlb.inputs["loadBalancerType"] == "network" and nlb.inputs["internal"] is False
    nlb_group = named(enabled, "loadgen-nlb-sg")
    assert nlb.inputs["securityGroups"] == [nlb_group.id]
    (ingress,) = nlb_group.inputs["ingress"]
    assert (ingress["fromPort"], ingress["toPort"]) == (5557, 5557)
    assert ingress["cidrBlocks"] == ["13.13.13.0/30", "18.18.18.18/32", "3.3.3.3/32"]
    listener = named(enabled, "loadgen-master-listener")
    assert (listener.inputs["port"], listener.inputs["protocol"]) == (5557, "TCP")
    (master_in,) = named(enabled, "loadgen-master-sg").inputs["ingress"]
    assert master_in["securityGroups"] == [nlb_group.id] and not master_in.get("cidrBlocks")
    (balancer,) = named(enabled, "loadgen-master-service").inputs["loadBalancers"]
    assert balancer["targetGroupArn"] == named(enabled, "loadgen-master-tg").state["arn"]


def test_a_worker_service_per_region_labelled_with_it(
    enabled_run: tuple[list[ResourceRecord], dict[str, str]],
) -> None:
    enabled, provider_of = enabled_run
    providers = {r.name: r for r in enabled if r.type == "pulumi:providers:aws"}
    assert {name: p.inputs["region"] for name, p in providers.items()} == {
        f"loadgen-{r['label']}": r["region"] for r in REGIONS
    }
    for region in REGIONS:
        label = region["label"]
        service = named(enabled, f"loadgen-{label}-worker-service")
        assert service.inputs["desiredCount"] == region["workers"]
        assert service.inputs["networkConfiguration"]["subnets"] == region["subnet_ids"]
        assert service.inputs["cluster"] == named(enabled, f"loadgen-{label}-cluster").state["arn"]
        provider_urn = providers[f"loadgen-{label}"].urn
        for name in (f"loadgen-{label}-worker-service", f"loadgen-{label}-worker-task",
                     f"loadgen-{label}-sg", f"loadgen-{label}-worker-logs"):  # fmt: skip
            assert provider_of[name].startswith(provider_urn + "::"), name
        definition = container(enabled, f"loadgen-{label}-worker-task")
        assert definition["command"] == [
            "locust", "-f", "loadtests", "--worker", "--master-host", NLB_DNS,
            "--master-port", "5557",
        ]  # fmt: skip
        env = environment(definition)
        assert env["LOCUST_REGION"] == label and env["LOCUST_STACK"] == "prod"
        logs = definition["logConfiguration"]["options"]
        assert logs["awslogs-region"] == region["region"]
    assert not [
        r for r in enabled if r.type == "aws:iam/rolePolicy:RolePolicy" and "task-policy" in r.name
    ]  # Locust calls no AWS API: the task roles have no policy
    regional = tuple(p.urn for p in providers.values())
    assert not provider_of["loadgen-master-service"].startswith(regional)  # the stack's region


def test_peered_workers_use_the_discovery_name(prod_settings: Settings) -> None:
    records = build(with_loadgen(prod_settings, master_access="peered"))
    assert of_type(records, "aws:lb/loadBalancer:LoadBalancer") == []
    (ingress,) = named(records, "loadgen-master-sg").inputs["ingress"]
    assert ingress["cidrBlocks"] == ["13.13.13.0/30", "18.18.18.18/32", "3.3.3.3/32"]
    command = container(records, "loadgen-eu-worker-task")["command"]
    assert command[command.index("--master-host") + 1] == "master.loadgen.prod.internal"


def test_no_network_means_no_load_generators(local_settings: Settings) -> None:
    records = build(with_loadgen(local_settings))
    assert [r.type for r in records] == ["media-infra:loadgen:LoadGenerators"]


def test_enabled_without_egress_addresses_is_refused() -> None:
    regions = [{**REGIONS[0], "egress_cidrs": []}]
    with pytest.raises(ValueError, match="egress_cidrs"):
        LoadGenSettings.model_validate({"enabled": True, "regions": regions})
