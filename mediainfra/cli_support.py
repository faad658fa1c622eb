"""What the verbs' CLIs share: a settings problem ends a command as a usage error."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import typer

from stacks.settings import SettingsError

EXIT_USAGE = 2
T = TypeVar("T")


def settings_or_exit(load: Callable[[], T]) -> T:
    """`load()`, or print its SettingsError as `error: ...` and exit 2."""
    try:
        return load()
    except SettingsError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise SystemExit(EXIT_USAGE) from None
