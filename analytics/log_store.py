"""Access-log records in DuckDB: one `access` table, an optional `objects` inventory, Parquet.

Bytes of a download are what S3 logged as sent; when the log has no byte counts (moto), the
size of the object from the inventory (`add_inventory`) stands in for them.
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Iterable, Mapping
from datetime import UTC
from pathlib import Path
from typing import Any

import duckdb

from analytics.access_log import AccessRecord

COLUMNS = {
    "time": "TIMESTAMP",
    "bucket": "VARCHAR",
    "key": "VARCHAR",
    "operation": "VARCHAR",
    "principal": "VARCHAR",
    "remote_ip": "VARCHAR",
    "http_status": "INTEGER",
    "error_code": "VARCHAR",
    "bytes_sent": "BIGINT",
    "object_size": "BIGINT",
    "user_agent": "VARCHAR",
    "request_id": "VARCHAR",
}
DOWNLOAD_OPERATIONS = ("REST.GET.OBJECT",)
DELETE_OPERATIONS = ("REST.DELETE.OBJECT", "BATCH.DELETE.OBJECT", "REST.POST.MULTI_OBJECT_DELETE")
POLICY_OPERATION_SUFFIXES = (
    "BUCKETPOLICY", "ACL", "PUBLIC_ACCESS_BLOCK", "LOGGING_STATUS", "VERSIONING", "LIFECYCLE",
    "ENCRYPTION", "CORS", "OWNERSHIP_CONTROLS", "NOTIFICATION", "OBJECT_LOCK_CONFIGURATION",
    "REPLICATION",
)  # fmt: skip
"""Bucket configuration operations the audit reports as policy changes (PUT and DELETE)."""
POLICY_OPERATION_PREFIXES = ("IAM.", "KMS.")
"""Operations of policy-changing IAM and KMS calls (from CloudTrail), all policy changes."""


def _row(record: AccessRecord) -> list[Any]:
    return [
        record.time.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" "),
        record.bucket,
        record.key,
        record.operation,
        record.principal,
        record.remote_ip,
        record.http_status,
        record.error_code,
        record.bytes_sent,
        record.object_size,
        record.user_agent,
        record.request_id,
    ]


class AccessLogStore:
    """A DuckDB database (in memory or a file) of access-log records."""

    def __init__(self, path: Path | str = ":memory:") -> None:
        self.db = duckdb.connect(str(path))
        columns = ", ".join(f'"{name}" {kind}' for name, kind in COLUMNS.items())
        self.db.execute(f"CREATE TABLE IF NOT EXISTS access ({columns})")
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS objects (bucket VARCHAR, key VARCHAR, size BIGINT)"
        )

    def close(self) -> None:
        self.db.close()

    def add(self, records: Iterable[AccessRecord]) -> int:
        """Append records (through a CSV file: one bulk load); returns how many."""
        with tempfile.NamedTemporaryFile("w", suffix=".csv", newline="") as handle:
            writer = csv.writer(handle)
            count = 0
            for record in records:
                writer.writerow(["\\N" if v is None else v for v in _row(record)])
                count += 1
            handle.flush()
            if count:
                types = ", ".join(f"'{name}': '{kind}'" for name, kind in COLUMNS.items())
                self.db.execute(
                    f"INSERT INTO access SELECT * FROM read_csv(?, header=false, "
                    f"nullstr='\\N', columns={{{types}}})",
                    [handle.name],
                )
        return count

    def add_inventory(self, sizes: Mapping[tuple[str, str], int]) -> None:
        """Object sizes by (bucket, key), for logs that record no byte counts."""
        self.db.executemany(
            "INSERT INTO objects VALUES (?, ?, ?)",
            [(bucket, key, size) for (bucket, key), size in sizes.items()],
        )

    def export_parquet(self, path: Path | str) -> None:
        """Write the access table as Parquet (for Athena or later DuckDB sessions)."""
        self.db.execute(f"COPY access TO '{Path(path)}' (FORMAT parquet)")

    def rows(self, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        return self.db.execute(sql, params or []).fetchall()

    def count(self) -> int:
        return int(self.rows("SELECT count(*) FROM access")[0][0])

    def downloads_by_window(self, seconds: int) -> list[tuple[str, int, int, int]]:
        """(principal, window index, downloads, bytes) of each principal's active windows."""
        ops = ", ".join(f"'{op}'" for op in DOWNLOAD_OPERATIONS)
        return self.rows(
            f"""
            SELECT a.principal, CAST(floor(epoch(a.time) / ?) AS BIGINT) AS w,
                   count(*), CAST(coalesce(sum(coalesce(a.bytes_sent, a.object_size, o.size)), 0)
                                  AS BIGINT)
            FROM access a LEFT JOIN (SELECT bucket, key, max(size) AS size FROM objects
                                     GROUP BY bucket, key) o
              ON a.bucket = o.bucket AND a.key = o.key
            WHERE a.operation IN ({ops}) AND coalesce(a.http_status, 200) < 400
            GROUP BY 1, 2 ORDER BY 1, 2
            """,
            [seconds],
        )

    def deletes_by_window(self, seconds: int) -> list[tuple[str, int, int]]:
        """(principal, window index, deletes)."""
        ops = ", ".join(f"'{op}'" for op in DELETE_OPERATIONS)
        return self.rows(
            f"""SELECT principal, CAST(floor(epoch(time) / ?) AS BIGINT), count(*)
                FROM access WHERE operation IN ({ops}) GROUP BY 1, 2 ORDER BY 1, 2""",
            [seconds],
        )

    def forbidden_by_window(self, seconds: int) -> list[tuple[int, int]]:
        """(window index, 403 responses) over every window with any request."""
        return self.rows(
            """SELECT CAST(floor(epoch(time) / ?) AS BIGINT),
                      count(*) FILTER (WHERE http_status = 403)
               FROM access GROUP BY 1 ORDER BY 1""",
            [seconds],
        )

    def forbidden_sources(self, window: int, seconds: int) -> list[tuple[str, str, int]]:
        """(principal, IP, 403 responses) in one window, most first."""
        return self.rows(
            """SELECT principal, coalesce(remote_ip, '-'), count(*) FROM access
               WHERE http_status = 403 AND CAST(floor(epoch(time) / ?) AS BIGINT) = ?
               GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2""",
            [seconds, window],
        )

    def window_range(self, seconds: int) -> tuple[int, int] | None:
        first, last = self.rows(
            "SELECT CAST(floor(min(epoch(time)) / ?) AS BIGINT), "
            "CAST(floor(max(epoch(time)) / ?) AS BIGINT) FROM access",
            [seconds, seconds],
        )[0]
        return None if first is None else (int(first), int(last))

    def activity(self, column: str, seconds: int) -> list[tuple[str, int, int, Any]]:
        """(value of `column`, active windows, requests, first seen) per principal or IP."""
        if column not in ("principal", "remote_ip"):
            raise ValueError(f"activity by {column!r}: expected principal or remote_ip")
        return self.rows(
            f"""SELECT {column}, count(DISTINCT CAST(floor(epoch(time) / ?) AS BIGINT)),
                       count(*), min(time)
                FROM access WHERE {column} IS NOT NULL GROUP BY 1 ORDER BY 1""",
            [seconds],
        )
