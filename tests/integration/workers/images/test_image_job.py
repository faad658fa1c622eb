"""The image job against a real moto S3 server: publish, idempotency, commit point, errors."""

from __future__ import annotations

import json
import struct
import zlib
from pathlib import Path
from typing import Any

import pytest
from imagejob_media import jpeg_bytes

from stacks.settings import BucketRole, Settings
from workers.errors import PermanentJobError, TransientJobError
from workers.images.errors import ImageTooLargeError
from workers.images.formats import sniff
from workers.images.job import handle
from workers.jobs import JobContext, JobMessage, ObjectRef, OutputRef

pytestmark = pytest.mark.integration


def record_puts(s3: Any) -> list[str]:
    """Keys of every PutObject the client sends, in order."""
    keys: list[str] = []

    def remember(params: dict[str, Any], **_: Any) -> None:
        keys.append(params["Key"])

    s3.meta.events.register("provide-client-params.s3.PutObject", remember)
    return keys


def image_job(settings: Settings, key: str, prefix: str = "images/cover-1/") -> JobMessage:
    return JobMessage(
        job_id="job-1",
        kind="image",
        role="cover",
        source=ObjectRef(bucket=settings.bucket_name(BucketRole.MASTERS), key=key),
        output=OutputRef(bucket=settings.bucket_name(BucketRole.DERIVATIVES), prefix=prefix),
    )


def listing(s3: Any, bucket: str, prefix: str) -> list[str]:
    response = s3.list_objects_v2(Bucket=bucket, Prefix=prefix)
    return sorted(item["Key"] for item in response.get("Contents", []))


def test_job_publishes_variants_then_manifest(
    image_stack: Settings, s3: Any, tmp_path: Path
) -> None:
    masters = image_stack.bucket_name(BucketRole.MASTERS)
    derivatives = image_stack.bucket_name(BucketRole.DERIVATIVES)
    s3.put_object(Bucket=masters, Key="uploads/u1/cover.jpg", Body=jpeg_bytes())
    puts = record_puts(s3)

    result = handle(
        image_job(image_stack, "uploads/u1/cover.jpg"),
        JobContext(settings=image_stack, s3=s3, scratch=tmp_path),
    )

    assert result["skipped"] is False
    assert puts[-1] == "images/cover-1/manifest.json"
    assert sorted(puts[:-1]) == sorted(result["keys"])
    expected = {f"images/cover-1/cover-{w}.{e}" for w in (256, 512, 1024) for e in ("webp", "jpg")}
    expected |= {"images/cover-1/cover-full.webp", "images/cover-1/cover-full.jpg"}
    assert set(result["keys"]) == expected
    assert set(listing(s3, derivatives, "images/cover-1/")) == expected | {puts[-1]}

    manifest = json.loads(s3.get_object(Bucket=derivatives, Key=puts[-1])["Body"].read())
    rule = image_stack.delivery.rule_for("images")
    for item in manifest["outputs"]:
        obj = s3.get_object(Bucket=derivatives, Key="images/cover-1/" + item["name"])
        body = obj["Body"].read()
        assert obj["ContentType"] == item["content_type"]
        assert sniff(body) == item["format"]
        assert len(body) == item["bytes"]
        assert obj["Metadata"]["sha256"] == item["sha256"]
        assert f"max-age={rule.browser_ttl_seconds}" in obj["CacheControl"]


def test_duplicate_delivery_publishes_nothing_new(
    image_stack: Settings, s3: Any, tmp_path: Path
) -> None:
    masters = image_stack.bucket_name(BucketRole.MASTERS)
    s3.put_object(Bucket=masters, Key="a.jpg", Body=jpeg_bytes(600, 400))
    job = image_job(image_stack, "a.jpg")
    first = handle(job, JobContext(settings=image_stack, s3=s3, scratch=tmp_path / "1"))
    puts = record_puts(s3)
    second = handle(job, JobContext(settings=image_stack, s3=s3, scratch=tmp_path / "2"))
    assert second["skipped"] is True
    assert puts == []
    assert second["manifest"] == first["manifest"]


def test_job_killed_mid_upload_publishes_no_manifest(
    image_stack: Settings, s3: Any, tmp_path: Path
) -> None:
    masters = image_stack.bucket_name(BucketRole.MASTERS)
    derivatives = image_stack.bucket_name(BucketRole.DERIVATIVES)
    s3.put_object(Bucket=masters, Key="b.jpg", Body=jpeg_bytes(700, 500))
    job = image_job(image_stack, "b.jpg", prefix="images/b/")
    sent: list[str] = []

    def die_on_third_put(params: dict[str, Any], **_: Any) -> None:
        sent.append(params["Key"])
        if len(sent) == 3:
            raise ConnectionResetError("worker killed")

    s3.meta.events.register("provide-client-params.s3.PutObject", die_on_third_put)
    with pytest.raises((TransientJobError, ConnectionResetError)):
        handle(job, JobContext(settings=image_stack, s3=s3, scratch=tmp_path / "1"))
    s3.meta.events.unregister("provide-client-params.s3.PutObject", die_on_third_put)
    assert "images/b/manifest.json" not in listing(s3, derivatives, "images/b/")

    result = handle(job, JobContext(settings=image_stack, s3=s3, scratch=tmp_path / "2"))
    assert result["skipped"] is False
    assert "images/b/manifest.json" in listing(s3, derivatives, "images/b/")


def test_bomb_in_s3_is_permanent_and_publishes_nothing(
    image_stack: Settings, s3: Any, tmp_path: Path
) -> None:
    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    bomb = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 50_000, 50_000, 8, 0, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(b"\x00" * 50_001 * 4))
        + chunk(b"IEND", b"")
    )
    masters = image_stack.bucket_name(BucketRole.MASTERS)
    s3.put_object(Bucket=masters, Key="bomb.png", Body=bomb)
    with pytest.raises(ImageTooLargeError) as refused:
        handle(
            image_job(image_stack, "bomb.png", prefix="images/bomb/"),
            JobContext(settings=image_stack, s3=s3, scratch=tmp_path),
        )
    assert isinstance(refused.value, PermanentJobError)
    derivatives = image_stack.bucket_name(BucketRole.DERIVATIVES)
    assert listing(s3, derivatives, "images/bomb/") == []


def test_missing_source_is_permanent(image_stack: Settings, s3: Any, tmp_path: Path) -> None:
    with pytest.raises(PermanentJobError, match="not found"):
        handle(
            image_job(image_stack, "nope.jpg"),
            JobContext(settings=image_stack, s3=s3, scratch=tmp_path),
        )


def test_default_output_is_the_derivatives_bucket(
    image_stack: Settings, s3: Any, tmp_path: Path
) -> None:
    masters = image_stack.bucket_name(BucketRole.MASTERS)
    s3.put_object(Bucket=masters, Key="c.jpg", Body=jpeg_bytes(300, 200))
    job = JobMessage(
        job_id="j-9",
        kind="image",
        source=ObjectRef(bucket=masters, key="c.jpg"),
        content_hash="abc123",
    )
    result = handle(job, JobContext(settings=image_stack, s3=s3, scratch=tmp_path))
    assert result["bucket"] == image_stack.bucket_name(BucketRole.DERIVATIVES)
    assert result["manifest_key"] == "images/abc123/manifest.json"
