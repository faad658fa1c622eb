"""Options -> thresholds (stack defaults, per-SLA options, expressions) and the Locust argv."""

from __future__ import annotations

from argparse import Namespace
from pathlib import Path

from drills.endpoints import StackEndpoints
from loadtests.cli import locust_command
from loadtests.options import thresholds_from
from stacks.settings import SlaSettings


def _by_key(options: Namespace) -> dict[str, float]:
    return {t.key: t.value for t in thresholds_from(options, SlaSettings())}


def test_defaults_then_options_then_expressions():
    assert _by_key(Namespace(sla=""))["p95 first_byte"] == 200.0
    assert _by_key(Namespace(sla="", sla_first_byte_p95_ms=150.0))["p95 first_byte"] == 150.0
    both = Namespace(sla="p95 first_byte < 90ms; p99 range < 1s", sla_first_byte_p95_ms=150.0)
    thresholds = _by_key(both)
    assert thresholds["p95 first_byte"] == 90.0 and thresholds["p99 range"] == 1000.0
    assert _by_key(Namespace(sla="", sla_queue_wait_p95_seconds=2.0))["p95 queue_wait"] == 2000.0


def test_locust_argv_runs_the_package_headless_without_secrets():
    endpoints = StackEndpoints(
        aws="http://127.0.0.1:4566", edge="http://127.0.0.1:6081",
        uploads="http://127.0.0.1:8070", upload_token_secret="s3cr3t",
    )  # fmt: skip
    argv = locust_command(
        "http://127.0.0.1:6081", 5, "30s", "spike", "local", Path("out"), Path("c.json"),
        endpoints, "p95 first_byte < 1ms", 0.5, ["EdgeDownloadUser"],
    )  # fmt: skip
    assert argv[1:5] == ["-m", "locust", "-f", str(Path("loadtests").resolve())]
    assert "--headless" in argv and argv[argv.index("--load-shape") + 1] == "spike"
    assert argv[argv.index("--uploads-url") + 1] == "http://127.0.0.1:8070"
    assert argv[argv.index("--sla") + 1] == "p95 first_byte < 1ms"
    assert argv[-1] == "EdgeDownloadUser"
    assert "s3cr3t" not in " ".join(argv)
