"""`drill full`: restore a whole bucket, as of the point before the incident, into a new bucket."""

from __future__ import annotations

from drills.incidents import IncidentKind
from drills.report import DrillReport
from drills.restorers import Restorer
from drills.runner import DrillContext, DrillSpec, run_drill


def run(
    ctx: DrillContext,
    bucket_role: str,
    incident: IncidentKind,
    writes: bool,
    seed_objects: int,
    cleanup: bool,
    restorer: Restorer | None = None,
) -> DrillReport:
    spec = DrillSpec(
        kind="full",
        bucket_role=bucket_role,
        incident=incident,
        writes=writes,
        seed_objects=seed_objects,
        new_bucket=True,
        cleanup=cleanup,
    )
    return run_drill(ctx, spec, restorer)
