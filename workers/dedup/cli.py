"""`mediainfra dedup`: bytes saved by content dedup, and garbage collection."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from stacks.settings import load_stack
from workers.dedup.gc import DEFAULT_GRACE_SECONDS, collect_garbage, dedup_stats
from workers.pipeline.clients import AwsClients

app = typer.Typer(add_completion=False, help="Content dedup: statistics and garbage collection.")

StackOption = Annotated[str, typer.Option(help="Stack settings to use.")]
EndpointOption = Annotated[
    str | None, typer.Option(help="AWS endpoint (moto locally); default AWS_ENDPOINT_URL.")
]


@app.command()
def stats(
    stack: StackOption = "local",
    endpoint_url: EndpointOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Distinct contents, references, stored bytes and bytes saved."""
    settings = load_stack(stack)
    clients = AwsClients.create(settings.region, endpoint_url)
    result = dedup_stats(clients.dynamodb, settings.resource_name("content-refs")).as_dict()
    if as_json:
        typer.echo(json.dumps(result, sort_keys=True))
        return
    table = Table(title=f"dedup ({settings.stack})")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for name, value in result.items():
        table.add_row(name.replace("_", " "), f"{value:,}")
    Console().print(table)


@app.command()
def gc(
    stack: StackOption = "local",
    endpoint_url: EndpointOption = None,
    grace_hours: Annotated[
        float, typer.Option(min=0, help="Keep unreferenced objects this long.")
    ] = DEFAULT_GRACE_SECONDS / 3600,
    dry_run: Annotated[bool, typer.Option(help="Report what would be deleted.")] = False,
) -> None:
    """Delete stored objects whose reference count has been 0 for the grace period."""
    settings = load_stack(stack)
    clients = AwsClients.create(settings.region, endpoint_url)
    report = collect_garbage(
        clients.s3,
        clients.dynamodb,
        settings.resource_name("content-refs"),
        grace_seconds=grace_hours * 3600,
        dry_run=dry_run,
    )
    verb = "would delete" if dry_run else "deleted"
    typer.echo(
        f"examined {report.examined}, {verb} {len(report.deleted)} "
        f"({report.bytes_freed:,} bytes), grace started for {len(report.started_grace)}, "
        f"skipped {report.skipped}"
    )
