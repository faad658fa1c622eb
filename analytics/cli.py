"""CLI verbs of the analytics package: `corpus`, `audit`, `analytics` and `cost`.

Thin wrappers: each parses options, calls one function of the package and prints the result.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

corpus_app = typer.Typer(help="The reference corpus (masters, stems, covers, plays).")
audit_app = typer.Typer(help="Access-log audit: who accessed what, deletes, anomalies.")
analytics_app = typer.Typer(help="Storage analytics: usage, cost breakdown, forecast.")


@corpus_app.callback()
def _corpus() -> None:
    """The reference corpus (masters, stems, covers, plays)."""


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code=1)


@corpus_app.command("generate")
def corpus_generate(
    out: Annotated[Path, typer.Option(help="Folder to write the corpus into.")],
    size: Annotated[str, typer.Option(help="SMALL or MEDIUM.")] = "SMALL",
    seed: Annotated[int, typer.Option(help="Seed: same seed, same bytes.")] = 7,
) -> None:
    """Generate the reference corpus (real audio via ffmpeg, numpy covers, Zipf plays)."""
    from analytics.corpus import generate

    try:
        corpus = generate(size, out, seed=seed)
    except ValueError as exc:
        raise _fail(str(exc)) from None
    total = sum(f.bytes for f in corpus.files)
    typer.echo(
        f"{corpus.size}: {len(corpus.files)} files, {total / 1e6:.1f} MB, "
        f"{corpus.plays} plays over {corpus.days} days -> {out}"
    )


WORKLOADS = Path(__file__).resolve().parent.parent / "workloads"


def cost(
    stack: Annotated[str, typer.Option(help="Stack whose tiers and price table to use.")],
    workload: Annotated[Path, typer.Option(help="Workload YAML (see workloads/).")] = WORKLOADS
    / "prod.yaml",
) -> None:
    """Monthly cost of a stack for a workload, with and without each optimisation."""
    from analytics import cost_model, cost_report
    from analytics.workload import WorkloadError, load_workload
    from stacks.settings import SettingsError, load_stack

    try:
        settings = load_stack(stack)
        load = load_workload(workload)
        baseline = cost_model.estimate(load, settings, cost_model.NONE)
        optimised = cost_model.estimate(load, settings, cost_model.ALL)
        savings = cost_model.savings(load, settings)
    except (SettingsError, WorkloadError, KeyError) as exc:
        raise _fail(str(exc)) from None
    typer.echo(f"workload: {workload}")
    typer.echo(cost_report.render(stack, load, baseline, optimised, savings))


@audit_app.callback()
def _audit() -> None:
    """Access-log audit: who accessed what, deletes, policy changes, anomalies."""


def _local_endpoint(stack: str, root: Path | None = None) -> str:
    from local.layout import DEFAULT_ROOT, LocalLayout, StackState

    state = StackState.load(LocalLayout(root or DEFAULT_ROOT))
    if state is None or state.stack != stack:
        raise _fail(f"no running local stack {stack!r}: start it with `mediainfra local up`")
    return state.endpoint


def _s3_client(settings: Any, endpoint: str | None, local_root: Path | None) -> Any:
    """An S3 client for the stack: the local stack's moto server, else AWS (or `endpoint`)."""
    import boto3

    local = settings.environment == "local"
    url = endpoint or (_local_endpoint(settings.stack, local_root) if local else None)
    key = "testing" if url else None  # moto's credentials; AWS: the default chain
    return boto3.client(
        "s3",
        endpoint_url=url,
        region_name=settings.region,
        aws_access_key_id=key,
        aws_secret_access_key=key,
    )


@audit_app.command("report")
def audit_report(
    stack: Annotated[str, typer.Option(help="Stack whose logs bucket to read.")] = "local",
    logs: Annotated[Path | None, typer.Option(help="Read log files from this folder.")] = None,
    bucket: Annotated[str | None, typer.Option(help="Logs bucket (default: the stack's).")] = None,
    prefix: Annotated[str, typer.Option(help="Key prefix of the log objects.")] = "access-logs/",
    cloudtrail: Annotated[
        str | None,
        typer.Option(
            help="CloudTrail log files: a folder or s3://bucket/prefix. Default when reading "
            "the logs bucket: its cloudtrail/ prefix."
        ),
    ] = None,
    access_logs: Annotated[
        bool, typer.Option(help="Read S3 server access logs (--no-access-logs: CloudTrail only).")
    ] = True,
    endpoint: Annotated[str | None, typer.Option(help="S3 endpoint URL.")] = None,
    local_root: Annotated[Path | None, typer.Option(help="Local stack state folder.")] = None,
    window_seconds: Annotated[int, typer.Option(help="Detector window.")] = 3600,
    min_downloads: Annotated[int, typer.Option(help="Downloads in a window to alert.")] = 20,
    min_deletes: Annotated[int, typer.Option(help="Deletes in a run to alert.")] = 25,
    known: Annotated[list[str] | None, typer.Option(help="A known principal.")] = None,
    parquet: Annotated[Path | None, typer.Option(help="Also write the records here.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Audit S3 server access logs and CloudTrail: who accessed what, deletes, policy changes,
    anomalies, and the records and malformed input of each source."""
    import json

    from botocore.exceptions import BotoCoreError, ClientError

    from analytics import audit_report as reports
    from analytics import log_sources
    from analytics.access_log import ParseResult
    from analytics.cloudtrail import TRAIL_PREFIX
    from analytics.detectors import AuditThresholds
    from stacks.settings import BucketRole, SettingsError, load_stack

    thresholds = AuditThresholds(
        window_seconds=window_seconds, min_downloads=min_downloads, min_deletes=min_deletes
    )
    if not access_logs and not cloudtrail:
        raise _fail("nothing to audit: --no-access-logs needs --cloudtrail")
    sizes = None
    parsed, trail = ParseResult(), ParseResult()
    try:
        from_bucket = logs is None and access_logs
        needs_s3 = from_bucket or (cloudtrail or "").startswith(log_sources.S3_SCHEME)
        s3 = None
        if needs_s3:
            settings = load_stack(stack)
            s3 = _s3_client(settings, endpoint, local_root)
        if logs is not None and access_logs:
            parsed = log_sources.read_dir(logs)
        elif from_bucket:
            logs_bucket = bucket or settings.bucket_name(BucketRole.LOGS)
            parsed = log_sources.read_bucket(s3, logs_bucket, prefix)
            cloudtrail = cloudtrail or f"s3://{logs_bucket}/{TRAIL_PREFIX}"
            media = [settings.bucket_name(r) for r in BucketRole if r is not BucketRole.LOGS]
            sizes = log_sources.inventory(s3, media)
        if cloudtrail:
            trail = log_sources.read_cloudtrail(cloudtrail, s3)
        report = reports.audit(
            log_sources.combine(parsed, trail),
            thresholds,
            known or (),
            sizes,
            str(parquet) if parquet else None,
        )
    except (FileNotFoundError, SettingsError, ValueError) as exc:
        raise _fail(str(exc)) from None
    except (ClientError, BotoCoreError) as exc:
        raise _fail(f"reading the logs: {exc}") from None
    if as_json:
        typer.echo(json.dumps(report.to_json(), indent=1, default=str))
    else:
        typer.echo(reports.render_text(report))


@analytics_app.callback()
def _analytics() -> None:
    """Storage analytics: usage, cost breakdown, forecast."""


@analytics_app.command("report")
def analytics_report(
    out: Annotated[Path, typer.Option(help="Folder for index.html, summary.json, Grafana.")],
    corpus: Annotated[Path | None, typer.Option(help="Analyse a generated corpus.")] = None,
    stack: Annotated[str, typer.Option(help="Stack (settings, prices, buckets).")] = "local",
    endpoint: Annotated[str | None, typer.Option(help="S3 endpoint URL.")] = None,
    horizon_days: Annotated[int, typer.Option(help="Forecast horizon.")] = 30,
) -> None:
    """Usage by bucket/prefix/user, cost by bucket and class, growth forecast: HTML + Grafana."""
    from analytics import dashboard, inventory
    from analytics.corpus import load
    from analytics.storage_classes import UnpricedStorageClassError
    from stacks.settings import BucketRole, SettingsError, load_stack

    try:
        settings = load_stack(stack)
        if corpus is not None:
            objects = inventory.from_corpus(load(corpus), settings)
            source = f"corpus {corpus}"
        else:
            s3 = _s3_client(settings, endpoint, None)
            objects = inventory.from_s3(s3, [settings.bucket_name(r) for r in BucketRole])
            source = f"stack {stack}"
        summary = dashboard.summarise(objects, settings, source, horizon_days)
        paths = dashboard.write_report(summary, settings, out)
    except (FileNotFoundError, SettingsError, UnpricedStorageClassError, ValueError) as exc:
        raise _fail(str(exc)) from None
    typer.echo(
        f"{summary.objects} objects, {summary.total_gib:.3f} GiB, "
        f"${summary.storage_usd_month:.4f}/month; wrote " + ", ".join(str(p) for p in paths)
    )
