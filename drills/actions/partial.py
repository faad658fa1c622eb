"""`drill partial`: restore one prefix, as of the point before the incident, into a new bucket."""

from __future__ import annotations

from drills.errors import DrillError
from drills.incidents import IncidentKind
from drills.report import DrillReport
from drills.restorers import Restorer
from drills.runner import DrillContext, DrillSpec, run_drill


def run(
    ctx: DrillContext,
    bucket_role: str,
    prefix: str,
    incident: IncidentKind,
    writes: bool,
    seed_objects: int,
    cleanup: bool,
    restorer: Restorer | None = None,
) -> DrillReport:
    if not prefix:
        raise DrillError("a partial restore needs --prefix (use `drill full` for a whole bucket)")
    spec = DrillSpec(
        kind="partial",
        bucket_role=bucket_role,
        prefix=prefix,
        incident=incident,
        writes=writes,
        seed_objects=seed_objects,
        new_bucket=True,
        cleanup=cleanup,
    )
    return run_drill(ctx, spec, restorer)
