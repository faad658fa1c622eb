"""Where access logs come from: a folder of log files, or the log objects in a bucket."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

from analytics.access_log import ParseResult, parse_lines


def _text(data: bytes) -> str:
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return data.decode("utf-8", "replace")


def read_dir(root: Path) -> ParseResult:
    """Parse every file under `root` (plain or gzip); FileNotFoundError if it is missing."""
    if not root.is_dir():
        raise FileNotFoundError(f"{root}: no such log folder")
    result = ParseResult()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        result.extend(parse_lines(_text(path.read_bytes()).splitlines(), source=str(path)))
    return result


def read_bucket(s3: Any, bucket: str, prefix: str = "") -> ParseResult:
    """Parse every log object under `prefix` in `bucket`."""
    result = ParseResult()
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            body = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"]
            try:
                text = _text(body.read())
            finally:
                body.close()
            result.extend(parse_lines(text.splitlines(), source=f"s3://{bucket}/{item['Key']}"))
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
