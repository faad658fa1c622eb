"""`mediainfra policy check|config|list` and `mediainfra preview`: the offline policy check
and resource tree, no Pulumi CLI and no cloud credentials needed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from rich.tree import Tree

from policies.config import settings_config
from policies.offline import CheckReport, PolicyCrashed, check_stack, load_target, run_stack
from policies.pack import PolicyConfigError, all_policies, enforcement_level, load_config, merge
from stacks.engine import ResourceRecord
from stacks.settings import SettingsError

app = typer.Typer(add_completion=False, help="The CrossGuard policy pack, checked offline.")

StackOption = Annotated[
    str, typer.Option("--stack", "-s", help="Stack name (stacks/Pulumi.<stack>.yaml).")
]
SettingsOption = Annotated[
    Path | None,
    typer.Option(
        "--settings", help="A stack file to use instead of the stack's own (a PR's copy)."
    ),
]
ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--policy-config", help="Enforcement levels to use instead of policy-config.json."
    ),
]


def _target(stack: str, settings: Path | None) -> str | Path:
    return settings if settings is not None else stack


def _fail(console: Console, message: str, code: int = 2) -> SystemExit:
    """Print an error; the exit to raise (SystemExit: it crosses the outer click group)."""
    console.print(f"[red]error:[/red] {message}")
    return SystemExit(code)


def render_report(report: CheckReport, console: Console) -> None:
    """The violations as a table, then what was checked."""
    if report.violations:
        table = Table(title=f"Policy violations in stack {report.stack}")
        for column in ("policy", "level", "resource", "message"):
            table.add_column(column, overflow="fold")
        for v in sorted(report.violations, key=lambda v: (v.level.value != "mandatory", v.policy)):
            style = "red" if v.level.value == "mandatory" else "yellow"
            table.add_row(v.policy, f"[{style}]{v.level.value}[/{style}]", v.resource, v.message)
        console.print(table)
    console.print(
        f"Checked {len(report.policies)} policies over {report.resources} resources of stack "
        f"{report.stack}: {len(report.mandatory)} mandatory, {len(report.advisory)} advisory "
        "violations."
    )


@app.command()
def check(
    stack: StackOption = "prod", settings: SettingsOption = None, policy_config: ConfigOption = None
) -> None:
    """Run the program offline and every policy over it; exit 1 on a mandatory violation."""
    console = Console(width=200)
    try:
        report = check_stack(_target(stack, settings), policy_config=policy_config)
    except (SettingsError, PolicyConfigError, PolicyCrashed) as exc:
        raise _fail(console, str(exc)) from None
    render_report(report, console)
    if not report.passed:
        console.print("[red]FAILED[/red]: mandatory policy violations.")
        raise SystemExit(1)
    console.print("[green]PASSED[/green]")


@app.command("config")
def config_command(
    stack: StackOption = "prod",
    settings: SettingsOption = None,
    output: Annotated[Path | None, typer.Option("--output", "-o")] = None,
) -> None:
    """Print (or write) the --policy-pack-config JSON for a stack: levels + its settings."""
    try:
        loaded, _ = load_target(_target(stack, settings))
        text = json.dumps(merge(load_config(), settings_config(loaded)), indent=2) + "\n"
    except (SettingsError, PolicyConfigError) as exc:
        raise _fail(Console(stderr=True), str(exc)) from None
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text)


@app.command("list")
def list_policies() -> None:
    """Every policy of the pack with its enforcement level and description."""
    config = load_config()
    table = Table(title="media-infra policy pack")
    for column in ("policy", "kind", "level", "description"):
        table.add_column(column, overflow="fold")
    for policy in all_policies():
        kind = "stack" if type(policy).__name__.startswith("Stack") else "resource"
        table.add_row(
            policy.name, kind, enforcement_level(policy, config).value, policy.description
        )
    Console(width=200).print(table)


def resource_tree(stack: str, records: list[ResourceRecord]) -> Tree:
    """The records as a tree of `type name` nodes under their parents."""
    root = Tree(f"[bold]{stack}[/bold] ({len(records)} resources)")
    nodes: dict[str, Tree] = {}
    for record in records:
        parent = nodes.get(record.parent, root)
        style = "cyan" if not record.custom else "white"
        nodes[record.urn] = parent.add(f"[{style}]{record.type}[/{style}] {record.name}")
    return root


def preview(stack: StackOption = "prod", settings: SettingsOption = None) -> None:
    """Print the stack's resource tree (type, name, parent), computed offline."""
    console = Console(width=200)
    try:
        loaded, records = run_stack(_target(stack, settings))
    except SettingsError as exc:
        raise _fail(console, str(exc)) from None
    console.print(resource_tree(loaded.stack, records))
