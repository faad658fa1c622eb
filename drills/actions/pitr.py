"""`drill pitr`: restore a bucket (or a prefix) in place to the point before the incident.

Locally (and by default in the cloud) the restore copies, for every key, the version that
was current at the point and deletes keys created after it. With `--via backup` in the cloud
it starts an AWS Backup restore job of the continuous recovery point instead.
"""

from __future__ import annotations

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
    restorer: Restorer | None = None,
) -> DrillReport:
    spec = DrillSpec(
        kind="pitr",
        bucket_role=bucket_role,
        prefix=prefix,
        incident=incident,
        writes=writes,
        seed_objects=seed_objects,
    )
    return run_drill(ctx, spec, restorer)
