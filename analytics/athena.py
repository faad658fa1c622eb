"""The Athena (Hive DDL) table over S3 server access logs, for the audit in the cloud.

Columns, regular expression and formats come from `components.access_log_schema`, the same
data the `MediaAudit` component's Glue table is built from. `tests` check the regex splits
our own `format_line` output into the same fields as `analytics.access_log.parse_line`.
"""

from __future__ import annotations

from components.access_log_schema import (
    ACCESS_LOG_REGEX,
    COLUMNS,
    INPUT_FORMAT,
    OUTPUT_FORMAT,
    SERDE,
)

__all__ = ["ACCESS_LOG_REGEX", "COLUMNS", "access_log_table_ddl"]


def access_log_table_ddl(database: str, table: str, location: str) -> str:
    """`CREATE EXTERNAL TABLE` for the access logs under `location` (an s3:// prefix)."""
    if not location.startswith("s3://"):
        raise ValueError(f"location must be an s3:// prefix, got {location!r}")
    columns = ",\n  ".join(f"`{name}` {kind}" for name, kind in COLUMNS)
    regex = ACCESS_LOG_REGEX.replace("\\", "\\\\").replace("'", "\\'")
    return (
        f"CREATE EXTERNAL TABLE IF NOT EXISTS `{database}`.`{table}` (\n  {columns}\n)\n"
        f"ROW FORMAT SERDE '{SERDE}'\n"
        f"WITH SERDEPROPERTIES ('input.regex'='{regex}')\n"
        f"STORED AS INPUTFORMAT '{INPUT_FORMAT}'\n"
        f"OUTPUTFORMAT '{OUTPUT_FORMAT}'\n"
        f"LOCATION '{location.rstrip('/')}/'"
    )
