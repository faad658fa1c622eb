"""Prometheus rules come from the CloudWatch alarm table and pass promtool."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from components.alarm_rules import alarm_specs
from local.prometheus_rules import alertmanager_config, dump, prometheus_rules
from stacks.settings import Settings


def _rules(settings: Settings) -> dict[str, dict[str, object]]:
    document = prometheus_rules(settings).document
    return {rule["alert"]: rule for rule in document["groups"][0]["rules"]}  # type: ignore[index]


def test_every_alarm_has_a_rule_or_a_reason(local_settings: Settings) -> None:
    result = prometheus_rules(local_settings)
    names = set(_rules(local_settings))
    for spec in alarm_specs(local_settings):
        assert spec.name in names or spec.name in result.skipped
    assert result.skipped == {"backup-jobs-failed": "AWS Backup is not emulated locally"}


def test_thresholds_and_severities_match_the_alarms(local_settings: Settings) -> None:
    rules = _rules(local_settings)
    alerts = local_settings.alerts
    age = rules["queue-age-scan"]
    assert age["expr"].endswith(f"> {alerts.queue_age_seconds}")  # type: ignore[union-attr]
    assert age["for"] == f"{alerts.period_seconds * alerts.evaluation_periods}s"
    assert age["labels"]["severity"] == "critical"  # type: ignore[index]
    assert rules["dlq-depth-audio"]["expr"].endswith(f"> {alerts.dlq_depth}")  # type: ignore[union-attr]
    p99 = rules["origin-latency-p99"]["expr"]
    assert "histogram_quantile(0.99" in p99 and p99.endswith(
        f"> {alerts.origin_latency_p99_ms / 1000:g}"
    )  # type: ignore[operator, union-attr]
    quota = local_settings.storage.buckets["masters"].quota_bytes
    assert quota is not None
    assert rules["bucket-quota-masters-95"]["expr"].endswith(f">= {quota * 0.95:g}")  # type: ignore[union-attr]
    assert "edge-hit-ratio" in rules


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool not installed")
@pytest.mark.parametrize("stack", ["local", "prod"])
def test_promtool_accepts_the_rules(
    stack: str, tmp_path: Path, local_settings: Settings, prod_settings: Settings
) -> None:
    settings = local_settings if stack == "local" else prod_settings
    path = tmp_path / "rules.yml"
    path.write_text(dump(prometheus_rules(settings).document))
    result = subprocess.run(
        ["promtool", "check", "rules", str(path)], capture_output=True, check=False
    )
    assert result.returncode == 0, result.stderr.decode() + result.stdout.decode()


@pytest.mark.skipif(shutil.which("amtool") is None, reason="amtool not installed")
def test_amtool_accepts_the_routing(tmp_path: Path) -> None:
    path = tmp_path / "alertmanager.yml"
    path.write_text(dump(alertmanager_config("http://127.0.0.1:9095/alertmanager")))
    result = subprocess.run(["amtool", "check-config", str(path)], capture_output=True, check=False)
    assert result.returncode == 0, result.stderr.decode() + result.stdout.decode()
