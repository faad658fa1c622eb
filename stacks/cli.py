"""`mediainfra settings show|validate`: load a stack's settings and print them or the errors.

Either `--stack NAME` (reads `stacks/Pulumi.<NAME>.yaml`) or `--file PATH` (any stack file
with a `config:` block). Invalid settings print one line per problem — file, key path,
what was expected — to stderr and exit 1. (SystemExit, not typer.Exit: the dispatcher in
`mediainfra.cli` is a plain Click group that does not catch Typer's own exceptions.)
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
import yaml

from stacks.settings import Settings, SettingsError, load_file, stack_file

app = typer.Typer(
    add_completion=False, no_args_is_help=True, help="Show or validate a stack's settings."
)

StackOption = Annotated[
    str | None, typer.Option("--stack", "-s", help="Stack name: stacks/Pulumi.<NAME>.yaml.")
]
FileOption = Annotated[
    Path | None, typer.Option("--file", "-f", help="A stack file with a `config:` block.")
]


def _source(stack: str | None, file: Path | None) -> Path:
    if (stack is None) == (file is None):
        typer.echo("error: give exactly one of --stack NAME or --file PATH", err=True)
        raise SystemExit(2)
    return file if file is not None else stack_file(stack or "")


def _load(stack: str | None, file: Path | None) -> Settings:
    path = _source(stack, file)
    if not path.exists():
        typer.echo(f"{path}: no such stack file", err=True)
        raise SystemExit(1)
    try:
        return load_file(path)
    except SettingsError as exc:
        for key, message in exc.problems:
            typer.echo(f"{exc.source}: {key}: {message}", err=True)
        typer.echo(f"{exc.source}: {len(exc.problems)} problem(s)", err=True)
        raise SystemExit(1) from None


@app.command()
def show(
    stack: StackOption = None,
    file: FileOption = None,
    output: Annotated[
        str, typer.Option("--output", "-o", help="Output format: yaml or json.")
    ] = "yaml",
) -> None:
    """Print the validated settings, defaults filled in."""
    if output not in ("yaml", "json"):
        typer.echo("error: --output must be yaml or json", err=True)
        raise SystemExit(2)
    values = _load(stack, file).model_dump(mode="json")
    if output == "json":
        typer.echo(json.dumps(values, indent=2, sort_keys=True))
    else:
        typer.echo(yaml.safe_dump(values, sort_keys=True).rstrip())


@app.command()
def validate(stack: StackOption = None, file: FileOption = None) -> None:
    """Validate the settings: exit 0 when valid, else print every problem and exit 1."""
    settings = _load(stack, file)
    path = _source(stack, file)
    typer.echo(f"{path}: valid settings for stack {settings.stack!r} ({settings.environment})")
