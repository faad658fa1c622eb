"""The offline check end to end: the real program, the real pack, settings and code faults."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from pulumi_policy import EnforcementLevel
from typer.testing import CliRunner

from policies.cli import app
from policies.offline import CheckReport, check_stack
from stacks import engine
from stacks.engine import CF_PERMISSION_GROUPS
from stacks.settings import load_stack

runner = CliRunner()


def _blamed(report: CheckReport, policy: str) -> set[str]:
    return {v.resource for v in report.violations if v.policy == policy}


@pytest.fixture(scope="module")
def prod_report() -> CheckReport:
    return check_stack("prod")


def test_prod_runs_every_policy_over_the_whole_stack(prod_report: CheckReport) -> None:
    assert len(prod_report.policies) >= 20
    types = {r.type for r in prod_report.records}
    for component in (
        "storage:MediaStorage",
        "processing:MediaProcessing",
        "delivery:MediaDelivery",
        "backup:MediaBackup",
        "monitoring:MediaMonitoring",
        "audit:MediaAudit",
    ):
        assert f"media-infra:{component}" in types
    assert prod_report.resources == len(prod_report.records) > 100


def test_prod_passes_every_policy(prod_report: CheckReport) -> None:
    assert prod_report.passed
    assert prod_report.violations == ()


def test_backup_retention_of_seven_days_fails_naming_policy_and_plan(
    edited_stack_file: Callable[..., Path],
) -> None:
    path = edited_stack_file("prod", "backup", daily_retention_days=7)
    report = check_stack(path)
    found = [v for v in report.violations if v.policy == "backup-retention-minimum"]
    assert {v.resource for v in found} == {"backup-plan"}
    assert {v.level for v in found} == {EnforcementLevel.MANDATORY}
    assert any("'daily' keeps recovery points 7 days" in v.message for v in found), found
    assert not report.passed


def test_public_bucket_policy_fails_naming_the_bucket(
    open_bucket_policy: Callable[[str], None],
) -> None:
    open_bucket_policy("derivatives")
    report = check_stack("prod")
    assert _blamed(report, "s3-public-access-block-on-every-bucket") == {"storage-derivatives"}
    public = [v for v in report.violations if v.policy == "s3-no-public-access"]
    assert [v.resource for v in public] == ["storage-derivatives-public-access"]
    assert "blockPublicPolicy" in public[0].message
    assert all(v.level == EnforcementLevel.MANDATORY for v in public)


def test_queue_without_dlq_fails_naming_the_queue(
    queue_without_dlq: Callable[[str], None],
) -> None:
    queue_without_dlq("image")
    report = check_stack("prod")
    blamed = _blamed(report, "sqs-queue-has-dlq")
    assert "processing-image-queue" in blamed
    assert not blamed & {"processing-scan-queue", "processing-audio-queue"}
    assert not report.passed


def test_cli_check_exits_1_and_prints_the_table(
    edited_stack_file: Callable[..., Path],
) -> None:
    path = edited_stack_file("prod", "backup", hourly_retention_days=7)
    result = runner.invoke(app, ["check", "--stack", "prod", "--settings", str(path)])
    assert result.exit_code == 1, result.output
    assert "backup-retention-minimum" in result.output
    assert "backup-plan" in result.output
    assert "'hourly'" in result.output
    assert "Checked " in result.output and " policies over " in result.output


def test_cli_check_refuses_invalid_settings_with_the_key(
    edited_stack_file: Callable[..., Path],
) -> None:
    path = edited_stack_file("prod", "backup", daily_retention_days=-1)
    result = runner.invoke(app, ["check", "--settings", str(path)])
    assert result.exit_code == 2
    assert "backup.daily_retention_days" in result.output


def test_rendered_ttl_that_differs_from_the_settings_fails(
    rendered_ttl: Callable[[str, int], None],
) -> None:
    rendered_ttl("audio", 86400)
    report = check_stack("prod")
    found = [v for v in report.violations if v.policy == "cloudflare-cache-ttls-match-settings"]
    assert [v.resource for v in found] == ["delivery-cache-rules"]
    assert "'audio'" in found[0].message and "2592000" in found[0].message


def test_brotli_off_fails_naming_the_zone_setting(
    zone_setting_value: Callable[[str, str], None],
) -> None:
    zone_setting_value("brotli", "off")
    report = check_stack("prod")
    assert _blamed(report, "cloudflare-brotli-on") == {"delivery-zone-brotli"}
    assert _blamed(report, "cloudflare-http3-on") == set()


def test_check_accepts_settings_objects(prod_settings, prod_report: CheckReport) -> None:  # type: ignore[no-untyped-def]
    report = check_stack(prod_settings)
    assert report.stack == "prod"
    assert report.resources == prod_report.resources
    assert report.policies == prod_report.policies


@pytest.mark.parametrize(
    ("section", "values", "policy", "resources"),
    [
        (
            "backup",
            {"vault_lock_min_retention_days": 1},
            "backup-vault-locked",
            {"backup-vault", "backup-copy-vault"},
        ),
        (
            "backup",
            {"continuous_retention_days": 3, "vault_lock_min_retention_days": 1},
            "backup-continuous-enabled",
            {"backup-plan"},
        ),
        (
            "processing",
            {"queues": {"scan": {"max_receive_count": 50}, "audio": {}, "image": {}}},
            "sqs-queue-has-dlq",
            {"processing-scan-queue"},
        ),
        ("delivery", {"zone": {"brotli": "off"}}, "cloudflare-brotli-on", {"delivery-zone-brotli"}),
        (
            "delivery",
            {"zone": {"min_tls_version": "1.0"}},
            "cloudflare-min-tls-1-2",
            {"delivery-zone-min-tls-version"},
        ),
    ],
)
def test_settings_edits_a_pull_request_could_make_fail(
    edited_stack_file: Callable[..., Path],
    section: str,
    values: dict,
    policy: str,
    resources: set[str],
) -> None:
    report = check_stack(edited_stack_file("prod", section, **values))
    assert _blamed(report, policy) == resources
    assert not report.passed


def test_alarm_on_the_wrong_queue_name_fails_naming_the_queue(
    misdirected_alarm: Callable[[str, str], None],
) -> None:
    misdirected_alarm("ApproximateAgeOfOldestMessage", "musicco-media-audio-prod")
    report = check_stack("prod")
    assert _blamed(report, "sqs-queue-age-alarm") == {"processing-audio-queue"}
    assert _blamed(report, "sqs-dlq-depth-alarm") == set()


def test_purge_token_carries_the_cache_purge_group_on_the_zone(prod_report: CheckReport) -> None:
    (token,) = [r for r in prod_report.records if r.type == "cloudflare:index/apiToken:ApiToken"]
    (policy,) = token.inputs["policies"]
    (purge,) = [g for g in CF_PERMISSION_GROUPS if g["name"] == "Cache Purge"]
    assert policy["permissionGroups"] == [{"id": purge["id"]}]
    assert list(json.loads(policy["resources"])) == [
        f"com.cloudflare.api.account.zone.{load_stack('prod').delivery.cloudflare_zone_id}"
    ]


def test_purge_token_without_permission_group_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine, "CF_PERMISSION_GROUPS", ())
    report = check_stack("prod")
    found = [v for v in report.violations if v.policy == "cloudflare-api-token-zone-scoped"]
    assert [v.resource for v in found] == ["delivery-purge-token"]
    assert "names no permission group id" in found[0].message
    assert not report.passed
