"""Enforcement levels: defaults, the policy-config.json mapping, overrides and bad configs."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest
from pulumi_policy import EnforcementLevel

from policies import pack
from policies.config import settings_config, stack_policy_config


def test_policy_config_file_names_every_policy_with_a_valid_level() -> None:
    config = pack.load_config()
    assert set(config) == {p.name for p in pack.all_policies()}
    levels = {pack.enforcement_level(p, config) for p in pack.all_policies()}
    assert levels == {EnforcementLevel.MANDATORY, EnforcementLevel.ADVISORY}


def test_config_overrides_the_default_level() -> None:
    policy = next(p for p in pack.all_policies() if p.name == "s3-access-logging")
    assert pack.enforcement_level(policy, {}) == EnforcementLevel.ADVISORY
    config = pack.normalize({"s3-access-logging": "mandatory"}, source="t")
    assert pack.enforcement_level(policy, config) == EnforcementLevel.MANDATORY
    config = pack.normalize({"s3-access-logging": {"enforcementLevel": "disabled"}}, source="t")
    assert pack.enforcement_level(policy, config) == EnforcementLevel.DISABLED


@pytest.mark.parametrize(
    ("document", "fragment"),
    [
        ({"s3-no-such-policy": "mandatory"}, "unknown policy"),
        ({"s3-versioning-enabled": "blocking"}, "'blocking' is not one of"),
    ],
)
def test_bad_config_is_refused_naming_the_key(
    tmp_path: Path, document: dict, fragment: str
) -> None:
    path = tmp_path / "levels.json"
    path.write_text(json.dumps(document))
    with pytest.raises(pack.PolicyConfigError, match=fragment) as caught:
        pack.load_config(path)
    assert str(path) in str(caught.value)


def test_merge_keeps_levels_and_adds_properties(prod_settings) -> None:  # type: ignore[no-untyped-def]
    merged = pack.merge(pack.load_config(), settings_config(prod_settings))
    entry = merged["cloudflare-cache-ttls-match-settings"]
    assert entry["enforcementLevel"] == "mandatory"
    assert entry["cacheRules"]["images"] == {
        "edgeTtlSeconds": 31536000,
        "browserTtlSeconds": 31536000,
    }
    policy = next(p for p in pack.all_policies() if p.name == "aws-required-tags")
    assert set(pack.properties(policy, merged)["requiredTags"]) >= {
        "service",
        "stack",
        "owner",
        "data-class",
    }
    initial = pack.initial_config(merged)
    assert initial["s3-tls-only"]["enforcementLevel"] is EnforcementLevel.MANDATORY


def test_stack_policy_config_is_empty_without_a_stack_file() -> None:
    assert stack_policy_config("") == {}
    assert stack_policy_config("no-such-stack") == {}
    assert "cacheRules" in stack_policy_config("prod")["cloudflare-cache-ttls-match-settings"]


def test_importing_the_pack_modules_starts_no_server() -> None:
    """Only policies/__main__.py builds the PolicyPack (which never returns)."""
    code = "import policies.pack, policies.offline, policies.cli; print('ok')"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, check=False, timeout=60, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
    builders = {
        module.name
        for module in Path(pack.__file__).parent.glob("*.py")
        if any(
            isinstance(node, ast.Call) and getattr(node.func, "id", "") == "PolicyPack"
            for node in ast.walk(ast.parse(module.read_text()))
        )
    }
    assert builders == {"__main__.py"}


def test_pulumi_policy_yaml_declares_a_python_pack() -> None:
    import yaml

    document = yaml.safe_load(Path(pack.__file__).with_name("PulumiPolicy.yaml").read_text())
    assert document["runtime"]["name"] == "python"
    assert document["version"] and document["description"]
