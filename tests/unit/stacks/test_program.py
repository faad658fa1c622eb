"""The whole program under mocks: settings from Pulumi config, six components, tags, outputs."""

from __future__ import annotations

import importlib
import inspect
import json
import runpy
from collections import Counter
from typing import Any

import pulumi
import pytest
import yaml

from stacks.engine import ResourceRecord, run_program
from stacks.program import build, settings_from_config
from stacks.settings import (
    STACKS_DIR,
    BucketRole,
    JobKind,
    Settings,
    SettingsError,
    load_stack,
    stack_file,
)

COMPONENTS = (
    "storage", "processing", "delivery", "backup", "monitoring", "audit", "uploads", "schedules"
)  # fmt: skip
COMPONENT_TYPES = {
    "schedules": "media-infra:schedules:MediaSchedules",
    "uploads": "media-infra:uploads:MediaUploads",
    "storage": "media-infra:storage:MediaStorage",
    "processing": "media-infra:processing:MediaProcessing",
    "delivery": "media-infra:delivery:MediaDelivery",
    "backup": "media-infra:backup:MediaBackup",
    "monitoring": "media-infra:monitoring:MediaMonitoring",
    "audit": "media-infra:audit:MediaAudit",
}


def stack_config(stack: str) -> dict[str, Any]:
    return yaml.safe_load(stack_file(stack).read_text())["config"]


def run_stack(stack: str) -> tuple[list[ResourceRecord], dict[str, Any]]:
    outputs: dict[str, Any] = {}

    def program() -> None:
        outputs.update(build(settings_from_config()))

    return run_program(program, stack=stack, config=stack_config(stack)), outputs


@pytest.fixture(scope="module")
def prod_run() -> tuple[list[ResourceRecord], dict[str, Any]]:
    return run_stack("prod")


@pytest.fixture(scope="module")
def local_run() -> tuple[list[ResourceRecord], dict[str, Any]]:
    return run_stack("local")


def class_accepts_tags(token: str) -> bool:
    """Whether the pulumi-aws class behind a type token takes a `tags` argument."""
    package, _, class_name = token.partition(":")[2].partition(":")
    module = importlib.import_module(f"pulumi_aws.{package.split('/')[0]}")
    return "tags" in inspect.signature(getattr(module, class_name)._internal_init).parameters


# --------------------------------------------------------------------------- settings


@pytest.mark.parametrize("stack", ["local", "dev", "prod"])
def test_settings_from_pulumi_config_equal_the_stack_file(stack: str) -> None:
    """Pulumi hands the program strings (objects as JSON): they become the same settings."""
    found: list[Settings] = []
    run_program(
        lambda: found.append(settings_from_config()), stack=stack, config=stack_config(stack)
    )
    assert found == [load_stack(stack)]


def test_settings_from_config_accepts_camel_case_keys() -> None:
    config = stack_config("prod")
    config["media-infra:dataClass"] = "internal"
    config["media-infra:extraTags"] = {"cost-center": "media"}
    del config["media-infra:data_class"]
    found: list[Settings] = []
    run_program(lambda: found.append(settings_from_config()), stack="prod", config=config)
    assert found[0].data_class == "internal"
    assert found[0].tags["cost-center"] == "media"


def test_settings_from_config_errors_name_the_stack_and_key() -> None:
    config = stack_config("prod")
    config["media-infra:backup"]["daily_schedule"] = "at three"
    errors: list[SettingsError] = []

    def program() -> None:
        try:
            settings_from_config()
        except SettingsError as exc:
            errors.append(exc)

    run_program(program, stack="prod", config=config)
    (error,) = errors
    assert error.source.startswith("stacks/Pulumi.prod.yaml")
    assert [key for key, _ in error.problems] == ["backup.daily_schedule"]


# --------------------------------------------------------------------------- the program


def test_the_components(prod_run: tuple[list[ResourceRecord], dict[str, Any]]) -> None:
    """(Registration is asynchronous: the records' order is not the build order.)"""
    records, _ = prod_run
    components = [r for r in records if r.type.startswith("media-infra:")]
    assert sorted((r.type, r.name) for r in components) == sorted(
        (COMPONENT_TYPES[name], name) for name in COMPONENTS
    )
    assert all(r.parent.endswith("pulumi:pulumi:Stack::media-infra-prod") for r in components)


def test_every_resource_belongs_to_a_component(
    prod_run: tuple[list[ResourceRecord], dict[str, Any]],
) -> None:
    records, _ = prod_run
    component_urns = {r.urn for r in records if r.type.startswith("media-infra:")}
    by_urn = {r.urn: r for r in records}

    def root(record: ResourceRecord) -> str:
        while record.parent in by_urn:
            record = by_urn[record.parent]
        return record.urn

    strays = [r.name for r in records if r.custom and root(r) not in component_urns]
    assert strays == []


def test_every_taggable_aws_resource_has_the_standard_tags(
    prod_run: tuple[list[ResourceRecord], dict[str, Any]], prod_settings: Settings
) -> None:
    records, _ = prod_run
    taggable = [r for r in records if r.type.startswith("aws:") and class_accepts_tags(r.type)]
    assert len(taggable) > 40
    for record in taggable:
        tags = record.inputs.get("tags") or {}
        assert {k: tags.get(k) for k in prod_settings.tags} == prod_settings.tags, record.name


def test_prod_resource_counts(prod_run: tuple[list[ResourceRecord], dict[str, Any]]) -> None:
    records, _ = prod_run
    counts = Counter(r.type for r in records)
    assert counts["aws:s3/bucket:Bucket"] == len(BucketRole)
    assert counts["aws:sqs/queue:Queue"] == 2 * len(JobKind)
    assert counts["aws:ecs/service:Service"] >= len(JobKind)
    assert counts["aws:backup/vault:Vault"] == 2
    assert counts["aws:cloudtrail/trail:Trail"] == 1
    assert counts["aws:cloudwatch/metricAlarm:MetricAlarm"] > 0
    assert counts["cloudflare:index/ruleset:Ruleset"] == 1


def test_outputs(
    prod_run: tuple[list[ResourceRecord], dict[str, Any]], prod_settings: Settings
) -> None:
    _, outputs = prod_run
    assert all(isinstance(value, pulumi.Output) for value in outputs.values())
    expected = {f"bucket_{role.value}" for role in BucketRole}
    expected |= {f"queue_url_{kind.value}" for kind in JobKind}
    expected |= {f"dlq_url_{kind.value}" for kind in JobKind}
    expected |= {"kms_key_arn", "backup_vault_name", "trail_arn", "cluster_arn"}
    expected |= {"origin_dns_name", "cache_ruleset_id", "dashboard_name"}
    expected |= {"uploads_api_url", "uploads_token_secret_arn"}
    expected |= {"schedule_restore_drill", "schedule_cache_warm"}
    assert expected <= set(outputs)
    assert any(key.startswith("topic_arn_") for key in outputs)


def test_local_stack_switches(local_run: tuple[list[ResourceRecord], dict[str, Any]]) -> None:
    """No network: no ECS services or load balancer; no zone: no Cloudflare; no copy region."""
    records, outputs = local_run
    types = Counter(r.type for r in records)
    assert types["aws:ecs/service:Service"] == 0
    assert types["aws:lb/loadBalancer:LoadBalancer"] == 0
    assert not [t for t in types if t.startswith("cloudflare:")]
    assert types["aws:backup/vault:Vault"] == 1
    assert types["aws:s3/bucket:Bucket"] == len(BucketRole)
    assert "origin_dns_name" not in outputs
    assert sorted(r.type for r in records if r.type.startswith("media-infra:")) == sorted(
        COMPONENT_TYPES.values()
    )


def test_build_is_repeatable_in_one_process() -> None:
    first, _ = run_stack("dev")
    second, _ = run_stack("dev")
    assert sorted((r.type, r.name) for r in first) == sorted((r.type, r.name) for r in second)
    assert len(first) == len({r.urn for r in first})


def test_main_module_exports_the_outputs(
    monkeypatch: pytest.MonkeyPatch, prod_run: tuple[list[ResourceRecord], dict[str, Any]]
) -> None:
    """`stacks/__main__.py` as Pulumi runs it (the `main: stacks/` directory)."""
    exported: dict[str, Any] = {}
    monkeypatch.setattr(pulumi, "export", lambda name, value: exported.__setitem__(name, value))
    records = run_program(
        lambda: runpy.run_path(str(STACKS_DIR), run_name="__main__"),
        stack="prod",
        config=stack_config("prod"),
    )
    assert set(exported) == set(prod_run[1])
    assert sorted(r.urn for r in records) == sorted(r.urn for r in prod_run[0])


def test_alert_topics_use_the_stack_key(
    prod_run: tuple[list[ResourceRecord], dict[str, Any]],
) -> None:
    records, _ = prod_run
    (key,) = [r for r in records if r.type == "aws:kms/key:Key" and r.name == "storage-key"]
    topics = [r for r in records if r.type == "aws:sns/topic:Topic"]
    assert len(topics) == 3
    assert {t.inputs["kmsMasterKeyId"] for t in topics} == {key.state["arn"]}


def test_load_generators_only_when_switched_on(
    prod_run: tuple[list[ResourceRecord], dict[str, Any]], prod_settings: Settings
) -> None:
    records, outputs = prod_run
    assert not [r for r in records if r.type == "media-infra:loadgen:LoadGenerators"]
    assert not [key for key in outputs if key.startswith("loadgen_")]
    regions = [
        {"region": "us-east-1", "label": "us", "vpc_id": "vpc-us", "subnet_ids": ["subnet-us"],
         "egress_cidrs": ["3.3.3.3/32"]},
        {"region": "ap-southeast-1", "label": "asia", "vpc_id": "vpc-ap",
         "subnet_ids": ["subnet-ap"], "egress_cidrs": ["13.13.13.13/32"]},
    ]  # fmt: skip
    loadgen = prod_settings.loadgen.model_validate({"enabled": True, "regions": regions})
    settings = prod_settings.model_copy(update={"loadgen": loadgen})
    found: dict[str, Any] = {}
    on = run_program(lambda: found.update(build(settings)), stack="prod")
    assert [r.name for r in on if r.type == "media-infra:loadgen:LoadGenerators"] == ["loadgen"]
    assert {"loadgen_master_host", "loadgen_workers_us", "loadgen_workers_asia"} <= set(found)


def _container_secrets(records: list[ResourceRecord], task: str) -> dict[str, str]:
    (definition,) = [r for r in records if r.name == task]
    (container,) = json.loads(definition.inputs["containerDefinitions"])
    return {s["name"]: s["valueFrom"] for s in container.get("secrets", [])}


def test_origin_and_audio_worker_share_the_watermark_key(
    prod_run: tuple[list[ResourceRecord], dict[str, Any]], prod_settings: Settings
) -> None:
    """Per-user copies carry a payload the audio worker's key can detect: one secret, wired
    by the program from `MediaProcessing` into `MediaDelivery`."""
    assert prod_settings.delivery.user_watermark != "off"
    records, _ = prod_run
    (secret,) = [r for r in records if r.name == "processing-watermark-key-secret"]
    arn = secret.state["arn"]
    audio = _container_secrets(records, "processing-audio-task")
    origin = _container_secrets(records, "delivery-origin-task")
    assert audio["MEDIAINFRA_AUDIO_WATERMARK_KEY"] == origin["MEDIAINFRA_AUDIO_WATERMARK_KEY"]
    assert origin["MEDIAINFRA_AUDIO_WATERMARK_KEY"] == arn
    (execution,) = [r for r in records if r.name == "delivery-origin-execution-policy"]
    reads = [
        s for s in json.loads(execution.inputs["policy"])["Statement"] if s["Sid"] == "ReadSecrets"
    ]
    assert arn in reads[0]["Resource"]
