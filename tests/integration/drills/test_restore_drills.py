"""Restore drills against a real moto server: every object verified, or the drill fails."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from drills.errors import RestoreVerificationError, VersioningDisabledError
from drills.incidents import IncidentKind
from drills.report import read_history
from drills.runner import DrillContext, DrillSpec, run_drill

pytestmark = pytest.mark.integration


def _contents(s3, bucket: str, prefix: str = "") -> dict[str, bytes]:  # type: ignore[no-untyped-def]
    listing = s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])
    return {o["Key"]: s3.get_object(Bucket=bucket, Key=o["Key"])["Body"].read() for o in listing}


def test_pitr_after_deletes_and_overwrites_restores_every_object(drill_context: DrillContext):
    s3 = drill_context.s3
    bucket = drill_context.settings.bucket_name("masters")
    spec = DrillSpec(kind="pitr", prefix="tracks/", seed_objects=12, seed_bytes=2048, random_seed=1)
    s3.put_object(Bucket=bucket, Key="tracks/extra.bin", Body=b"before")
    report = run_drill(drill_context, spec)
    after = _contents(s3, bucket, "tracks/")
    assert report.status == "passed"
    assert report.damage["deleted"] > 0 and report.damage["overwritten"] > 0
    assert report.verified == report.manifest_objects == 12 == len(after)  # 11 seeded + 1
    assert after["tracks/extra.bin"] == b"before"
    assert not any(body.startswith(b"corrupted by drill") for body in after.values())
    assert report.rto_seconds is not None and report.rto_seconds > 0
    assert report.rpo_seconds is not None and report.rpo_seconds >= 0
    saved = json.loads((drill_context.reports_dir / f"{report.drill_id}.json").read_text())
    assert saved["status"] == "passed" and saved["verified"] == 12
    markdown = (drill_context.reports_dir / f"{report.drill_id}.md").read_text()
    assert "RTO" in markdown and "PASSED" in markdown
    assert [h["drill_id"] for h in read_history(drill_context.reports_dir)] == [report.drill_id]


def test_pitr_while_writes_continue(drill_context: DrillContext):
    s3 = drill_context.s3
    bucket = drill_context.settings.bucket_name("masters")
    spec = DrillSpec(
        kind="pitr", prefix="p/", seed_objects=6, seed_bytes=512, writes=True, random_seed=2
    )
    report = run_drill(drill_context, spec)
    assert report.status == "passed"
    assert report.writes_during > 0
    assert report.verified == report.manifest_objects >= 6
    # the writer's objects from before the point are in the manifest and were verified too
    written = s3.list_objects_v2(Bucket=bucket, Prefix="p/drill-writes/").get("KeyCount", 0)
    assert written > 0


def test_a_purged_object_cannot_be_restored_and_the_drill_fails(drill_context: DrillContext):
    drill_context.s3.put_object(
        Bucket=drill_context.settings.bucket_name("masters"),
        Key="purge/real-content.bin",
        Body=b"r",
    )
    spec = DrillSpec(
        kind="pitr",
        prefix="purge/",
        incident=IncidentKind.PURGE,
        seed_objects=8,
        random_seed=3,
        fraction=1.0,
    )
    with pytest.raises(RestoreVerificationError) as failure:
        run_drill(drill_context, spec)
    assert failure.value.missing
    assert all(key.startswith("purge/drill-seed/") for key in failure.value.missing)
    assert "purge/real-content.bin" not in failure.value.missing
    saved = json.loads(failure.value.report_path.read_text())
    assert saved["status"] == "failed" and saved["missing"] == failure.value.missing
    assert saved["verified"] == saved["manifest_objects"] - len(saved["missing"])


def test_full_restore_of_a_wiped_bucket_into_a_new_bucket(drill_context: DrillContext):
    s3 = drill_context.s3
    settings = drill_context.settings
    bucket = settings.bucket_name("derivatives")
    spec = DrillSpec(
        kind="full",
        bucket_role="derivatives",
        incident=IncidentKind.WIPE,
        seed_objects=10,
        seed_bytes=1024,
        new_bucket=True,
        random_seed=4,
    )
    report = run_drill(drill_context, spec)
    assert report.status == "passed"
    assert report.target_bucket != bucket
    restored = _contents(s3, report.target_bucket)
    assert len(restored) == report.manifest_objects == report.verified == 10
    # after verifying, the drill put the wiped source back as it was
    assert _contents(s3, bucket) == restored
    assert report.extra["source_keys_put_back"] == 10


def test_partial_restore_while_writes_continue(drill_context: DrillContext):
    s3 = drill_context.s3
    bucket = drill_context.settings.bucket_name("masters")
    s3.put_object(Bucket=bucket, Key="other/keep.bin", Body=b"x")
    spec = DrillSpec(
        kind="partial",
        prefix="album/",
        writes=True,
        seed_objects=8,
        new_bucket=True,
        cleanup=True,
        random_seed=5,
    )
    report = run_drill(drill_context, spec)
    assert report.status == "passed" and report.verified == report.manifest_objects
    assert report.writes_during > 0
    names = [b["Name"] for b in s3.list_buckets()["Buckets"]]
    assert report.target_bucket not in names  # cleaned up after verifying


def test_dry_run_changes_nothing(drill_context: DrillContext):
    s3 = drill_context.s3
    bucket = drill_context.settings.bucket_name("masters")
    s3.put_object(Bucket=bucket, Key="dry/a.bin", Body=b"a")
    before = s3.list_object_versions(Bucket=bucket)["Versions"]
    report = run_drill(replace(drill_context, dry_run=True), DrillSpec(kind="pitr", prefix="dry/"))
    assert report.status == "dry-run" and report.manifest_objects == 1
    assert s3.list_object_versions(Bucket=bucket)["Versions"] == before
    assert not drill_context.reports_dir.exists()


def test_unversioned_bucket_is_refused(drill_context: DrillContext):
    s3 = drill_context.s3
    s3.put_bucket_versioning(
        Bucket=drill_context.settings.bucket_name("masters"),
        VersioningConfiguration={"Status": "Suspended"},
    )
    with pytest.raises(VersioningDisabledError):
        run_drill(drill_context, DrillSpec(kind="pitr"))
