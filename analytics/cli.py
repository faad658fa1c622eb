"""CLI verbs of the analytics package: `corpus`, `audit`, `analytics` and `cost`.

Thin wrappers: each parses options, calls one function of the package and prints the result.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

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


def cost(
    stack: Annotated[str, typer.Option(help="Stack whose tiers and price table to use.")],
    workload: Annotated[Path, typer.Option(help="Workload YAML (see workloads/).")] = Path(
        "workloads/prod.yaml"
    ),
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
    typer.echo(cost_report.render(stack, load, baseline, optimised, savings))
