"""The cloud-task settings: uploads service, clamd sidecar, schedules, load generators."""

from __future__ import annotations

import json

import pytest

from stacks.settings import (
    CacheWarmSettings,
    DrillTaskSettings,
    LoadGenRegion,
    LoadGenSettings,
    Settings,
    SettingsError,
    load_stack,
)

REGION = {"region": "us-east-1", "label": "us", "vpc_id": "vpc-1", "subnet_ids": ["subnet-1"]}


@pytest.mark.parametrize("stack", ["local", "dev", "prod"])
def test_defaults_every_stack(stack: str) -> None:
    settings = load_stack(stack)
    assert settings.loadgen.enabled is False and settings.loadgen.regions == ()
    assert settings.uploads_service.enabled is True
    assert settings.clamd_sidecar.image == "clamav/clamav:1.4"
    assert settings.schedules.cache_warm.schedule == "cron(30 4 * * ? *)"
    assert settings.schedules.drill.prefix == "restore-drills/"


def test_schedule_expressions_are_validated() -> None:
    assert CacheWarmSettings(schedule="rate(6 hours)").schedule == "rate(6 hours)"
    assert CacheWarmSettings(schedule=None).schedule is None
    for bad in ("daily", "cron(0 4 * *)", "rate(1 hours)"):
        with pytest.raises(ValueError, match="AWS schedule expression"):
            CacheWarmSettings(schedule=bad)


def test_drill_prefix_must_be_a_folder() -> None:
    assert DrillTaskSettings(prefix="drills/weekly/").prefix == "drills/weekly/"
    for bad in ("", "/", "drills", "/drills/", "a//b/"):
        with pytest.raises(ValueError):
            DrillTaskSettings(prefix=bad)


def test_load_generator_regions() -> None:
    with pytest.raises(ValueError, match="at least one region"):
        LoadGenSettings(enabled=True)
    with pytest.raises(ValueError, match="egress_cidrs"):
        LoadGenSettings.model_validate({"enabled": True, "regions": [REGION]})
    with pytest.raises(ValueError, match="unique"):
        LoadGenSettings.model_validate({"regions": [REGION, REGION]})
    with pytest.raises(ValueError):
        LoadGenRegion.model_validate({**REGION, "egress_cidrs": ["not-a-cidr"]})
    with pytest.raises(ValueError):
        LoadGenRegion.model_validate({**REGION, "region": "Europe"})
    on = LoadGenSettings.model_validate(
        {"enabled": True, "regions": [{**REGION, "egress_cidrs": ["3.3.3.3/32"]}]}
    )
    assert on.regions[0].workers == 1


def test_a_bad_key_names_its_path() -> None:
    values = json.loads(load_stack("prod").model_dump_json())
    values["loadgen"] = {"enabled": True, "regions": [{**REGION, "workers": 0}]}
    with pytest.raises(SettingsError) as error:
        Settings.from_mapping(values, source="Pulumi.prod.yaml")
    assert [key for key, _ in error.value.problems] == ["loadgen.regions.0.workers"]
