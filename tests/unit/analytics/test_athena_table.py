"""The Athena table's regex splits access-log lines like our parser does."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from audit_logs import record

from analytics.access_log import format_line, parse_line
from analytics.athena import ACCESS_LOG_REGEX, COLUMNS, access_log_table_ddl


def test_regex_extracts_the_parsed_fields() -> None:
    extra = (None, "hostid=", "SigV4", "ECDHE-RSA-AES128-GCM-SHA256", "AuthHeader",
             "media.s3.eu-west-1.amazonaws.com", "TLSv1.2", None, "Yes")  # fmt: skip
    rec = replace(record("alice", 3.5, key="user-01/a b/track.mp3", size=123456), extra=extra)
    line = format_line(rec)
    match = re.fullmatch(ACCESS_LOG_REGEX, line)
    assert match is not None
    fields = dict(zip((name for name, _ in COLUMNS), match.groups(), strict=True))
    parsed, _ = parse_line(line)
    assert fields["bucket_name"] == parsed.bucket
    assert fields["operation"] == parsed.operation
    assert fields["bytessent"] == str(parsed.bytes_sent)
    assert fields["useragent"] == f'"{parsed.user_agent}"'
    assert fields["requester"] == parsed.requester
    assert fields["aclrequired"] == "Yes"


def test_ddl_names_location_and_serde() -> None:
    ddl = access_log_table_ddl("media_audit", "s3_access", "s3://media-logs-prod/access-logs")
    assert "LOCATION 's3://media-logs-prod/access-logs/'" in ddl
    assert "RegexSerDe" in ddl and "`bytessent` BIGINT" in ddl
    with pytest.raises(ValueError, match="s3://"):
        access_log_table_ddl("d", "t", "/tmp/logs")
