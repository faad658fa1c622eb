"""The committed Grafana dashboard is the generated one, and every query is valid PromQL."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from local.grafana import dashboard, render
from local.layout import REPO_ROOT
from stacks.settings import Settings

COMMITTED = REPO_ROOT / "monitoring" / "grafana" / "media-infra.json"


def test_committed_dashboard_is_up_to_date(local_settings: Settings) -> None:
    assert COMMITTED.read_text() == render(local_settings), (
        "regenerate: python -m local.grafana local > monitoring/grafana/media-infra.json"
    )


def test_thresholds_come_from_the_settings(local_settings: Settings) -> None:
    panels = {p["title"]: p for p in dashboard(local_settings)["panels"]}
    age = panels["Queue backlog age"]["fieldConfig"]["defaults"]["thresholds"]["steps"]
    assert age[-1]["value"] == local_settings.alerts.queue_age_seconds
    hit = panels["Edge hit ratio"]["fieldConfig"]["defaults"]["thresholds"]["steps"]
    assert hit[-1]["value"] == local_settings.slas.cache_hit_percent


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool not installed")
def test_every_query_is_valid_promql(local_settings: Settings, tmp_path: Path) -> None:
    exprs = [t["expr"] for p in dashboard(local_settings)["panels"] for t in p["targets"]]
    rules = {"groups": [{"name": "g", "rules": [
        {"record": f"dashboard:query{i}", "expr": e} for i, e in enumerate(exprs)
    ]}]}  # fmt: skip
    path = tmp_path / "queries.yml"
    path.write_text(yaml.safe_dump(rules))
    result = subprocess.run(
        ["promtool", "check", "rules", str(path)], capture_output=True, check=False
    )
    assert result.returncode == 0, result.stdout.decode() + result.stderr.decode()
    assert json.loads(COMMITTED.read_text())["uid"] == "media-infra-local"
