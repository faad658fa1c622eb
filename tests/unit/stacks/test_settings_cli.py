"""`mediainfra settings show|validate`, through the real dispatcher in a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml

from stacks.settings import stack_file


def mediainfra(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from mediainfra.cli import main; main()", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def test_validate_stack() -> None:
    result = mediainfra("settings", "validate", "--stack", "prod")
    assert result.returncode == 0, result.stderr
    assert "valid settings for stack 'prod' (prod)" in result.stdout


def test_show_json_has_defaults_filled_in() -> None:
    result = mediainfra("settings", "show", "--stack", "local", "--output", "json")
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert shown["stack"] == "local"
    assert shown["storage"]["buckets"]["masters"]["noncurrent_expire_days"] == 30
    assert shown["backup"]["daily_schedule"] == "cron(0 3 ? * * *)"


def test_show_yaml() -> None:
    result = mediainfra("settings", "show", "--file", str(stack_file("dev")))
    assert result.returncode == 0, result.stderr
    assert yaml.safe_load(result.stdout)["environment"] == "dev"


def test_invalid_file_prints_each_problem_and_exits_1(tmp_path: Path) -> None:
    document = yaml.safe_load(stack_file("prod").read_text())
    document["config"]["media-infra:storage"]["colour"] = "blue"
    document["config"]["media-infra:backup"]["daily_schedule"] = "at three"
    path = tmp_path / "Pulumi.broken.yaml"
    path.write_text(yaml.safe_dump(document))
    for verb in ("validate", "show"):
        result = mediainfra("settings", verb, "--file", str(path))
        assert result.returncode == 1
        assert result.stdout == ""
        lines = result.stderr.splitlines()
        assert f"{path}: storage.colour: unknown key" in lines
        assert any(line.startswith(f"{path}: backup.daily_schedule: ") for line in lines)
        assert lines[-1] == f"{path}: 2 problem(s)"
        assert "Traceback" not in result.stderr


def test_needs_exactly_one_source() -> None:
    assert mediainfra("settings", "validate").returncode == 2
    both = mediainfra("settings", "validate", "--stack", "prod", "--file", "x.yaml")
    assert both.returncode == 2
    assert "exactly one of --stack" in both.stderr


def test_unknown_stack() -> None:
    result = mediainfra("settings", "validate", "--stack", "nope")
    assert result.returncode == 1
    assert "Pulumi.nope.yaml: no such stack file" in result.stderr
