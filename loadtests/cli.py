"""`mediainfra load`: run the Locust SLA harness against a stack; `load compare` two results.

`mediainfra load --stack local --duration 60s` reads the local stack's addresses (its state
file), seeds a synthetic catalogue into the derivatives bucket when it has none, runs
`locust -f loadtests --headless` as a subprocess against the edge, prints the scorecard and
exits with Locust's code: 0 when every SLA holds, 3 when one failed.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from drills.endpoints import LOCAL_STATE_FILE, StackEndpoints, client, resolve_endpoints
from drills.errors import DrillError
from loadtests.catalogue import seed_catalogue
from loadtests.compare import compare as compare_results
from loadtests.compare import regressions, render
from loadtests.report import load_result
from stacks.settings import Settings, SettingsError, load_stack

PACKAGE_DIR = Path(__file__).resolve().parent
DEFAULT_REPORTS = Path("reports/load")
EXIT_REGRESSION, EXIT_TARGET = 1, 2

app = typer.Typer(
    add_completion=False,
    invoke_without_command=True,
    help="Locust SLA harness: run against a stack (default) or `compare` two results.",
)


def locust_command(
    host: str,
    users: int,
    duration: str,
    shape: str,
    stack: str,
    report_dir: Path,
    catalogue: Path | None,
    endpoints: StackEndpoints,
    sla: str,
    hls_pace: float,
    user_classes: list[str],
) -> list[str]:
    """The argv of the Locust run (secrets go in the environment, not here)."""
    argv = [
        sys.executable, "-m", "locust", "-f", str(PACKAGE_DIR), "--headless",
        "--host", host, "-u", str(users), "-r", str(users), "--run-time", duration,
        "--stack", stack, "--load-shape", shape, "--report-dir", str(report_dir),
        "--hls-pace", str(hls_pace), "--only-summary",
    ]  # fmt: skip
    if catalogue:
        argv += ["--catalogue", str(catalogue)]
    if endpoints.uploads:
        argv += ["--uploads-url", endpoints.uploads]
    if endpoints.aws:
        argv += ["--aws-endpoint", endpoints.aws]
    if sla:
        argv += ["--sla", sla]
    return argv + user_classes


def _prepare_catalogue(settings: Settings, endpoints: StackEndpoints, folder: Path) -> Path:
    s3 = client("s3", settings, endpoints.aws)
    catalogue = seed_catalogue(s3, settings.bucket_name("derivatives"))
    return catalogue.dump(folder / "catalogue.json")


@app.callback()
def run(
    ctx: typer.Context,
    stack: Annotated[
        str, typer.Option(help="Stack to load (its settings give the SLAs).")
    ] = "local",
    duration: Annotated[str, typer.Option(help="Run time, e.g. 60s, 5m.")] = "60s",
    users: Annotated[int, typer.Option(help="Peak simulated users.")] = 10,
    shape: Annotated[str, typer.Option(help="steady, ramp or spike.")] = "steady",
    host: Annotated[str | None, typer.Option(help="Edge URL (default: the stack's).")] = None,
    endpoint_url: Annotated[str | None, typer.Option(help="AWS endpoint override.")] = None,
    catalogue: Annotated[Path | None, typer.Option(help="Catalogue JSON (default: seed).")] = None,
    sla: Annotated[str, typer.Option(help="Extra/overriding SLA expressions, ';'-separated.")] = "",
    hls_pace: Annotated[float, typer.Option(help="HLS segment pacing (1.0 = real time).")] = 1.0,
    reports_dir: Annotated[
        Path, typer.Option(help="Reports folder (one run per subfolder).")
    ] = DEFAULT_REPORTS,
    state_file: Annotated[Path, typer.Option(help="Local stack state file.")] = LOCAL_STATE_FILE,
    user_class: Annotated[list[str] | None, typer.Option(help="Only these User classes.")] = None,
) -> None:
    """Run the SLA load test against the stack and print the scorecard."""
    if ctx.invoked_subcommand is not None:
        return
    try:
        settings = load_stack(stack)
        endpoints = resolve_endpoints(settings, endpoint_url, state_file)
    except (SettingsError, DrillError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise SystemExit(EXIT_TARGET) from None
    target = host or endpoints.edge
    if not target:
        typer.echo("error: no edge URL: pass --host for a cloud stack", err=True)
        raise SystemExit(EXIT_TARGET)
    report_dir = reports_dir / datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    if catalogue is None:
        catalogue = _prepare_catalogue(settings, endpoints, report_dir)
    argv = locust_command(
        target, users, duration, shape, stack, report_dir, catalogue, endpoints, sla,
        hls_pace, user_class or [],
    )  # fmt: skip
    env = dict(os.environ)
    if endpoints.upload_token_secret:
        env["LOCUST_UPLOAD_TOKEN_SECRET"] = endpoints.upload_token_secret
    typer.echo(f"locust against {target} for {duration} with {users} users ({shape})")
    completed = subprocess.run(argv, env=env, check=False)  # noqa: S603 - our own argv
    typer.echo(f"report: {report_dir / 'report.html'}")
    raise SystemExit(completed.returncode)


@app.command()
def compare(
    base: Annotated[Path, typer.Argument(help="Baseline loadtest.json.")],
    new: Annotated[Path, typer.Argument(help="New loadtest.json.")],
    tolerance: Annotated[float, typer.Option(help="Allowed relative worsening.")] = 0.2,
) -> None:
    """Flag measurements of NEW worse than BASE beyond the tolerance (exit 1 if any)."""
    try:
        changes = compare_results(load_result(base), load_result(new))
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise SystemExit(EXIT_TARGET) from None
    typer.echo(render(changes, tolerance))
    flagged = regressions(changes, tolerance)
    if flagged:
        typer.echo(f"{len(flagged)} regression(s) beyond {tolerance:.0%}", err=True)
        raise SystemExit(EXIT_REGRESSION)
