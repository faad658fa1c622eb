"""The Athena (Hive DDL) table over S3 server access logs, for the audit in the cloud.

The regular expression is AWS's documented one for the access-log format, with the request
URI, referer and user agent as quoted-or-dash fields; `tests` check it splits our own
`format_line` output into the same fields as `analytics.access_log.parse_line`.
"""

from __future__ import annotations

ACCESS_LOG_REGEX = (
    r'([^ ]*) ([^ ]*) \[(.*?)\] ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ("[^"]*"|-) (-|[0-9]*) '
    r'([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ("[^"]*"|-) ("[^"]*"|-) ([^ ]*)'
    r"(?: ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*))?.*$"
)
COLUMNS = (
    ("bucketowner", "STRING"), ("bucket_name", "STRING"), ("requestdatetime", "STRING"),
    ("remoteip", "STRING"), ("requester", "STRING"), ("requestid", "STRING"),
    ("operation", "STRING"), ("key", "STRING"), ("request_uri", "STRING"),
    ("httpstatus", "STRING"), ("errorcode", "STRING"), ("bytessent", "BIGINT"),
    ("objectsize", "BIGINT"), ("totaltime", "STRING"), ("turnaroundtime", "STRING"),
    ("referrer", "STRING"), ("useragent", "STRING"), ("versionid", "STRING"),
    ("hostid", "STRING"), ("sigv", "STRING"), ("ciphersuite", "STRING"),
    ("authtype", "STRING"), ("endpoint", "STRING"), ("tlsversion", "STRING"),
    ("accesspointarn", "STRING"), ("aclrequired", "STRING"),
)  # fmt: skip


def access_log_table_ddl(database: str, table: str, location: str) -> str:
    """`CREATE EXTERNAL TABLE` for the access logs under `location` (an s3:// prefix)."""
    if not location.startswith("s3://"):
        raise ValueError(f"location must be an s3:// prefix, got {location!r}")
    columns = ",\n  ".join(f"`{name}` {kind}" for name, kind in COLUMNS)
    regex = ACCESS_LOG_REGEX.replace("\\", "\\\\").replace("'", "\\'")
    return (
        f"CREATE EXTERNAL TABLE IF NOT EXISTS `{database}`.`{table}` (\n  {columns}\n)\n"
        "ROW FORMAT SERDE 'org.apache.hadoop.hive.serde2.RegexSerDe'\n"
        f"WITH SERDEPROPERTIES ('input.regex'='{regex}')\n"
        "STORED AS INPUTFORMAT 'org.apache.hadoop.mapred.TextInputFormat'\n"
        "OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'\n"
        f"LOCATION '{location.rstrip('/')}/'"
    )
