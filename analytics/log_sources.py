"""Where audit logs come from: folders of log files, or the log objects in a bucket.

S3 server access logs (one request per line) and CloudTrail log files (JSON records) are read
into one `ParseResult`; `combine` drops the CloudTrail record of a request the access log
also has (same request id, bucket, operation and key), so nothing is counted twice.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from analytics import cloudtrail
from analytics.access_log import AccessRecord, ParseResult, parse_lines

S3_SCHEME = "s3://"


def _text(data: bytes) -> str:
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return data.decode("utf-8", "replace")


def _files(root: Path) -> list[Path]:
    if not root.is_dir():
        raise FileNotFoundError(f"{root}: no such log folder")
    return sorted(p for p in root.rglob("*") if p.is_file())


def _objects(
    s3: Any, bucket: str, prefix: str, skip: Callable[[str], bool] = lambda key: False
) -> Iterator[tuple[str, bytes]]:
    """(key, bytes) of each object under `prefix`, except the keys `skip` refuses."""
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            if skip(item["Key"]):
                continue
            body = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"]
            try:
                yield item["Key"], body.read()
            finally:
                body.close()


def read_dir(root: Path) -> ParseResult:
    """Parse every access-log file under `root` (plain or gzip); FileNotFoundError if missing."""
    result = ParseResult()
    for path in _files(root):
        result.extend(parse_lines(_text(path.read_bytes()).splitlines(), source=str(path)))
    return result


def read_bucket(s3: Any, bucket: str, prefix: str = "") -> ParseResult:
    """Parse every access-log object under `prefix` in `bucket`."""
    result = ParseResult()
    for key, data in _objects(s3, bucket, prefix):
        result.extend(parse_lines(_text(data).splitlines(), source=f"s3://{bucket}/{key}"))
    return result


def read_cloudtrail_dir(root: Path) -> ParseResult:
    """Parse every CloudTrail log file under `root` (digest files are not logs: skipped)."""
    result = ParseResult()
    for path in _files(root):
        if not cloudtrail.is_digest(path.relative_to(root).as_posix()):
            result.extend(cloudtrail.parse_file(path.read_bytes(), source=str(path)))
    return result


def read_cloudtrail_bucket(s3: Any, bucket: str, prefix: str = "") -> ParseResult:
    """Parse every CloudTrail log object under `prefix` in `bucket` (digests skipped)."""
    result = ParseResult()
    for key, data in _objects(s3, bucket, prefix, skip=cloudtrail.is_digest):
        result.extend(cloudtrail.parse_file(data, source=f"s3://{bucket}/{key}"))
    return result


def split_s3_url(url: str) -> tuple[str, str]:
    """(bucket, prefix) of `s3://bucket/prefix`; ValueError if it is not one."""
    bucket, _, prefix = url.removeprefix(S3_SCHEME).partition("/")
    if not url.startswith(S3_SCHEME) or not bucket:
        raise ValueError(f"expected s3://bucket/prefix, got {url!r}")
    return bucket, prefix


def read_cloudtrail(location: str, s3: Any = None) -> ParseResult:
    """CloudTrail logs from a folder or from `s3://bucket/prefix` (through the client `s3`)."""
    if not location.startswith(S3_SCHEME):
        return read_cloudtrail_dir(Path(location))
    if s3 is None:
        raise ValueError(f"{location}: reading from S3 needs an S3 client")
    return read_cloudtrail_bucket(s3, *split_s3_url(location))


def _request(record: AccessRecord) -> tuple[str, str, str, str | None]:
    return (record.request_id, record.bucket, record.operation, record.key)


def combine(access: ParseResult, trail: ParseResult) -> ParseResult:
    """Both sources in one result; a CloudTrail record of a request the access log has is
    dropped (and counted in `duplicates`): S3 logs the same request id in both."""
    result = ParseResult()
    result.extend(access)
    logged = {_request(r) for r in access.records}
    kept = ParseResult(
        records=[r for r in trail.records if _request(r) not in logged],
        malformed=trail.malformed,
        dialects=trail.dialects,
        malformed_by_format=trail.malformed_by_format,
        skipped=trail.skipped,
        duplicates=trail.duplicates,
    )
    kept.duplicates += len(trail.records) - len(kept.records)
    result.extend(kept)
    return result


def inventory(s3: Any, buckets: list[str]) -> dict[tuple[str, str], int]:
    """Current object sizes of `buckets` by (bucket, key); missing buckets are skipped."""
    sizes: dict[tuple[str, str], int] = {}
    existing = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
    for bucket in buckets:
        if bucket not in existing:
            continue
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            for item in page.get("Contents", []):
                sizes[(bucket, item["Key"])] = int(item["Size"])
    return sizes
