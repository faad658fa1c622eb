"""`mediainfra upload FILE --endpoint URL --token T` and `mediainfra uploads-api` (serve)."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer

from mediainfra.cli_support import settings_or_exit
from stacks.settings import load_file, load_stack
from workers.pipeline.roles import UploadRole
from workers.uploads.client import UploadClientError, upload_file
from workers.uploads.throttle import parse_rate


def upload(
    file: Annotated[Path, typer.Argument(help="The file to upload.")],
    endpoint: Annotated[
        str, typer.Option(envvar="MEDIAINFRA_UPLOADS_ENDPOINT", help="Uploads API base URL.")
    ],
    token: Annotated[
        str, typer.Option(envvar="MEDIAINFRA_UPLOAD_TOKEN", help="Bearer token of the user.")
    ],
    parallel: Annotated[int, typer.Option(min=1, max=64, help="Parts sent at once.")] = 4,
    limit_rate: Annotated[
        str | None, typer.Option(help="Bandwidth cap, e.g. 500K, 20M (bytes per second).")
    ] = None,
    state_dir: Annotated[
        Path | None, typer.Option(help="Where resume state is kept (default: XDG state dir).")
    ] = None,
    no_progress: Annotated[bool, typer.Option("--no-progress", help="No progress bar.")] = False,
    json_output: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    role: Annotated[
        UploadRole | None,
        typer.Option(
            case_sensitive=False,
            help="What the file is: routes it to audio (track), the stems bucket as FLAC "
            "(stem) or the image worker (cover). Default: cover for images, else track.",
        ),
    ] = None,
) -> None:
    """Upload FILE through the uploads API; run it again after an interruption to resume."""
    try:
        rate = parse_rate(limit_rate) if limit_rate else None
        result = upload_file(
            file,
            endpoint=endpoint,
            token=token,
            parallel=parallel,
            progress=not no_progress,
            state_dir=state_dir,
            limit_rate=rate,
            role=role,
        )
    except (UploadClientError, OSError, ValueError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise SystemExit(1) from None
    if json_output:
        typer.echo(json.dumps({**asdict(result), "bytes_per_second": result.bytes_per_second}))
        return
    resumed = f", {result.parts_resumed} already stored" if result.parts_resumed else ""
    typer.echo(
        f"uploaded {result.key} as {result.role} ({result.size} bytes, "
        f"{result.parts_sent} parts sent{resumed}, {result.bytes_per_second / 1024**2:.1f} MiB/s)"
    )


def serve(
    stack: Annotated[str, typer.Option(help="Stack whose settings the API serves.")] = "local",
    stack_file: Annotated[
        Path | None, typer.Option(help="A stack file to load instead of --stack.")
    ] = None,
    host: Annotated[str, typer.Option(help="Listen address.")] = "127.0.0.1",
    port: Annotated[
        int | None, typer.Option(help="Listen port (default: the stack's uploads.port).")
    ] = None,
    issue_token: Annotated[
        str | None,
        typer.Option(help="Print a bearer token for this user id and exit (needs the secret)."),
    ] = None,
) -> None:
    """Run the uploads API with uvicorn (AWS endpoint and credentials from the environment)."""
    import uvicorn

    from workers.uploads.api import TokenSecretMissingError, app_from_env
    from workers.uploads.tokens import InvalidUserIdError
    from workers.uploads.tokens import issue_token as make_token

    settings = settings_or_exit(lambda: load_file(stack_file) if stack_file else load_stack(stack))
    secret = os.environ.get(settings.uploads.token_secret_env, "")
    if issue_token is not None:
        if not secret:
            typer.echo(f"error: set {settings.uploads.token_secret_env}", err=True)
            raise SystemExit(2)
        try:
            typer.echo(make_token(secret.encode(), issue_token, settings.uploads.token_ttl_seconds))
        except InvalidUserIdError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise SystemExit(2) from None
        return
    try:
        app = app_from_env(os.environ, settings=settings)
    except TokenSecretMissingError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise SystemExit(2) from None
    port = port or settings.uploads.port
    print(f"uploads API for stack {settings.stack} on http://{host}:{port}", file=sys.stderr)
    uvicorn.run(app, host=host, port=port, log_level="info")
