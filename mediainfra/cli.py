"""`mediainfra`: a thin dispatch table over the packages; no logic lives here.

Each entry names the module and attribute of a Typer app (or Click command) that implements
the verb. Modules are imported only when their verb runs, so `mediainfra audio ...` on a
worker image never imports Pulumi.
"""

from __future__ import annotations

import importlib
import importlib.util

import click
import typer

COMMANDS: dict[str, tuple[str, str]] = {
    "policy": ("policies.cli", "app"),
    "preview": ("policies.cli", "preview"),
    "settings": ("stacks.cli", "app"),
    "audio": ("workers.audio.cli", "app"),
    "upload": ("workers.uploads.cli", "upload"),
    "uploads-api": ("workers.uploads.cli", "serve"),
    "scan": ("workers.scan.cli", "scan"),
    "image": ("workers.images.cli", "app"),
    "dedup": ("workers.dedup.cli", "app"),
    "worker": ("workers.runner", "app"),
    "local": ("local.cli", "app"),
    "cache": ("local.cache_cli", "app"),
    "load": ("loadtests.cli", "app"),
    "drill": ("drills.cli", "app"),
}
"""Verb -> (module, attribute): a typer.Typer, a plain function, or a click command."""


def _load(name: str) -> click.Command:
    module_name, attribute = COMMANDS[name]
    target = getattr(importlib.import_module(module_name), attribute)
    if isinstance(target, click.Command):
        return target
    if isinstance(target, typer.Typer):
        command = typer.main.get_command(target)
    else:
        wrapper = typer.Typer(add_completion=False)
        wrapper.command(name=name)(target)
        command = typer.main.get_command(wrapper)
    command.name = name
    return command


def _installed(module_name: str) -> bool:
    try:
        return importlib.util.find_spec(module_name) is not None
    except ModuleNotFoundError:
        return False


class LazyGroup(click.Group):
    """A Click group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(name for name, (module, _) in COMMANDS.items() if _installed(module))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        try:
            return _load(cmd_name)
        except ModuleNotFoundError as exc:
            raise click.ClickException(f"'{cmd_name}' is not available here: {exc}") from None


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """media-infra: provision, run and verify the music platform's media storage and delivery."""
