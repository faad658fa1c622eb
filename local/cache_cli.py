"""`mediainfra cache purge | warm`: the edge cache, locally (Varnish) or in the cloud."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from local.layout import DEFAULT_ROOT, LocalLayout, StackState
from local.purge import CloudflarePurger, PurgeError, Purger, PurgeReport, VarnishPurger
from mediainfra.cli_support import settings_or_exit
from stacks.settings import Settings, load_stack

CLOUDFLARE_TOKEN_ENV = "CLOUDFLARE_API_TOKEN"
CLOUDFLARE_API_ENV = "MEDIAINFRA_CLOUDFLARE_API"
"""Override of the Cloudflare API base URL (tests point it at a local fake)."""

app = typer.Typer(add_completion=False, help="Purge and warm the edge cache.")


def _settings(stack: str) -> Settings:
    return settings_or_exit(lambda: load_stack(stack))


def _local_state(root: Path) -> StackState:
    state = StackState.load(LocalLayout(root))
    if state is None:
        typer.echo(f"error: no local stack under {root} (run `mediainfra local up`)", err=True)
        raise SystemExit(2)
    return state


def purger_for(settings: Settings, root: Path) -> tuple[Purger, str]:
    """Varnish for the local environment, Cloudflare otherwise; and the URL base."""
    if settings.environment == "local":
        state = _local_state(root)
        return VarnishPurger(state.edge_url, state.secrets.purge_token), ""
    token = os.environ.get(CLOUDFLARE_TOKEN_ENV, "")
    api = os.environ.get(CLOUDFLARE_API_ENV) or "https://api.cloudflare.com/client/v4"
    purger = CloudflarePurger(settings.delivery.cloudflare_zone_id, token, api_base=api)
    return purger, f"https://{settings.delivery.domain}"


@app.command()
def purge(
    url: Annotated[list[str] | None, typer.Option("--url", help="URL or path to purge.")] = None,
    prefix: Annotated[list[str] | None, typer.Option("--prefix", help="Path prefix.")] = None,
    tag: Annotated[list[str] | None, typer.Option("--tag", help="Cache tag (Cache-Tag).")] = None,
    stack: Annotated[str, typer.Option(help="Stack: local -> Varnish, else Cloudflare.")] = "local",
    root: Annotated[Path, typer.Option(help="Local stack state folder.")] = DEFAULT_ROOT,
) -> None:
    """Purge by URL (bulk: repeat --url), by prefix, or by tag."""
    chosen = [bool(url), bool(prefix), bool(tag)]
    if sum(chosen) != 1:
        typer.echo("error: give exactly one of --url, --prefix or --tag (repeatable)", err=True)
        raise SystemExit(2)
    settings = _settings(stack)
    try:
        purger, base = purger_for(settings, root)
        if url:
            urls = [u if "://" in u or not base else f"{base}{u}" for u in url]
            report = purger.purge_urls(urls)
        elif prefix:
            host = base.removeprefix("https://")
            report = purger.purge_prefixes([f"{host}{p}" if host else p for p in prefix])
        else:
            report = purger.purge_tags(tag or [])
    except PurgeError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise SystemExit(1) from None
    _print_report(report, stack)


def _print_report(report: PurgeReport, stack: str) -> None:
    purged = f", {report.purged} objects" if report.purged is not None else ""
    typer.echo(
        f"purged {len(report.items)} {report.kind}(s) on {stack} "
        f"in {report.requests} request(s){purged}"
    )


@app.command()
def warm(
    top: Annotated[int, typer.Option(min=1, help="How many of the most-requested paths.")] = 20,
    stack: Annotated[str, typer.Option(help="Stack: local -> Varnish, else Cloudflare.")] = "local",
    trending: Annotated[
        Path | None, typer.Option(help="A trending list (one path per line) instead of the log.")
    ] = None,
    edge_url: Annotated[
        str | None, typer.Option(help="Edge to warm through (default: the stack's).")
    ] = None,
    root: Annotated[Path, typer.Option(help="Local stack state folder.")] = DEFAULT_ROOT,
    off_peak_only: Annotated[
        bool,
        typer.Option(
            "--off-peak-only",
            help="Warm only inside schedules.cache_warm.off_peak (the scheduled run).",
        ),
    ] = False,
    now: Annotated[
        datetime | None,
        typer.Option(hidden=True, help="The clock for --off-peak-only (ISO 8601, naive = UTC)."),
    ] = None,
) -> None:
    """Fetch the most-requested objects through the edge; hit ratio before/after.

    Ranking: the trending list if given, else the local edge's access log, or Cloudflare's
    analytics (top paths of the zone, `CLOUDFLARE_API_TOKEN`) for a cloud stack. With
    `--off-peak-only` it does nothing (exit 0) outside the settings' off-peak window.
    """
    from local.service_specs import varnish_dir
    from local.warm import (
        AccessLogError,
        OffPeakError,
        access_log_paths,
        cloudflare_top_paths,
        off_peak,
        top_paths,
    )
    from local.warm import warm as warm_paths

    settings = _settings(stack)
    if off_peak_only:
        try:
            gate = off_peak(settings.schedules, now or datetime.now(UTC))
        except OffPeakError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise SystemExit(2) from None
        if not gate.inside:
            typer.echo(
                f"outside off-peak window ({gate.window}; now {gate.local_time}), nothing warmed"
            )
            return
    local = settings.environment == "local"
    base = edge_url or (
        _local_state(root).edge_url if local else f"https://{settings.delivery.domain}"
    )
    try:
        if trending:
            ranked = [line.strip() for line in trending.read_text().splitlines() if line.strip()]
        elif local:
            ranked = access_log_paths(varnish_dir(LocalLayout(root)))
        else:
            ranked = cloudflare_top_paths(
                settings.delivery.cloudflare_zone_id,
                os.environ.get(CLOUDFLARE_TOKEN_ENV, ""),
                top,
                api_base=os.environ.get(CLOUDFLARE_API_ENV)
                or "https://api.cloudflare.com/client/v4",
            )
    except (AccessLogError, OSError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise SystemExit(1) from None
    paths = top_paths(ranked, top)
    if not paths:
        typer.echo("nothing to warm: no requests ranked yet")
        return
    report = warm_paths(base, paths)
    table = Table(title=f"warmed the top {len(paths)} paths through {base}")
    for column in ("path", "before", "after"):
        table.add_column(column)
    for path in paths:
        table.add_row(path, report.before[path], report.after[path])
    console = Console()
    console.print(table)
    console.print(
        f"hit ratio of these paths: before {report.hit_ratio_before:.0f}%, "
        f"after {report.hit_ratio_after:.0f}%"
    )
