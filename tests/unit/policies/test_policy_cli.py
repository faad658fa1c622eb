"""`mediainfra policy ...` and `mediainfra preview` as a user runs them."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from rich.console import Console
from typer.testing import CliRunner

from policies.cli import app, resource_tree
from policies.offline import run_stack
from policies.pack import all_policies
from stacks.settings import stack_file

runner = CliRunner()


REPO_ROOT = Path(__file__).resolve().parents[3]


def _mediainfra(*args: str) -> subprocess.CompletedProcess[str]:
    """The console script, importing this checkout (wherever the editable install points)."""
    executable = shutil.which("mediainfra")
    if executable is None:
        pytest.skip("the mediainfra console script is not installed")
    path = os.pathsep.join(p for p in (str(REPO_ROOT), os.environ.get("PYTHONPATH")) if p)
    return subprocess.run(
        [executable, *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        env={**os.environ, "PYTHONPATH": path},
    )


def test_preview_prints_every_component_and_its_children() -> None:
    done = _mediainfra("preview", "--stack", "prod")
    assert done.returncode == 0, done.stderr[-2000:]
    for line in (
        "media-infra:storage:MediaStorage storage",
        "aws:s3/bucket:Bucket storage-masters",
        "media-infra:processing:MediaProcessing processing",
        "aws:sqs/queue:Queue processing-scan-dlq",
        "media-infra:backup:MediaBackup backup",
        "aws:backup/plan:Plan backup-plan",
        "media-infra:delivery:MediaDelivery delivery",
        "cloudflare:index/ruleset:Ruleset delivery-cache-rules",
        "media-infra:monitoring:MediaMonitoring monitoring",
        "media-infra:audit:MediaAudit audit",
    ):
        assert line in done.stdout, line


def test_check_exit_codes_through_the_console_script(tmp_path: Path) -> None:
    done = _mediainfra("policy", "check", "--stack", "prod")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    checked = re.search(r"Checked (\d+) policies over (\d+) resources of stack prod", done.stdout)
    assert checked and int(checked[1]) >= 20 and int(checked[2]) > 100, done.stdout[-2000:]
    assert "PASSED" in done.stdout

    document = yaml.safe_load(stack_file("prod").read_text())
    document["config"]["media-infra:backup"]["daily_retention_days"] = 7
    edited = tmp_path / "Pulumi.prod.yaml"
    edited.write_text(yaml.safe_dump(document))
    done = _mediainfra("policy", "check", "--stack", "prod", "--settings", str(edited))
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-2000:]
    assert re.search(r"backup-retention-minimum\s*│\s*mandatory\s*│\s*backup-plan", done.stdout)


def test_resource_tree_nests_children_under_their_component() -> None:
    settings, records = run_stack("local")
    console = Console(width=200, record=True)
    console.print(resource_tree(settings.stack, records))
    lines = console.export_text().splitlines()
    storage = next(i for i, line in enumerate(lines) if "MediaStorage storage" in line)
    bucket = next(i for i, line in enumerate(lines) if "Bucket storage-masters" in line)
    indent = lambda line: len(line) - len(line.lstrip("│ ├└─"))  # noqa: E731
    assert bucket > storage and indent(lines[bucket]) > indent(lines[storage])
    assert f"({len(records)} resources)" in lines[0]


def test_policy_config_prints_levels_and_stack_properties() -> None:
    result = runner.invoke(app, ["config", "--stack", "prod"])
    assert result.exit_code == 0, result.output
    config = json.loads(result.output)
    assert set(config) == {p.name for p in all_policies()}
    cache = config["cloudflare-cache-ttls-match-settings"]
    assert cache["enforcementLevel"] == "mandatory"
    assert cache["cacheRules"]["hls-playlists"] == {"edgeTtlSeconds": 10, "browserTtlSeconds": 5}


def test_policy_list_names_every_policy() -> None:
    result = runner.invoke(app, ["list"])
    assert result.exit_code == 0
    for policy in all_policies():
        assert policy.name in result.output


def test_unknown_stack_is_a_clear_error() -> None:
    result = runner.invoke(app, ["check", "--stack", "nope"])
    assert result.exit_code == 2
    assert "Pulumi.nope.yaml" in result.output
