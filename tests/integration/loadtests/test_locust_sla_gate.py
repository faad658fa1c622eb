"""Short headless Locust runs of the package against a static edge on 127.0.0.1.

The one wall-clock threshold here is the designed SLA gate: loose thresholds pass (exit 0),
a threshold tightened past the value the first run measured fails with the distinct code 3.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from loadtests.sla import EXIT_SLA_FAILED
from mediainfra.cli import build_app

pytestmark = pytest.mark.integration

PACKAGE = Path(__file__).resolve().parents[3] / "loadtests"
DELIVERY_USERS = ["EdgeDownloadUser", "FirstByteUser", "HlsListenerUser"]
LOOSE = "p95 first_byte < 5s; rate failures < 50%; avg download > 0.001MB/s; hit_ratio >= 1%"


def _locust(edge, report_dir: Path, *extra: str, region: str = "local"):  # type: ignore[no-untyped-def]
    argv = [
        sys.executable, "-m", "locust", "-f", str(PACKAGE), "--headless", "--host", edge.url,
        "-u", "3", "-r", "3", "--run-time", "6s", "--catalogue", str(edge.catalogue_file),
        "--hls-pace", "0.05", "--report-dir", str(report_dir), "--only-summary",
        "--region", region, *extra, *DELIVERY_USERS,
    ]  # fmt: skip
    return subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)


def test_cli_run_passes_loose_slas_and_tightened_threshold_exits_3(
    static_edge, moto_endpoint: str, tmp_path: Path
):  # type: ignore[no-untyped-def]
    argv = [
        "load", "--stack", "local", "--host", static_edge.url, "--endpoint-url", moto_endpoint,
        "--state-file", str(tmp_path / "no-state.json"), "--catalogue",
        str(static_edge.catalogue_file), "--duration", "6s", "--users", "3", "--hls-pace", "0.05",
        "--reports-dir", str(tmp_path / "runs"), "--sla", LOOSE,
        *[arg for name in DELIVERY_USERS for arg in ("--user-class", name)],
    ]  # fmt: skip
    result = CliRunner().invoke(build_app(argv), argv)
    assert result.exit_code == 0, result.output
    (run_dir,) = (tmp_path / "runs").iterdir()
    document = json.loads((run_dir / "loadtest.json").read_text())
    assert document["passed"] is True
    measured = document["measurements"]
    assert measured["value requests"] > 0 and measured["rate failures"] == 0.0
    assert 0 < measured["value hit_ratio"] <= 100  # the edge answers MISS first, then HIT
    assert measured["value hls_segment_count"] > 0 and measured["value range_count"] > 0
    html = (run_dir / "report.html").read_text()
    assert html.count("<svg") == 3 and "PASSED" in html

    tightened = measured["p95 first_byte"] / 2
    tight = f"{LOOSE}; p95 first_byte < {tightened}ms"
    failed = _locust(static_edge, tmp_path / "tight", "--sla", tight)
    assert failed.returncode == EXIT_SLA_FAILED, failed.stderr[-2000:]
    assert f"SLA FAILED: p95 first_byte < {tightened}ms" in failed.stdout
    scorecard = json.loads((tmp_path / "tight" / "loadtest.json").read_text())["scorecard"]
    row = next(r for r in scorecard if r["measurement"] == "p95 first_byte")
    assert row["result"] == "FAIL" and row["value"] > row["target"]


def test_bad_sla_expression_stops_the_run_with_a_clear_error(static_edge, tmp_path: Path):  # type: ignore[no-untyped-def]
    result = _locust(static_edge, tmp_path, "--sla", "p95 first_byte == 3ms")
    assert result.returncode != 0
    assert "bad SLA threshold" in result.stderr


def test_distributed_run_breaks_down_by_region(static_edge, tmp_path: Path):  # type: ignore[no-untyped-def]
    """A master and two workers labelled with different regions (custom reports merged)."""
    port = _free_port()
    common = ["-f", str(PACKAGE), "--catalogue", str(static_edge.catalogue_file),
              "--hls-pace", "0.05"]  # fmt: skip
    master = subprocess.Popen(
        [sys.executable, "-m", "locust", *common, "--master", "--headless", "--expect-workers",
         "2", "--master-bind-host", "127.0.0.1", "--master-bind-port", str(port),
         "--host", static_edge.url, "-u", "4", "-r", "4", "--run-time", "6s",
         "--report-dir", str(tmp_path), "--sla", LOOSE, "--only-summary", *DELIVERY_USERS],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    workers = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "locust",
                *common,
                "--worker",
                "--master-host",
                "127.0.0.1",
                "--master-port",
                str(port),
                "--region",
                region,
                *DELIVERY_USERS,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for region in ("us-east-1", "eu-west-1")
    ]
    try:
        out, err = master.communicate(timeout=120)
    finally:
        for worker in workers:
            worker.wait(timeout=60)
    assert master.returncode == 0, err[-2000:]
    document = json.loads((tmp_path / "loadtest.json").read_text())
    assert set(document["regions"]) == {"us-east-1", "eu-west-1"}
    for measurements in document["regions"].values():
        assert measurements["value requests"] > 0
    total = sum(m["value requests"] for m in document["regions"].values())
    assert document["measurements"]["value requests"] == total
    assert "region us-east-1" in out


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
