"""The S3 server access log as a Hive table, as plain data (no pulumi import).

One definition for both sides: `components.audit` builds the Glue catalog table from it and
`analytics.athena` the equivalent `CREATE EXTERNAL TABLE` DDL, so the two cannot drift. The
regular expression is AWS's documented one for the access-log format (RegexSerDe), with the
request URI, referer and user agent as quoted-or-dash fields and the fields AWS appended
later (version id .. ACL required) optional.
"""

from __future__ import annotations

ACCESS_LOG_REGEX = (
    r'([^ ]*) ([^ ]*) \[(.*?)\] ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ("[^"]*"|-) (-|[0-9]*) '
    r'([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ("[^"]*"|-) ("[^"]*"|-) ([^ ]*)'
    r"(?: ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*))?.*$"
)
COLUMNS: tuple[tuple[str, str], ...] = (
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
"""(name, Hive type) of each column, one per capture group of `ACCESS_LOG_REGEX`."""
SERDE = "org.apache.hadoop.hive.serde2.RegexSerDe"
INPUT_FORMAT = "org.apache.hadoop.mapred.TextInputFormat"
OUTPUT_FORMAT = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"
TABLE_NAME = "s3_access_logs"
"""Name of the table in the audit database (Glue) and in the DDL's default."""
