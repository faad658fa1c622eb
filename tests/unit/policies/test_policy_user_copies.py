"""The policy pack over what per-user copies add to a stack: the origin's prefix-scoped write
and its second secret (`iam-task-role-least-privilege`), the user-claim bypass rule after the
cache classes (`cloudflare-cache-ttls-match-settings`) and the `watermarked/` expiry."""

from __future__ import annotations

import json
from collections.abc import Callable

import pulumi_cloudflare as cf
import pytest

from components import cache_rules
from policies.offline import CheckReport, check_stack
from stacks.engine import ResourceRecord
from stacks.settings import Settings

TTL_POLICY = "cloudflare-cache-ttls-match-settings"
IAM_POLICY = "iam-task-role-least-privilege"


def _named(report: CheckReport, name: str) -> ResourceRecord:
    (record,) = [r for r in report.records if r.name == name]
    return record


def _with_user_watermark(settings: Settings, mode: str) -> Settings:
    delivery = settings.delivery.model_copy(update={"user_watermark": mode})
    return settings.model_copy(update={"delivery": delivery})


@pytest.fixture(scope="module")
def with_copies(prod_settings: Settings) -> CheckReport:
    return check_stack(_with_user_watermark(prod_settings, "signed-users"))


def test_per_user_copies_pass_every_policy(with_copies: CheckReport) -> None:
    assert with_copies.violations == ()
    assert {TTL_POLICY, IAM_POLICY} <= set(with_copies.policies)
    rules = _named(with_copies, "delivery-cache-rules").inputs["rules"]
    assert rules[-1]["ref"] == cache_rules.USER_COPIES_REF
    task_policy = json.loads(_named(with_copies, "delivery-origin-task-policy").inputs["policy"])
    puts = [s for s in task_policy["Statement"] if "s3:PutObject" in s["Action"]]
    assert len(puts) == 1 and puts[0]["Resource"][0].endswith("/watermarked/*")
    lifecycle = _named(with_copies, "storage-derivatives-lifecycle").inputs["rules"]
    expiry = [r for r in lifecycle if r["filter"] == {"prefix": "watermarked/"}]
    assert [r["id"] for r in expiry] == ["expire-user-copies", "remove-user-copy-markers"]


def test_without_copies_nothing_is_added_and_every_policy_passes(
    prod_settings: Settings,
) -> None:
    report = check_stack(_with_user_watermark(prod_settings, "off"))
    assert report.violations == ()
    refs = [r["ref"] for r in _named(report, "delivery-cache-rules").inputs["rules"]]
    assert cache_rules.USER_COPIES_REF not in refs
    task_policy = json.loads(_named(report, "delivery-origin-task-policy").inputs["policy"])
    actions = {a for s in task_policy["Statement"] for a in s["Action"]}
    assert not any(a.startswith("s3:Put") for a in actions)


def test_a_bypass_rule_posing_as_a_cache_class_fails_the_ttl_policy(
    monkeypatch: pytest.MonkeyPatch, prod_settings: Settings
) -> None:
    """Why the bypass rule names no class: the pack maps a rule to a class by its ref or
    description, and a non-caching `audio` rule contradicts the audio class's TTLs."""
    real: Callable[[], cf.RulesetRuleArgs] = cache_rules.user_copies_bypass_rule

    def posing() -> cf.RulesetRuleArgs:
        rule = real()
        return cf.RulesetRuleArgs(
            action=rule.action,
            expression=rule.expression,
            description="audio: bypass for user claims",
            enabled=True,
            ref="cache-audio",
            action_parameters=rule.action_parameters,
        )

    monkeypatch.setattr(cache_rules, "user_copies_bypass_rule", posing)
    report = check_stack(_with_user_watermark(prod_settings, "signed-users"))
    found = [v for v in report.violations if v.policy == TTL_POLICY]
    assert found and all(v.resource == "delivery-cache-rules" for v in found)
    assert any("'audio'" in v.message and "caching is off" in v.message for v in found)
