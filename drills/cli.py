"""`mediainfra drill pitr|full|partial|history`: restore drills with measured RTO/RPO.

Exit codes: 0 restored, verified and within the RTO/RPO targets; 1 the restore did not verify
(an object missing or different); 2 the target cannot be used (stack not running, bucket
not versioned, bad option); 3 restored and verified but RTO or RPO missed its target.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from drills.endpoints import LOCAL_STATE_FILE, client, resolve_endpoints
from drills.errors import DrillError, RestoreVerificationError
from drills.incidents import IncidentKind
from drills.report import DrillReport, read_history
from drills.restorers import AwsBackupRestorer, BackupTarget, Restorer
from drills.runner import DrillContext
from stacks.settings import SettingsError, load_stack

EXIT_FAILED, EXIT_TARGET, EXIT_SLA = 1, 2, 3
DEFAULT_REPORTS = Path("reports/drills")

app = typer.Typer(add_completion=False, help="Restore drills: PITR, full and partial restores.")

Stack = Annotated[str, typer.Option(help="Stack whose settings and buckets to use.")]
Bucket = Annotated[str, typer.Option("--bucket", help="Bucket role (masters, derivatives, ...).")]
Prefix = Annotated[str, typer.Option(help="Only objects under this key prefix.")]
Endpoint = Annotated[
    str | None, typer.Option(help="AWS endpoint (default: the local stack's moto, or AWS).")
]
Incident = Annotated[IncidentKind, typer.Option(help="What to simulate before restoring.")]
Writes = Annotated[bool, typer.Option(help="Keep writing to the bucket during the drill.")]
Seed = Annotated[int, typer.Option(help="Seed the prefix up to this many objects.")]
Cleanup = Annotated[bool, typer.Option(help="Delete the restored bucket once verified.")]
DryRun = Annotated[bool, typer.Option("--dry-run", help="Read only: show what would happen.")]
Reports = Annotated[Path, typer.Option(help="Folder of reports and history.jsonl.")]
StateFile = Annotated[Path, typer.Option(help="Local stack state (ports) to read.")]


@app.callback()
def main(
    ctx: typer.Context,
    dry_run: DryRun = False,
    reports_dir: Reports = DEFAULT_REPORTS,
    state_file: StateFile = LOCAL_STATE_FILE,
) -> None:
    """Global options (before the verb): --dry-run, --reports-dir, --state-file."""
    ctx.obj = {"dry_run": dry_run, "reports_dir": reports_dir, "state_file": state_file}


def _context(ctx: typer.Context, stack: str, endpoint_url: str | None, dry_run: bool):  # type: ignore[no-untyped-def]
    options = ctx.obj or {}
    try:
        settings = load_stack(stack)
        endpoints = resolve_endpoints(
            settings, endpoint_url, options.get("state_file", LOCAL_STATE_FILE)
        )
    except (SettingsError, DrillError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise SystemExit(EXIT_TARGET) from None
    return DrillContext(
        settings=settings,
        s3=client("s3", settings, endpoints.aws),
        reports_dir=options.get("reports_dir", DEFAULT_REPORTS),
        dry_run=dry_run or options.get("dry_run", False),
        echo=typer.echo,
    )


def _finish(run) -> None:  # type: ignore[no-untyped-def]
    """Run an action, print its scorecard, exit with the drill's code."""
    try:
        report: DrillReport = run()
    except RestoreVerificationError as exc:
        typer.echo(f"FAILED: {exc}", err=True)
        if exc.report_path:
            typer.echo(f"report: {exc.report_path}", err=True)
        raise SystemExit(EXIT_FAILED) from None
    except DrillError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise SystemExit(EXIT_TARGET) from None
    print_scorecard(report)
    if report.status == "sla-missed":
        raise SystemExit(EXIT_SLA)


def print_scorecard(report: DrillReport, console: Console | None = None) -> None:
    console = console or Console()
    table = Table(title=f"drill {report.drill_id} ({report.kind}): {report.status}")
    for column in ("measure", "target", "measured", "result"):
        table.add_column(column)

    def seconds(value: float | None) -> str:
        return "-" if value is None else f"{value:.2f} s"

    table.add_row(
        "RTO",
        seconds(report.rto_target_seconds),
        seconds(report.rto_seconds),
        "pass" if report.rto_met else "FAIL",
    )
    table.add_row(
        "RPO",
        seconds(report.rpo_target_seconds),
        seconds(report.rpo_seconds),
        "pass" if report.rpo_met else "FAIL",
    )
    table.add_row(
        "objects verified (sha256)",
        str(report.manifest_objects),
        str(report.verified),
        "pass" if report.restored else "FAIL",
    )
    console.print(table)


def _backup_restorer(
    drill, via: str, vault: str | None, role_arn: str | None, account: str | None
) -> Restorer | None:  # type: ignore[no-untyped-def]
    if via == "versions":
        return None
    if drill.settings.environment == "local":
        raise DrillError("--via backup needs AWS Backup, which the local stack does not have")
    if not (vault and role_arn and account):
        raise DrillError("--via backup needs --vault, --role-arn and --account")
    backup = client("backup", drill.settings, None)
    return AwsBackupRestorer(backup, BackupTarget(vault, role_arn, account))


@app.command()
def pitr(
    ctx: typer.Context,
    stack: Stack = "local",
    bucket: Bucket = "masters",
    prefix: Prefix = "",
    endpoint_url: Endpoint = None,
    incident: Incident = IncidentKind.MIXED,
    writes: Writes = False,
    seed: Seed = 20,
    via: Annotated[str, typer.Option(help="versions (S3 object versions) or backup.")] = "versions",
    vault: Annotated[str | None, typer.Option(help="AWS Backup vault (--via backup).")] = None,
    role_arn: Annotated[str | None, typer.Option(help="Restore role (--via backup).")] = None,
    account: Annotated[str | None, typer.Option(help="AWS account (--via backup).")] = None,
    dry_run: DryRun = False,
) -> None:
    """Restore a bucket or prefix in place to the point before a simulated incident."""
    from drills.actions import pitr as action

    drill = _context(ctx, stack, endpoint_url, dry_run)

    def run() -> DrillReport:
        restorer = _backup_restorer(drill, via, vault, role_arn, account)
        return action.run(drill, bucket, prefix, incident, writes, seed, restorer)

    _finish(run)


@app.command()
def full(
    ctx: typer.Context,
    stack: Stack = "local",
    bucket: Bucket = "masters",
    endpoint_url: Endpoint = None,
    incident: Incident = IncidentKind.WIPE,
    writes: Writes = False,
    seed: Seed = 20,
    cleanup: Cleanup = False,
    dry_run: DryRun = False,
) -> None:
    """Restore a whole bucket into a new bucket and verify every object."""
    from drills.actions import full as action

    drill = _context(ctx, stack, endpoint_url, dry_run)
    _finish(lambda: action.run(drill, bucket, incident, writes, seed, cleanup))


@app.command()
def partial(
    ctx: typer.Context,
    prefix: Prefix,
    stack: Stack = "local",
    bucket: Bucket = "masters",
    endpoint_url: Endpoint = None,
    incident: Incident = IncidentKind.MIXED,
    writes: Writes = False,
    seed: Seed = 20,
    cleanup: Cleanup = False,
    dry_run: DryRun = False,
) -> None:
    """Restore one prefix into a new bucket and verify every object under it."""
    from drills.actions import partial as action

    drill = _context(ctx, stack, endpoint_url, dry_run)
    _finish(lambda: action.run(drill, bucket, prefix, incident, writes, seed, cleanup))


@app.command()
def history(ctx: typer.Context) -> None:
    """The drills recorded in the reports folder, oldest first."""
    reports_dir = (ctx.obj or {}).get("reports_dir", DEFAULT_REPORTS)
    table = Table(title=f"drill history ({reports_dir})")
    for column in ("drill", "kind", "status", "RTO s", "RPO s", "verified"):
        table.add_column(column)
    for entry in read_history(reports_dir):
        table.add_row(
            entry["drill_id"],
            entry["kind"],
            entry["status"],
            f"{entry['rto_seconds'] or 0:.2f}",
            f"{entry['rpo_seconds'] or 0:.2f}",
            f"{entry['verified']}/{entry['manifest_objects']}",
        )
    Console().print(table)
