"""Stack settings: the stack files load; invalid ones fail naming file, key and expectation."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from stacks.settings import (
    NAMESPACE,
    BucketRole,
    JobKind,
    Settings,
    SettingsError,
    load_file,
    load_stack,
    namespaced_config,
    stack_file,
)

Mutation = Callable[[dict[str, Any]], None]


def prod_document() -> dict[str, Any]:
    return yaml.safe_load(stack_file("prod").read_text())


def write_stack(tmp_path: Path, mutate: Mutation) -> Path:
    """A copy of the prod stack file with `mutate` applied to its `media-infra:` values."""
    document = prod_document()
    values = namespaced_config(document, source="prod")
    mutate(values)
    config = {k: v for k, v in document["config"].items() if not k.startswith(f"{NAMESPACE}:")}
    config.update({f"{NAMESPACE}:{k}": v for k, v in values.items()})
    path = tmp_path / "Pulumi.broken.yaml"
    path.write_text(yaml.safe_dump({"config": config}))
    return path


def problems_of(tmp_path: Path, mutate: Mutation) -> tuple[SettingsError, dict[str, str]]:
    path = write_stack(tmp_path, mutate)
    with pytest.raises(SettingsError) as caught:
        load_file(path)
    error = caught.value
    assert error.source == str(path)
    assert str(error).startswith(f"{path}: ")
    return error, dict(error.problems)


@pytest.mark.parametrize("stack", ["local", "dev", "prod"])
def test_stack_files_load(stack: str) -> None:
    settings = load_stack(stack)
    assert settings.stack == stack
    assert settings.environment == stack
    assert set(settings.storage.buckets) == set(BucketRole)
    assert set(settings.processing.queues) == set(JobKind)
    assert settings.tags["stack"] == stack
    assert {"service", "stack", "owner", "data-class"} <= set(settings.tags)


def test_prod_values(prod_settings: Settings) -> None:
    masters = prod_settings.storage.buckets[BucketRole.MASTERS]
    assert [(t.days, t.storage_class) for t in masters.transitions] == [(0, "INTELLIGENT_TIERING")]
    assert masters.intelligent_tiering is not None
    assert masters.intelligent_tiering.archive_access_days == 90
    assert prod_settings.delivery.rule_for("images").edge_ttl_seconds == 365 * 24 * 3600
    assert prod_settings.backup.copy_region == "eu-central-1"
    assert prod_settings.network is not None
    assert prod_settings.bucket_name("masters") == "musicco-media-masters-prod"
    assert prod_settings.resource_name("scan-dlq") == "musicco-media-scan-dlq-prod"


def test_unknown_key(tmp_path: Path) -> None:
    _, problems = problems_of(tmp_path, lambda v: v["storage"].update(colour="blue"))
    assert problems == {"storage.colour": "unknown key"}


def test_unknown_top_level_key(tmp_path: Path) -> None:
    _, problems = problems_of(tmp_path, lambda v: v.update(buckets={}))
    assert problems == {"buckets": "unknown key"}


def test_wrong_type(tmp_path: Path) -> None:
    def mutate(v: dict[str, Any]) -> None:
        v["processing"]["queues"]["audio"]["max_receive_count"] = "many"

    _, problems = problems_of(tmp_path, mutate)
    assert list(problems) == ["processing.queues.audio.max_receive_count"]
    assert "valid integer" in problems["processing.queues.audio.max_receive_count"]


def test_missing_bucket_role(tmp_path: Path) -> None:
    _, problems = problems_of(tmp_path, lambda v: v["storage"]["buckets"].pop("logs"))
    assert list(problems) == ["storage.buckets"]
    assert "missing buckets: logs" in problems["storage.buckets"]


def test_unknown_bucket_role(tmp_path: Path) -> None:
    _, problems = problems_of(tmp_path, lambda v: v["storage"]["buckets"].update(cache={}))
    assert list(problems) == ["storage.buckets.cache.[key]"]
    assert "incoming" in problems["storage.buckets.cache.[key]"]


def test_missing_required_key(tmp_path: Path) -> None:
    _, problems = problems_of(tmp_path, lambda v: v.pop("owner"))
    assert problems == {"owner": "required key is missing"}


def test_non_increasing_transitions(tmp_path: Path) -> None:
    def mutate(v: dict[str, Any]) -> None:
        v["storage"]["buckets"]["derivatives"]["transitions"] = [
            {"days": 90, "storage_class": "GLACIER_IR"},
            {"days": 30, "storage_class": "STANDARD_IA"},
        ]

    _, problems = problems_of(tmp_path, mutate)
    key = "storage.buckets.derivatives.transitions"
    assert list(problems) == [key]
    assert "strictly increasing" in problems[key]


def test_infrequent_access_before_30_days(tmp_path: Path) -> None:
    def mutate(v: dict[str, Any]) -> None:
        v["storage"]["buckets"]["logs"]["transitions"] = [
            {"days": 7, "storage_class": "STANDARD_IA"}
        ]

    _, problems = problems_of(tmp_path, mutate)
    assert "30 days" in problems["storage.buckets.logs.transitions"]


def test_expiry_before_last_tier(tmp_path: Path) -> None:
    _, problems = problems_of(
        tmp_path, lambda v: v["storage"]["buckets"]["logs"].update(expire_days=20)
    )
    assert "expire_days must exceed" in problems["storage.buckets.logs"]


def test_unknown_storage_class(tmp_path: Path) -> None:
    def mutate(v: dict[str, Any]) -> None:
        v["storage"]["buckets"]["masters"]["transitions"] = [{"days": 0, "storage_class": "COLD"}]

    _, problems = problems_of(tmp_path, mutate)
    message = problems["storage.buckets.masters.transitions.0.storage_class"]
    assert "'GLACIER_IR'" in message and "'INTELLIGENT_TIERING'" in message


def test_duplicate_cache_extension(tmp_path: Path) -> None:
    def mutate(v: dict[str, Any]) -> None:
        v["delivery"]["cache_rules"][1]["match"]["extensions"].append("jpg")

    _, problems = problems_of(tmp_path, mutate)
    assert list(problems) == ["delivery.cache_rules"]
    assert "extension 'jpg' in both 'images' and 'audio'" in problems["delivery.cache_rules"]


def test_duplicate_cache_class(tmp_path: Path) -> None:
    def mutate(v: dict[str, Any]) -> None:
        rule = copy.deepcopy(v["delivery"]["cache_rules"][4])
        rule["match"] = {"path_prefixes": ["/v2/"]}
        v["delivery"]["cache_rules"].append(rule)

    _, problems = problems_of(tmp_path, mutate)
    assert "cache class 'api' defined twice" in problems["delivery.cache_rules"]


@pytest.mark.parametrize("schedule", ["every day at 3", "cron(0 3 * *)", "cron()", "rate(1 hours)"])
def test_bad_cron(tmp_path: Path, schedule: str) -> None:
    _, problems = problems_of(tmp_path, lambda v: v["backup"].update(daily_schedule=schedule))
    assert list(problems) == ["backup.daily_schedule"]
    assert "cron(0 3 ? * * *)" in problems["backup.daily_schedule"]


def test_retention_below_vault_lock(tmp_path: Path) -> None:
    _, problems = problems_of(tmp_path, lambda v: v["backup"].update(hourly_retention_days=3))
    assert (
        "hourly_retention_days (3) must lie within the vault lock's 7..365 days"
        in (problems["backup"])
    )


def test_max_tasks_below_min_tasks(tmp_path: Path) -> None:
    def mutate(v: dict[str, Any]) -> None:
        v["processing"]["services"]["image"].update(min_tasks=5, max_tasks=2)

    _, problems = problems_of(tmp_path, mutate)
    assert list(problems) == ["processing.services.image"]
    assert "max_tasks must be >= min_tasks" in problems["processing.services.image"]


def test_every_problem_is_reported(tmp_path: Path) -> None:
    def mutate(v: dict[str, Any]) -> None:
        v["storage"]["colour"] = "blue"
        v["backup"]["daily_schedule"] = "daily"
        v["processing"]["services"]["scan"].update(min_tasks=3, max_tasks=1)

    error, problems = problems_of(tmp_path, mutate)
    assert set(problems) == {"storage.colour", "backup.daily_schedule", "processing.services.scan"}
    assert len(str(error).splitlines()) == 3


def test_unreadable_file_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "Pulumi.bad.yaml"
    path.write_text("config: [unclosed")
    with pytest.raises(SettingsError) as caught:
        load_file(path)
    assert caught.value.source == str(path)
    assert caught.value.problems[0][0] == "<file>"


def test_settings_are_frozen(prod_settings: Settings) -> None:
    with pytest.raises(ValidationError, match="frozen"):
        prod_settings.stack = "other"  # type: ignore[misc]
    with pytest.raises(ValidationError, match="frozen"):
        prod_settings.backup.daily_retention_days = 1  # type: ignore[misc]
    with pytest.raises(ValidationError, match="frozen"):
        prod_settings.storage.buckets[BucketRole.MASTERS].expire_days = 1  # type: ignore[misc]


def test_from_mapping_with_pulumi_config_values(prod_settings: Settings) -> None:
    """What `pulumi.Config` holds: top-level strings, objects as parsed JSON (no namespace)."""
    values = namespaced_config(prod_document(), source="prod")
    as_engine_gives = {k: json.loads(json.dumps(v)) for k, v in values.items()}
    assert Settings.from_mapping(as_engine_gives) == prod_settings


def test_from_mapping_accepts_string_numbers_and_lists(prod_settings: Settings) -> None:
    """Values set with `pulumi config set` arrive as strings; JSON lists become tuples."""
    values = namespaced_config(prod_document(), source="prod")
    values["backup"] = {**values["backup"], "daily_retention_days": "30"}
    values["storage"] = {
        **values["storage"],
        "cors_origins": list(values["storage"]["cors_origins"]),
    }
    assert Settings.from_mapping(values) == prod_settings


def test_from_mapping_source_defaults(prod_settings: Settings) -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_mapping({"stack": "x"})
    assert caught.value.source == "<settings>"
    assert {"environment", "owner", "storage", "delivery", "processing"} <= {
        key for key, _ in caught.value.problems
    }


def test_buckets_private_and_queues_dead_lettered_by_default(prod_settings: Settings) -> None:
    assert not any(b.public_read for b in prod_settings.storage.buckets.values())
    assert all(q.dead_letter for q in prod_settings.processing.queues.values())


def test_public_bucket_and_queue_without_dlq_are_expressible(tmp_path: Path) -> None:
    def mutate(v: dict[str, Any]) -> None:
        v["storage"]["buckets"]["derivatives"]["public_read"] = True
        v["processing"]["queues"]["image"]["dead_letter"] = False

    settings = load_file(write_stack(tmp_path, mutate))
    assert settings.storage.buckets[BucketRole.DERIVATIVES].public_read is True
    assert settings.storage.buckets[BucketRole.MASTERS].public_read is False
    assert settings.processing.queues[JobKind.IMAGE].dead_letter is False
    assert settings.processing.queues[JobKind.SCAN].dead_letter is True


def test_quota_percents_are_set_once_in_quotas(tmp_path: Path) -> None:
    _, problems = problems_of(
        tmp_path, lambda v: v["alerts"].update(quota_percents=[80.0, 90.0, 95.0])
    )
    assert problems == {"alerts.quota_percents": "unknown key"}
