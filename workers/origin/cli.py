"""`mediainfra origin serve | sign`: run the delivery origin, or sign a premium URL.

The signing key is a secret in the environment (`MEDIAINFRA_ORIGIN_SIGNING_KEY`); the
settings and the watermark key of per-user copies are resolved like the workers' (`--stack`,
else `$MEDIAINFRA_SETTINGS`, and `$MEDIAINFRA_AUDIO_WATERMARK_KEY`: `workers.runner`); AWS
endpoint and credentials come from boto3's usual environment (`AWS_ENDPOINT_URL` for moto).
"""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from mediainfra.cli_support import settings_or_exit
from stacks.settings import load_stack
from workers.origin.signing import sign_path

SIGNING_KEY_ENV = "MEDIAINFRA_ORIGIN_SIGNING_KEY"
DEFAULT_PORT = 8081

app = typer.Typer(add_completion=False, help="The delivery origin (derivatives from S3).")


def _signing_key() -> bytes:
    key = os.environ.get(SIGNING_KEY_ENV, "")
    if not key:
        typer.echo(f"error: set {SIGNING_KEY_ENV} to the URL signing key", err=True)
        raise SystemExit(2)
    return key.encode()


@app.command()
def serve(
    stack: Annotated[
        str | None,
        typer.Option(help="Stack whose settings the origin serves (default: as the workers)."),
    ] = None,
    host: Annotated[str, typer.Option(help="Listen address.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Listen port.")] = DEFAULT_PORT,
    bucket: Annotated[
        str | None, typer.Option(help="Bucket to serve (default: the stack's derivatives).")
    ] = None,
) -> None:
    """Serve derivatives over HTTP with uvicorn."""
    import boto3
    import uvicorn
    from botocore.config import Config

    from workers.origin.app import create_app
    from workers.runner import resolve_settings

    settings = settings_or_exit(lambda: resolve_settings(stack, os.environ))
    session = boto3.session.Session(region_name=settings.region)
    s3 = session.client(
        "s3",
        endpoint_url=os.environ.get("AWS_ENDPOINT_URL") or None,
        config=Config(max_pool_connections=32, retries={"max_attempts": 3, "mode": "standard"}),
    )
    application = create_app(settings, s3=s3, signing_key=_signing_key(), bucket=bucket)
    print(f"origin for {application.state.bucket} on http://{host}:{port}", file=sys.stderr)
    uvicorn.run(application, host=host, port=port, log_level="warning")


@app.command()
def sign(
    path: Annotated[str, typer.Argument(help="URL path to sign, e.g. /premium/x/flac.flac")],
    stack: Annotated[str, typer.Option(help="Stack whose signed URL TTL applies.")] = "local",
    ttl: Annotated[
        int | None, typer.Option(min=1, help="Seconds valid (default: settings).")
    ] = None,
    user: Annotated[
        str | None,
        typer.Option(help="User the URL is issued to (premium audio: their watermarked copy)."),
    ] = None,
) -> None:
    """Print `path?exp=...[&user=...]&sig=...` for premium content."""
    settings = load_stack(stack)
    seconds = ttl or settings.delivery.signed_url_ttl_seconds
    try:
        typer.echo(sign_path(_signing_key(), path, seconds, user=user))
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise SystemExit(2) from None


if __name__ == "__main__":
    app()
