"""`mediainfra worker`: run the SQS consumer loop of one job kind.

The registry is explicit: kind -> how to import its handler (lazily, so a scan worker never
imports the audio or image stacks). The loop itself is `workers.pipeline.consumer`.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import signal
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Any

import typer

from stacks.settings import JobKind, Settings, load_stack
from workers.jobs import JobHandler
from workers.pipeline.clients import AwsClients
from workers.pipeline.consumer import HandlerSpec, QueueConsumer


def lazy_handler(module: str, attribute: str = "handle") -> Callable[[], JobHandler]:
    """A loader that imports `module.attribute` when the first job arrives."""

    def load() -> JobHandler:
        handler: JobHandler = getattr(importlib.import_module(module), attribute)
        return handler

    return load


SETTINGS_ENV = "MEDIAINFRA_SETTINGS"
WATERMARK_KEY_ENV = "MEDIAINFRA_AUDIO_WATERMARK_KEY"
"""Where a worker container receives its stack settings (JSON), see components/fargate.py."""

REGISTRY: MappingProxyType[str, HandlerSpec] = MappingProxyType(
    {
        JobKind.SCAN.value: HandlerSpec(
            lazy_handler("workers.scan.job"), quarantine_when_exhausted=True
        ),
        JobKind.AUDIO.value: HandlerSpec(lazy_handler("workers.audio.job")),
        JobKind.IMAGE.value: HandlerSpec(lazy_handler("workers.images.job")),
    }
)
"""Job kind -> handler spec. Handlers follow `workers.jobs.JobHandler`."""


def with_clamd(settings: Settings, address: str | None) -> Settings:
    """Settings whose scanner talks to `address` (unchanged when None)."""
    if not address:
        return settings
    scan = settings.scan.model_copy(update={"clamd_address": address})
    return settings.model_copy(update={"scan": scan})


def build_consumer(
    settings: Settings,
    kind: JobKind | str,
    *,
    clients: AwsClients | None = None,
    endpoint_url: str | None = None,
    **options: Any,
) -> QueueConsumer:
    """A consumer for `kind` with the registered handler."""
    clients = clients or AwsClients.create(settings.region, endpoint_url)
    return QueueConsumer(settings, clients, kind, REGISTRY[JobKind(kind).value], **options)


def resolve_settings(stack: str | None, environ: Mapping[str, str]) -> Settings:
    """`--stack` wins; else the JSON settings the container gets in `$MEDIAINFRA_SETTINGS`.

    Secrets never travel in that JSON: the watermark key arrives on its own, from Secrets
    Manager, in `$MEDIAINFRA_AUDIO_WATERMARK_KEY`, and replaces the settings' default.
    """
    if stack is None and environ.get(SETTINGS_ENV):
        settings = Settings.from_mapping(
            json.loads(environ[SETTINGS_ENV]), source=f"${SETTINGS_ENV}"
        )
    else:
        settings = load_stack(stack or "local")
    key = environ.get(WATERMARK_KEY_ENV)
    if key:
        audio = settings.audio.model_copy(update={"watermark_key": key})
        settings = settings.model_copy(update={"audio": audio})
    return settings


app = typer.Typer(add_completion=False, help="Run job workers (SQS consumer loops).")


@app.command()
def run(
    kind: Annotated[JobKind, typer.Option(help="Job kind (queue) to consume.")],
    stack: Annotated[
        str | None,
        typer.Option(help=f"Stack file to use (default: ${SETTINGS_ENV} JSON, else 'local')."),
    ] = None,
    once: Annotated[bool, typer.Option(help="Stop when the queue is empty.")] = False,
    endpoint_url: Annotated[
        str | None, typer.Option(help="AWS endpoint (moto locally); default AWS_ENDPOINT_URL.")
    ] = None,
    clamd: Annotated[
        str | None, typer.Option(help="clamd address (HOST:PORT or socket path) for scan jobs.")
    ] = None,
    wait_seconds: Annotated[int, typer.Option(min=0, max=20, help="SQS long-poll seconds.")] = 20,
    backoff_seconds: Annotated[
        float | None, typer.Option(min=0, help="First retry delay (default from settings).")
    ] = None,
    scratch: Annotated[Path | None, typer.Option(help="Parent folder of job scratch dirs.")] = None,
) -> None:
    """Consume the queue of one job kind until SIGTERM/SIGINT (or empty, with --once)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    settings = with_clamd(resolve_settings(stack, os.environ), clamd)
    consumer = build_consumer(
        settings,
        kind,
        endpoint_url=endpoint_url,
        wait_seconds=wait_seconds,
        backoff_seconds=backoff_seconds,
        scratch_root=scratch,
    )
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    counts = consumer.run(once=once, stop=stop)
    typer.echo(" ".join(f"{name}={count}" for name, count in sorted(counts.items())) or "idle")


@app.command("kinds")
def kinds() -> None:
    """List the registered job kinds and their handlers' modules."""
    for kind in REGISTRY:
        typer.echo(kind)
