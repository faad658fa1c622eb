"""`mediainfra image`: optimise an image, sign a transform URL path, run the transform service."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from mediainfra.cli_support import settings_or_exit
from stacks.settings import Settings, load_stack

app = typer.Typer(add_completion=False, help="Image optimisation and the signed transform service.")

StackOption = Annotated[str, typer.Option("--stack", help="Stack whose settings to use.")]


@app.command()
def optimize(
    src: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="Source image.")],
    out: Annotated[Path, typer.Option("--out", help="Directory for the variants.")],
    stack: StackOption = "local",
) -> None:
    """Write the optimised variants of SRC and manifest.json into --out."""
    from workers.images.errors import ImageError
    from workers.images.optimize import optimize as run

    settings = _settings(stack)
    try:
        manifest = run(src, out, settings.images)
    except ImageError as exc:
        typer.echo(f"error: {src}: {exc.reason}", err=True)
        raise SystemExit(2) from None
    for item in manifest.outputs:
        typer.echo(f"{item.name}\t{item.width}x{item.height}\t{item.bytes} bytes")
    typer.echo(f"{out / 'manifest.json'}")


@app.command()
def sign(
    path: Annotated[
        str, typer.Argument(help="'<options>/<source>', e.g. 'pr:thumb/plain/derivatives/a.jpg'.")
    ],
    key_id: Annotated[str, typer.Option("--key-id", help="Active signing key id.")],
    stack: StackOption = "local",
) -> None:
    """Print the signed URL path (/<signature>/<options>/<source>) for the transform service."""
    from workers.images.transform.signing import (
        SigningKeyError,
        keys_from_env,
        select_key,
        signed_url_path,
    )

    settings = _settings(stack)
    try:
        key = select_key(keys_from_env(settings, os.environ), key_id)
    except SigningKeyError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise SystemExit(2) from None
    typer.echo(signed_url_path(key, path))


@app.command()
def serve(
    port: Annotated[int, typer.Option("--port", help="Port on 127.0.0.1.")] = 8085,
    stack: StackOption = "local",
    endpoint_url: Annotated[
        str | None, typer.Option("--endpoint-url", help="S3 endpoint (e.g. the moto server).")
    ] = None,
) -> None:
    """Run the transform service with uvicorn on 127.0.0.1."""
    import boto3
    import uvicorn

    from workers.images.transform.app import create_app
    from workers.images.transform.signing import SigningKeyError, keys_from_env

    settings = _settings(stack)
    try:
        keys = keys_from_env(settings, os.environ)
    except SigningKeyError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise SystemExit(2) from None
    s3 = boto3.client("s3", endpoint_url=endpoint_url, region_name=settings.region)
    uvicorn.run(create_app(settings, s3=s3, keys=keys), host="127.0.0.1", port=port)


def _settings(stack: str) -> Settings:
    return settings_or_exit(lambda: load_stack(stack))
