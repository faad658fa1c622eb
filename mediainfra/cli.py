"""`mediainfra`: a thin dispatch table over the packages; no logic lives here.

Each entry names the module and attribute of a Typer app (or a plain function for a single
verb) that implements the verb. Only the module of the verb being run is imported, so
`mediainfra audio ...` on a worker image never imports Pulumi.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from collections.abc import Sequence

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
    "origin": ("workers.origin.cli", "app"),
    "local": ("local.cli", "app"),
    "cache": ("local.cache_cli", "app"),
    "load": ("loadtests.cli", "app"),
    "drill": ("drills.cli", "app"),
    "corpus": ("analytics.cli", "corpus_app"),
    "audit": ("analytics.cli", "audit_app"),
    "analytics": ("analytics.cli", "analytics_app"),
    "cost": ("analytics.cli", "cost"),
}
"""Verb -> (module, attribute): a typer.Typer, or a plain function for a single verb."""


def _installed(module_name: str) -> bool:
    try:
        return importlib.util.find_spec(module_name) is not None
    except ModuleNotFoundError:
        return False


def _add(app: typer.Typer, name: str) -> None:
    module_name, attribute = COMMANDS[name]
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.split(".")[0] == module_name.split(".")[0]:
            raise
        sys.exit(
            f"mediainfra {name}: needs {exc.name!r}, which is not installed here "
            '(the worker image has the core only; install ".[deploy,harness]")'
        )
    target = getattr(module, attribute)
    if isinstance(target, typer.Typer):
        app.add_typer(target, name=name)
    else:
        app.command(name=name)(target)


def _root() -> None:
    """media-infra: provision, run and verify the music platform's media storage."""


def build_app(argv: Sequence[str]) -> typer.Typer:
    """The app for this invocation: just the verb being run, or every verb for help."""
    app = typer.Typer(
        help="media-infra: provision, run and verify the music platform's media storage.",
        no_args_is_help=True,
        add_completion=False,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    app.callback()(_root)  # always a group, even when one plain-function verb is registered
    verb = next((arg for arg in argv if not arg.startswith("-")), None)
    names = [verb] if verb in COMMANDS else [n for n in COMMANDS if _installed(COMMANDS[n][0])]
    for name in names:
        _add(app, name)
    return app


def main() -> None:
    """Console-script entry point."""
    build_app(sys.argv[1:])(prog_name="mediainfra")
