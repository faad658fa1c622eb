"""How a restore is carried out: an interface, restoring from object versions (local and
cloud alike), and the AWS Backup path the cloud uses for PITR/full restores.

`VersionRestorer` copies the version current at the point (server-side copy) into the
same bucket (in place) or a new one. `AwsBackupRestorer` starts an AWS Backup restore job
of the S3 recovery point taken at or before the point (continuous backups give one per
second within the retention window); moto has no AWS Backup, so only the request it builds
is tested.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from drills.errors import DrillError
from drills.versions import RestorePlan, plan_at


@dataclass(frozen=True)
class RestoreRequest:
    """Bring `bucket`/`prefix` back to `point`, into `target_bucket` (same bucket: in place)."""

    bucket: str
    prefix: str
    point: datetime
    target_bucket: str

    @property
    def in_place(self) -> bool:
        return self.target_bucket == self.bucket


@dataclass(frozen=True)
class RestoreOutcome:
    """What a restorer did: the plan it followed (None for a backup job) and its counts."""

    plan: RestorePlan | None
    copied: int
    deleted: int
    job_id: str | None = None


class Restorer(Protocol):
    """One way of restoring; `plan` reads only, `restore` writes."""

    def plan(self, request: RestoreRequest) -> RestorePlan | None: ...

    def restore(self, request: RestoreRequest) -> RestoreOutcome: ...


class VersionRestorer:
    """Restore from S3 object versions with server-side copies."""

    def __init__(self, s3: Any) -> None:
        self.s3 = s3

    def plan(self, request: RestoreRequest) -> RestorePlan:
        return plan_at(self.s3, request.bucket, request.prefix, request.point)

    def restore(self, request: RestoreRequest) -> RestoreOutcome:
        plan = self.plan(request)
        copies = plan.copies() if request.in_place else plan.present()
        for key in copies:
            source = {"Bucket": request.bucket, "Key": key.key, "VersionId": key.version_id}
            self.s3.copy(source, request.target_bucket, key.key)
        deletes = plan.deletes() if request.in_place else []
        for key in deletes:
            self.s3.delete_object(Bucket=request.bucket, Key=key.key)
        return RestoreOutcome(plan=plan, copied=len(copies), deleted=len(deletes))


@dataclass(frozen=True)
class BackupTarget:
    """What AWS Backup needs: the vault, the role it restores with, the bucket's ARN."""

    vault_name: str
    iam_role_arn: str
    account_id: str


class AwsBackupRestorer:
    """Restore through AWS Backup: pick the recovery point, start the job, wait for it."""

    def __init__(self, backup: Any, target: BackupTarget, poll_s: float = 15.0) -> None:
        self.backup = backup
        self.target = target
        self.poll_s = poll_s

    def recovery_point(self, bucket: str, point: datetime) -> str:
        """The newest recovery point of the bucket created at or before `point`."""
        resource_arn = f"arn:aws:s3:::{bucket}"
        points = self.backup.list_recovery_points_by_resource(ResourceArn=resource_arn)
        eligible = [
            p
            for p in points.get("RecoveryPoints", [])
            if p["CreationDate"] <= point and p.get("Status") in (None, "COMPLETED")
        ]
        if not eligible:
            raise DrillError(f"no recovery point of {resource_arn} at or before {point}")
        return str(max(eligible, key=lambda p: p["CreationDate"])["RecoveryPointArn"])

    def build_request(self, request: RestoreRequest, recovery_point_arn: str) -> dict[str, Any]:
        """The `backup.start_restore_job` arguments for an S3 restore."""
        metadata = {
            "DestinationBucketName": request.target_bucket,
            "NewBucket": "false" if request.in_place else "true",
            "Encrypted": "true",
            "EncryptionType": "SSE-S3",
            "CreationToken": f"drill-{request.point.strftime('%Y%m%dT%H%M%S')}",
        }
        if request.prefix:
            metadata["ItemsToRestore"] = json.dumps([f"s3://{request.bucket}/{request.prefix}"])
        return {
            "RecoveryPointArn": recovery_point_arn,
            "IamRoleArn": self.target.iam_role_arn,
            "ResourceType": "S3",
            "IdempotencyToken": metadata["CreationToken"],
            "Metadata": metadata,
        }

    def plan(self, request: RestoreRequest) -> None:
        return None

    def restore(self, request: RestoreRequest) -> RestoreOutcome:
        arn = self.recovery_point(request.bucket, request.point)
        job_id = self.backup.start_restore_job(**self.build_request(request, arn))["RestoreJobId"]
        while True:
            job = self.backup.describe_restore_job(RestoreJobId=job_id)
            status = job["Status"]
            if status == "COMPLETED":
                return RestoreOutcome(plan=None, copied=0, deleted=0, job_id=job_id)
            if status in ("ABORTED", "FAILED"):
                raise DrillError(
                    f"AWS Backup restore job {job_id} {status}: {job.get('StatusMessage', '')}"
                )
            time.sleep(self.poll_s)
