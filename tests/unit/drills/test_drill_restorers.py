"""The AWS Backup restore request, built but never sent (moto has no AWS Backup)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from drills.errors import DrillError
from drills.restorers import AwsBackupRestorer, BackupTarget, RestoreRequest
from drills.runner import restore_bucket_name

POINT = datetime(2026, 3, 1, 4, 5, 6, tzinfo=UTC)
TARGET = BackupTarget("media-vault", "arn:aws:iam::123456789012:role/restore", "123456789012")


class _Backup:
    """Stands in for the boto3 backup client: answers recovery points, records calls."""

    def __init__(self, points: list[dict]) -> None:  # type: ignore[type-arg]
        self.points = points
        self.calls: list[dict] = []  # type: ignore[type-arg]

    def list_recovery_points_by_resource(self, ResourceArn: str) -> dict:  # type: ignore[type-arg]
        self.calls.append({"ResourceArn": ResourceArn})
        return {"RecoveryPoints": self.points}


def test_new_bucket_restore_of_a_prefix():
    restorer = AwsBackupRestorer(_Backup([]), TARGET)
    request = RestoreRequest("media-masters-prod", "album/", POINT, "media-masters-prod-r1")
    built = restorer.build_request(request, "arn:aws:backup:eu-west-1:1:recovery-point:x")
    assert built["RecoveryPointArn"] == "arn:aws:backup:eu-west-1:1:recovery-point:x"
    assert built["IamRoleArn"] == TARGET.iam_role_arn and built["ResourceType"] == "S3"
    metadata = built["Metadata"]
    assert metadata["DestinationBucketName"] == "media-masters-prod-r1"
    assert metadata["NewBucket"] == "true"
    assert json.loads(metadata["ItemsToRestore"]) == ["s3://media-masters-prod/album/"]
    assert all(isinstance(v, str) for v in metadata.values())
    assert built["IdempotencyToken"] == metadata["CreationToken"]


def test_in_place_restore_of_a_bucket():
    restorer = AwsBackupRestorer(_Backup([]), TARGET)
    request = RestoreRequest("b", "", POINT, "b")
    metadata = restorer.build_request(request, "arn")["Metadata"]
    assert metadata["NewBucket"] == "false" and "ItemsToRestore" not in metadata


def test_recovery_point_is_the_newest_at_or_before_the_point():
    points = [
        {"RecoveryPointArn": "old", "CreationDate": POINT.replace(hour=1), "Status": "COMPLETED"},
        {"RecoveryPointArn": "best", "CreationDate": POINT, "Status": "COMPLETED"},
        {"RecoveryPointArn": "later", "CreationDate": POINT.replace(hour=5)},
    ]
    backup = _Backup(points)
    assert AwsBackupRestorer(backup, TARGET).recovery_point("b", POINT) == "best"
    assert backup.calls == [{"ResourceArn": "arn:aws:s3:::b"}]


def test_no_recovery_point_is_an_error():
    with pytest.raises(DrillError, match="no recovery point"):
        AwsBackupRestorer(_Backup([]), TARGET).recovery_point("b", POINT)


def test_restore_bucket_name_fits_s3_limits():
    name = restore_bucket_name("x" * 70, POINT)
    assert len(name) <= 63 and name.endswith("-r260301040506")
