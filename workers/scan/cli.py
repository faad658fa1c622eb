"""`mediainfra scan FILE...`: scan files with clamd; exit 0 all clean, 1 infected, 2 not scanned."""

from __future__ import annotations

import tempfile
from contextlib import ExitStack
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from stacks.settings import load_stack
from workers.scan.clamd_client import ClamdClient
from workers.scan.clamd_server import ClamdServer, ClamdServerError
from workers.scan.verdicts import Clean, Infected, ScanFailed, Verdict

EXIT_CLEAN, EXIT_INFECTED, EXIT_UNSCANNED = 0, 1, 2


def exit_code(verdicts: list[Verdict]) -> int:
    """1 when anything is infected, else 2 when anything could not be scanned, else 0."""
    if any(isinstance(v, Infected) for v in verdicts):
        return EXIT_INFECTED
    if any(not isinstance(v, Clean) for v in verdicts) or not verdicts:
        return EXIT_UNSCANNED
    return EXIT_CLEAN


def scan(
    files: Annotated[list[Path], typer.Argument(help="Files to scan.")],
    clamd: Annotated[
        str | None,
        typer.Option(help="clamd address: HOST:PORT or a unix socket path (default: settings)."),
    ] = None,
    start_clamd: Annotated[
        bool, typer.Option(help="Run a private clamd with the bundled signatures meanwhile.")
    ] = False,
    stack: Annotated[str, typer.Option(help="Stack whose scan limits apply.")] = "local",
) -> None:
    """Scan files with clamd (INSTREAM). Exit 0 all clean, 1 something infected, 2 not scanned."""
    settings = load_stack(stack).scan
    console = Console()
    with ExitStack() as stack_:
        address = clamd
        if start_clamd:
            workdir = stack_.enter_context(tempfile.TemporaryDirectory(prefix="mediainfra-clamd-"))
            try:
                server = stack_.enter_context(
                    ClamdServer(workdir, max_bytes=settings.max_file_bytes)
                )
            except ClamdServerError as exc:
                console.print(f"[red]could not start clamd:[/red] {exc}")
                raise SystemExit(EXIT_UNSCANNED) from None
            address = str(server.address)
        client = ClamdClient.from_settings(settings, address)
        verdicts = [client.scan_file(path) for path in files]
    console.print(_table(files, verdicts))
    # SystemExit, not typer.Exit: the exit code must survive the click dispatcher.
    raise SystemExit(exit_code(verdicts))


def _table(files: list[Path], verdicts: list[Verdict]) -> Table:
    table = Table(title="clamd scan")
    table.add_column("file")
    table.add_column("verdict")
    table.add_column("detail")
    for path, verdict in zip(files, verdicts, strict=True):
        if isinstance(verdict, Clean):
            table.add_row(str(path), "[green]clean[/green]", f"{verdict.scanned_bytes} bytes")
        elif isinstance(verdict, Infected):
            table.add_row(str(path), "[red]infected[/red]", verdict.signature)
        else:
            assert isinstance(verdict, ScanFailed)
            table.add_row(str(path), "[yellow]not scanned[/yellow]", verdict.reason)
    return table
