"""The dependency rules of GUIDE §1, checked on the real import graph in a fresh interpreter."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]

WORKER_ENTRY_POINTS = [
    "workers.runner",
    "workers.audio.job",
    "workers.audio.cli",
    "workers.images.job",
    "workers.images.cli",
    "workers.images.transform.app",
    "workers.scan.job",
    "workers.scan.cli",
    "workers.uploads.api",
    "workers.uploads.cli",
    "workers.dedup.cli",
    "workers.origin.cli",
    "local.cache_cli",  # the scheduled cache-warm task runs in the worker image
    "drills.cli",  # so does the scheduled restore drill
]


def imported_after(modules: list[str]) -> set[str]:
    script = (
        "import importlib, json, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO, check=False
    )
    assert run.returncode == 0, run.stderr
    return set(json.loads(run.stdout))


def top_level(names: set[str]) -> set[str]:
    return {name.split(".")[0] for name in names}


def test_workers_run_without_pulumi_or_the_provisioning_side() -> None:
    loaded = top_level(imported_after(WORKER_ENTRY_POINTS))
    forbidden = {"pulumi", "pulumi_aws", "pulumi_cloudflare", "pulumi_policy", "components"}
    forbidden |= {"policies", "loadtests"}
    assert not loaded & forbidden


def test_settings_import_nothing_of_ours_and_not_pulumi() -> None:
    loaded = top_level(imported_after(["stacks.settings"]))
    ours = {"components", "policies", "workers", "local", "loadtests", "drills", "analytics"}
    assert not loaded & (ours | {"pulumi"})


def test_black_box_harness_does_not_import_worker_internals() -> None:
    loaded = imported_after(["drills.cli", "loadtests.cli"])
    worker_modules = {name for name in loaded if name.startswith("workers.")}
    assert worker_modules <= {"workers.errors", "workers.jobs"}, worker_modules
