"""`mediainfra local up | down | status | demo`: the embedded local stack."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from local.alert_receiver import read_alerts
from local.layout import DEFAULT_ROOT, LocalLayout
from local.moto_api import LocalApplyError
from local.services import ServiceStartError, Supervisor
from mediainfra.cli_support import settings_or_exit
from stacks.settings import load_stack

if TYPE_CHECKING:
    from local.stack import LocalStack

app = typer.Typer(add_completion=False, help="The embedded local stack on 127.0.0.1.")

StackOption = Annotated[str, typer.Option(help="Stack settings to run locally.")]
RootOption = Annotated[Path, typer.Option(help="State folder (pid files, logs, configs).")]
FreePortsOption = Annotated[
    bool, typer.Option(help="A new root binds free ports (next to a stack on the defaults).")
]


def _stack(stack: str, root: Path, free_ports: bool = False) -> LocalStack:
    from local.layout import LocalPorts, StackState
    from local.stack import LocalStack

    settings = settings_or_exit(lambda: load_stack(stack))
    fresh = free_ports and StackState.load(LocalLayout(root)) is None
    return LocalStack(settings, root=root, ports=LocalPorts.free() if fresh else None)


@app.command()
def up(
    stack: StackOption = "local",
    root: RootOption = DEFAULT_ROOT,
    free_ports: FreePortsOption = False,
) -> None:
    """Start every service and apply the stack's program to moto."""
    local_stack = _stack(stack, root, free_ports)
    try:
        local_stack.up()
    except (ServiceStartError, LocalApplyError) as exc:
        typer.echo(f"error: {exc}", err=True)
        typer.echo("stopping what was started (mediainfra local down)", err=True)
        local_stack.down()
        raise SystemExit(1) from None
    print_status(root)


@app.command()
def down(root: RootOption = DEFAULT_ROOT) -> None:
    """Stop everything `up` started (by pid file and process group), nothing else."""
    stopped = Supervisor(root).stop_all()
    typer.echo(f"stopped: {', '.join(stopped)}" if stopped else "nothing running")


@app.command()
def status(root: RootOption = DEFAULT_ROOT) -> None:
    """Each service with its address and health; resource types stood in for / not emulated."""
    print_status(root)


def print_status(root: Path, console: Console | None = None) -> None:
    from local.layout import StackState

    console = console or Console()
    state = StackState.load(LocalLayout(root))
    services = Table(title="local stack services")
    for column in ("service", "pid", "address", "health", "what"):
        services.add_column(column)
    for service in Supervisor(root).states():
        health = "healthy" if service.healthy else ("unhealthy" if service.alive else "stopped")
        services.add_row(
            service.name, str(service.pid), service.address, health, service.description
        )
    for name, reason in (state.unavailable if state else {}).items():
        services.add_row(name, "-", "-", "not available", reason)
    console.print(services)
    if state is None:
        return
    console.print(f"program applied by: {state.applied_by or '(not applied)'}")
    resources = Table(title="resource types moto cannot create")
    for column in ("status", "type", "how"):
        resources.add_column(column)
    for status_name in ("stood-in", "not-emulated"):
        for type_token, detail in sorted(state.summary.get(status_name, {}).items()):
            resources.add_row(status_name, type_token, detail)
    console.print(resources)
    emulated = state.summary.get("emulated", {})
    if emulated:
        console.print(f"created in moto: {', '.join(sorted(t.split(':')[-1] for t in emulated))}")
    received = read_alerts(LocalLayout(root).alerts_file)
    firing = [a for a in received if a.get("status") == "firing"]
    console.print(f"alerts received: {len(received)} ({len(firing)} firing notifications)")
    for alert in received[-5:]:
        console.print(f"  {alert['source']}: {alert['name']} {alert['severity']} {alert['status']}")


@app.command()
def demo(
    stack: StackOption = "local",
    root: RootOption = DEFAULT_ROOT,
    sla: Annotated[
        bool, typer.Option(help="End with an SLA load run and a PITR drill (the scorecard).")
    ] = True,
    duration: Annotated[str, typer.Option(help="Length of the SLA load run, e.g. 60s.")] = "60s",
    free_ports: FreePortsOption = False,
) -> None:
    """Bring the stack up, ingest sample media, print URLs; then the SLA scorecard.

    Exits 0 when every sample reached its end state and every SLA held, 1 when a sample
    did not, 3 when an SLA failed (as `mediainfra load` does).
    """
    from loadtests.sla import EXIT_SLA_FAILED
    from local.demo import run_demo
    from local.scorecard import run_scorecard

    local_stack = _stack(stack, root, free_ports)
    try:
        local_stack.up()
    except (ServiceStartError, LocalApplyError) as exc:
        typer.echo(f"error: {exc}", err=True)
        local_stack.down()
        raise SystemExit(1) from None
    console = Console()
    result = run_demo(local_stack, console)
    if not sla:
        raise SystemExit(0 if result.ok else 1)
    scorecard = run_scorecard(
        local_stack.settings,
        local_stack.layout,
        console,
        duration=duration,
        malicious=result.malicious_outcome(),
    )
    if not result.ok:
        raise SystemExit(1)
    raise SystemExit(0 if scorecard.passed else EXIT_SLA_FAILED)
