"""`MediaBackup` under mocks: vaults and locks, the plan's rules, the copy, the selection."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from components.backup import MediaBackup, MediaBackupArgs
from stacks.engine import ResourceRecord, run_program
from stacks.settings import Settings, stack_file

KEY_ARN = "arn:aws:kms:eu-west-1:123456789012:key/storage"


def build_backup(settings: Settings) -> list[ResourceRecord]:
    def program() -> None:
        MediaBackup("backup", MediaBackupArgs(settings, kms_key_arn=KEY_ARN))

    config = yaml.safe_load(stack_file(settings.stack).read_text())["config"]
    return run_program(program, stack=settings.stack, config=config)


@pytest.fixture(scope="module")
def records(prod_settings: Settings) -> list[ResourceRecord]:
    return build_backup(prod_settings)


def one(records: list[ResourceRecord], name: str) -> ResourceRecord:
    (found,) = [r for r in records if r.name == name]
    return found


def rules(records: list[ResourceRecord]) -> dict[str, dict[str, Any]]:
    return {rule["ruleName"]: rule for rule in one(records, "backup-plan").inputs["rules"]}


def test_vault_encrypted_and_locked(records: list[ResourceRecord], prod_settings: Settings) -> None:
    vault = one(records, "backup-vault")
    assert vault.inputs["name"] == prod_settings.resource_name("vault")
    assert vault.inputs["kmsKeyArn"] == KEY_ARN
    lock = one(records, "backup-vault-lock").inputs
    assert lock["backupVaultName"] == vault.state["name"]
    assert lock["minRetentionDays"] == prod_settings.backup.vault_lock_min_retention_days == 7
    assert lock["maxRetentionDays"] == prod_settings.backup.vault_lock_max_retention_days == 365


def test_copy_vault_in_copy_region_with_its_own_key_and_lock(
    records: list[ResourceRecord], prod_settings: Settings
) -> None:
    provider = one(records, "backup-copy-region")
    assert provider.type == "pulumi:providers:aws"
    assert provider.inputs["region"] == prod_settings.backup.copy_region == "eu-central-1"
    copy_vault = one(records, "backup-copy-vault")
    copy_key = one(records, "backup-copy-key")
    assert copy_vault.inputs["kmsKeyArn"] == copy_key.state["arn"]
    assert copy_key.inputs["enableKeyRotation"] is True
    assert one(records, "backup-copy-vault-lock").inputs["minRetentionDays"] == 7


def test_continuous_rule_and_retention(records: list[ResourceRecord]) -> None:
    continuous = rules(records)["continuous"]
    assert continuous["enableContinuousBackup"] is True
    assert continuous["lifecycle"] == {"deleteAfter": 35}
    assert continuous["targetVaultName"] == one(records, "backup-vault").state["name"]


def test_hourly_and_daily_rules(records: list[ResourceRecord], prod_settings: Settings) -> None:
    hourly, daily = rules(records)["hourly"], rules(records)["daily"]
    assert hourly["schedule"] == prod_settings.backup.hourly_schedule == "cron(0 * ? * * *)"
    assert hourly["lifecycle"] == {"deleteAfter": 30}
    assert not hourly.get("enableContinuousBackup")
    assert daily["schedule"] == "cron(0 3 ? * * *)"
    assert daily["lifecycle"] == {"deleteAfter": 30}
    for rule in (hourly, daily):
        assert rule["startWindow"] < rule["completionWindow"]


def test_daily_rule_copies_to_the_copy_region_vault(records: list[ResourceRecord]) -> None:
    copy_vault = one(records, "backup-copy-vault")
    assert rules(records)["daily"]["copyActions"] == [
        {"destinationVaultArn": copy_vault.state["arn"], "lifecycle": {"deleteAfter": 30}}
    ]
    assert not rules(records)["hourly"].get("copyActions")


def test_selection_by_tag_over_every_bucket(
    records: list[ResourceRecord], prod_settings: Settings
) -> None:
    selection = one(records, "backup-selection")
    assert selection.inputs["resources"] == ["arn:aws:s3:::*"]
    assert selection.inputs["selectionTags"] == [
        {"type": "STRINGEQUALS", "key": "backup", "value": "media-infra"}
    ]
    assert selection.inputs["iamRoleArn"] == one(records, "backup-role").state["arn"]
    assert selection.inputs["planId"] == one(records, "backup-plan").id


def test_role_trusts_backup_with_managed_s3_policies(records: list[ResourceRecord]) -> None:
    role = one(records, "backup-role")
    trust = json.loads(role.inputs["assumeRolePolicy"])
    assert trust["Statement"][0]["Principal"] == {"Service": "backup.amazonaws.com"}
    attached = {r.inputs["policyArn"] for r in records if r.type.endswith("RolePolicyAttachment")}
    assert attached == {
        "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup",
        "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores",
        "arn:aws:iam::aws:policy/AWSBackupServiceRolePolicyForS3Backup",
        "arn:aws:iam::aws:policy/AWSBackupServiceRolePolicyForS3Restore",
    }
    kms = json.loads(one(records, "backup-role-kms").inputs["policy"])
    assert kms["Statement"][0]["Resource"] == KEY_ARN
    assert "*" not in kms["Statement"][0]["Action"]


def test_no_copy_vault_without_copy_region(local_settings: Settings) -> None:
    assert local_settings.backup.copy_region is None
    records = build_backup(local_settings)
    assert not [r for r in records if "copy" in r.name]
    assert not rules(records)["daily"].get("copyActions")
