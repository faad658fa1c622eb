"""Content dedup against the moto server: exact refcounts under concurrency, GC, stats, CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import uuid
from pathlib import Path
from typing import Any
from unittest.mock import patch

import boto3
import pytest
from botocore.exceptions import ClientError

from workers.dedup.gc import collect_garbage, dedup_stats
from workers.dedup.hashing import ContentDigest, hash_file
from workers.dedup.store import ContentStore, ReferenceNotFound
from workers.dedup.tables import ensure_table
from workers.errors import TransientJobError

pytestmark = pytest.mark.integration


class Env:
    def __init__(self, endpoint: str) -> None:
        self.s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
        self.ddb = boto3.client("dynamodb", endpoint_url=endpoint, region_name="us-east-1")
        self.table = f"refs-{uuid.uuid4().hex[:8]}"
        self.bucket = f"masters-{uuid.uuid4().hex[:8]}"
        ensure_table(self.ddb, self.table)
        self.s3.create_bucket(Bucket=self.bucket)

    def store(self, **options: Any) -> ContentStore:
        return ContentStore(self.s3, self.ddb, self.table, **options)

    def keys(self) -> list[str]:
        return [o["Key"] for o in self.s3.list_objects_v2(Bucket=self.bucket).get("Contents", [])]


@pytest.fixture
def env(aws_env: str) -> Env:
    return Env(aws_env)


@pytest.fixture
def content(tmp_path: Path) -> tuple[Path, ContentDigest]:
    path = tmp_path / "content.bin"
    path.write_bytes(os.urandom(700_000))
    return path, hash_file(path)


def test_concurrent_writers_store_once_with_an_exact_count(
    env: Env, content: tuple[Path, ContentDigest], atomic_dynamodb: None
) -> None:
    path, digest = content
    results = []
    barrier = threading.Barrier(8)

    def add(i: int) -> None:
        barrier.wait()
        results.append(env.store().add(path, digest, env.bucket, f"incoming/user-{i}/a.wav"))

    threads = [threading.Thread(target=add, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sum(r.stored_new for r in results) == 1
    assert all(r.reference_added for r in results)
    assert env.keys() == [digest.key]
    body = env.s3.get_object(Bucket=env.bucket, Key=digest.key)["Body"].read()
    assert body == path.read_bytes()
    assert env.store().refcount(digest.sha256) == 8
    stats = dedup_stats(env.ddb, env.table)
    assert (stats.stored_objects, stats.references) == (1, 8)
    assert stats.bytes_saved == 7 * digest.size


def test_the_same_reference_twice_counts_once(
    env: Env, content: tuple[Path, ContentDigest]
) -> None:
    path, digest = content
    first = env.store().add(path, digest, env.bucket, "in/u/a.wav")
    again = env.store().add(path, digest, env.bucket, "in/u/a.wav")
    assert (first.reference_added, again.reference_added) == (True, False)
    assert env.store().refcount(digest.sha256) == 1


def test_remove_decrements_and_gc_respects_the_grace_period(
    env: Env, content: tuple[Path, ContentDigest]
) -> None:
    path, digest = content
    store = env.store()
    store.add(path, digest, env.bucket, "in/a")
    store.add(path, digest, env.bucket, "in/b")
    assert store.remove("in/a") == 1
    assert collect_garbage(env.s3, env.ddb, env.table, grace_seconds=0).deleted == []
    assert store.remove("in/b") == 0
    with pytest.raises(ReferenceNotFound):
        store.remove("in/b")

    kept = collect_garbage(env.s3, env.ddb, env.table, grace_seconds=3600)
    assert kept.deleted == [] and env.keys() == [digest.key]
    dry = collect_garbage(env.s3, env.ddb, env.table, grace_seconds=0, dry_run=True)
    assert dry.deleted == [digest.sha256] and env.keys() == [digest.key]

    report = collect_garbage(env.s3, env.ddb, env.table, grace_seconds=0)
    assert report.deleted == [digest.sha256]
    assert report.bytes_freed == digest.size
    assert env.keys() == []
    assert dedup_stats(env.ddb, env.table).contents == 0


def test_a_new_reference_before_gc_keeps_the_object(
    env: Env, content: tuple[Path, ContentDigest]
) -> None:
    path, digest = content
    store = env.store()
    store.add(path, digest, env.bucket, "in/a")
    store.remove("in/a")
    again = store.add(path, digest, env.bucket, "in/b")
    assert not again.stored_new
    assert collect_garbage(env.s3, env.ddb, env.table, grace_seconds=0).deleted == []
    assert env.keys() == [digest.key] and store.refcount(digest.sha256) == 1


def test_content_is_stored_again_after_gc(env: Env, content: tuple[Path, ContentDigest]) -> None:
    path, digest = content
    store = env.store()
    store.add(path, digest, env.bucket, "in/a")
    store.remove("in/a")
    collect_garbage(env.s3, env.ddb, env.table, grace_seconds=0)
    result = store.add(path, digest, env.bucket, "in/c")
    assert result.stored_new and env.keys() == [digest.key]


def test_a_killed_first_writer_is_taken_over_after_its_lease(
    env: Env, content: tuple[Path, ContentDigest]
) -> None:
    path, digest = content
    now = [1000.0]
    store = env.store(lease_seconds=60, wait_poll_seconds=0, clock=lambda: now[0])
    store._add_reference(digest, env.bucket, "in/dead", {})
    assert store._claim(digest.sha256, "dead-worker")  # claimed, then killed before uploading
    now[0] += 61
    result = store.add(path, digest, env.bucket, "in/alive")
    assert result.stored_new and env.keys() == [digest.key]
    assert store.refcount(digest.sha256) == 2


def run_cli(endpoint: str, *args: str) -> subprocess.CompletedProcess[str]:
    environment = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    code = "from mediainfra.cli import main; main()"
    return subprocess.run(
        [sys.executable, "-c", code, "dedup", *args, "--endpoint-url", endpoint],
        capture_output=True, text=True, check=False, env=environment,
    )  # fmt: skip


def test_cli_stats_and_gc(aws_env: str, local_settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    env = Env(aws_env)
    env.table = local_settings.resource_name("content-refs")
    ensure_table(env.ddb, env.table)
    path = tmp_path / "x.bin"
    path.write_bytes(os.urandom(5000))
    digest = hash_file(path)
    store = env.store()
    store.add(path, digest, env.bucket, f"cli/{uuid.uuid4().hex}/1")
    store.add(path, digest, env.bucket, f"cli/{uuid.uuid4().hex}/2")

    stats = run_cli(aws_env, "stats", "--json")
    assert stats.returncode == 0, stats.stderr
    assert json.loads(stats.stdout) == dedup_stats(env.ddb, env.table).as_dict()
    assert json.loads(stats.stdout)["bytes_saved"] >= 5000

    gc = run_cli(aws_env, "gc", "--grace-hours", "0", "--dry-run")
    assert gc.returncode == 0, gc.stderr
    assert "would delete" in gc.stdout


def test_a_stored_object_deleted_behind_our_back_is_stored_again(
    env: Env, content: tuple[Path, ContentDigest]
) -> None:
    path, digest = content
    env.store().add(path, digest, env.bucket, "in/a")
    env.s3.delete_object(Bucket=env.bucket, Key=digest.key)
    healed = env.store().add(path, digest, env.bucket, "in/b")
    assert healed.stored_new and env.keys() == [digest.key]


def test_a_failed_upload_gives_the_claim_back(
    env: Env, content: tuple[Path, ContentDigest]
) -> None:
    path, digest = content
    store = env.store(lease_seconds=3600)
    broken = ClientError({"Error": {"Code": "SlowDown", "Message": "x"}}, "PutObject")
    with (
        patch.object(env.s3, "upload_file", side_effect=broken),
        pytest.raises(TransientJobError, match="failed"),
    ):
        store.add(path, digest, env.bucket, "in/a")
    assert env.keys() == []
    retried = store.add(path, digest, env.bucket, "in/a")  # same upload, redelivered
    assert (retried.stored_new, retried.reference_added) == (True, False)
    assert env.keys() == [digest.key] and store.refcount(digest.sha256) == 1


def test_gc_removes_a_store_that_never_finished(
    env: Env, content: tuple[Path, ContentDigest]
) -> None:
    _, digest = content
    store = env.store()
    store._add_reference(digest, env.bucket, "in/a", {})  # killed before storing
    store.remove("in/a")
    report = collect_garbage(env.s3, env.ddb, env.table, grace_seconds=0)
    assert report.deleted == [digest.sha256]
    assert dedup_stats(env.ddb, env.table).contents == 0
