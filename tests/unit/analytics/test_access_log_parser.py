"""S3 server access log parser: AWS format round trip, moto's dialect, malformed lines."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from analytics.access_log import (
    AccessRecord,
    MalformedLineError,
    format_line,
    parse_line,
    parse_lines,
)

AWS_LINE = (
    "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be awsexamplebucket1 "
    "[06/Feb/2019:00:00:38 +0000] 192.0.2.3 "
    "arn:aws:iam::123456789012:user/alice 3E57427F3EXAMPLE "
    'REST.GET.VERSIONING - "GET /awsexamplebucket1?versioning HTTP/1.1" 200 - 113 - 7 - "-" '
    '"S3Console/0.4" - s9lzHYrFp76ZVxRcpX9+5cjAnEH2ROuNkd2BHfIa6UkFVdtjf5mKR3/eTPFvsiP/XV/VLi31'
    "234= SigV4 ECDHE-RSA-AES128-GCM-SHA256 AuthHeader awsexamplebucket1.s3.us-west-1."
    "amazonaws.com TLSV1.2 arn:aws:s3:us-west-1:123456789012:accesspoint/example-AP Yes"
)
MOTO_LINE = (
    "f091e2df33efc5e830dd634de292f5432eb7bd3de4ec722ee5f9d389f0f79897 originbucket "
    "[28/Nov/2026:18:47:45 +0000] 0.0.0.0 - 6b1da8a38f473517 REST.GET.BUCKET - "
    'GET /src/a%20b/c.mp3 HTTP/1.1 200 - - 1 2 "-" Boto3/1.43.11 md/Botocore#1.43.11 '
    "ua/2.1 app/alice cfg/retry-mode#legacy Botocore/1.43.11 prompt/off "
    "command/s3api.put-object - c29tZSB1bmtub3duIGRhdGE= SigV4 ECDHE-RSA-AES128-GCM-SHA256 "
    "AuthHeader http://127.0.0.1:43835/src/a%20b/c.mp3amazonaws.com TLSv1.2 - -"
)
MOTO_POLICY_LINE = (
    MOTO_LINE.replace("GET /src/a%20b/c.mp3", "PUT /src")
    .replace("REST.GET.BUCKET", "REST.PUT.BUCKET")
    .replace("43835/src/a%20b/c.mp3amazonaws", "43835/src?policyamazonaws")
)


def test_aws_documented_example_parses() -> None:
    record, dialect = parse_line(AWS_LINE)
    assert dialect == "aws"
    assert record.bucket == "awsexamplebucket1"
    assert record.time == datetime(2019, 2, 6, 0, 0, 38, tzinfo=UTC)
    assert record.operation == "REST.GET.VERSIONING"
    assert record.request_uri == "GET /awsexamplebucket1?versioning HTTP/1.1"
    assert (record.http_status, record.bytes_sent, record.object_size) == (200, 113, None)
    assert record.principal == "arn:aws:iam::123456789012:user/alice"
    assert record.extra[-1] == "Yes"


def test_moto_dialect_is_normalised() -> None:
    record, dialect = parse_line(MOTO_LINE)
    assert dialect == "moto"
    assert (record.bucket, record.key, record.operation) == ("src", "a b/c.mp3", "REST.GET.OBJECT")
    assert record.principal == "app/alice"  # moto logs no requester: the SDK app id
    assert record.bytes_sent is None  # moto's byte fields are placeholders


def test_moto_subresources_become_operations() -> None:
    record, _ = parse_line(MOTO_POLICY_LINE)
    assert (record.bucket, record.key, record.operation) == ("src", None, "REST.PUT.BUCKETPOLICY")


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("garbage", "at least 17 fields"),
        (AWS_LINE.replace("[06/Feb/2019:00:00:38 +0000]", "[yesterday noon]"), "time"),
        (AWS_LINE.replace('" 200 - 113', '" 200 - lots'), "bytes_sent"),
        (AWS_LINE.replace('"S3Console/0.4"', "S3Console/0.4"), "user_agent"),
    ],
)
def test_malformed_lines_are_typed_errors(line: str, reason: str) -> None:
    with pytest.raises(MalformedLineError, match=reason):
        parse_line(line)


def test_malformed_lines_are_counted_not_fatal() -> None:
    result = parse_lines([AWS_LINE, "garbage", "", MOTO_LINE, AWS_LINE[:80]], source="f.log")
    assert len(result.records) == 2
    assert [where for where, _ in result.malformed] == ["f.log:2", "f.log:5"]
    assert result.dialects == {"aws": 1, "moto": 1}


token = st.text(
    st.sampled_from("abcdefghijklmnopqrstuvwxyz0123456789._:/-"), min_size=2, max_size=20
)
optional_token = st.one_of(st.none(), token)
free_text = st.one_of(
    st.none(),
    st.text(
        st.characters(blacklist_categories=("Cc", "Cs"), blacklist_characters="\n\r"),
        min_size=2,
        max_size=40,
    ),
)
count = st.one_of(st.none(), st.integers(0, 10**12))
records = st.builds(
    AccessRecord,
    bucket_owner=token,
    bucket=token,
    time=st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
    ).map(lambda t: t.replace(microsecond=0)),
    remote_ip=st.one_of(st.none(), st.ip_addresses().map(str)),
    requester=optional_token,
    request_id=token,
    operation=st.sampled_from(["REST.GET.OBJECT", "REST.PUT.OBJECT", "REST.DELETE.OBJECT"]),
    key=st.one_of(st.none(), st.text(min_size=2, max_size=30).filter(lambda k: "\x00" not in k)),
    request_uri=free_text,
    http_status=st.one_of(st.none(), st.integers(100, 599)),
    error_code=optional_token,
    bytes_sent=count,
    object_size=count,
    total_time_ms=count,
    turn_around_time_ms=count,
    referer=free_text,
    user_agent=free_text,
    extra=st.lists(optional_token, max_size=9).map(tuple),
)


@given(records)
def test_format_then_parse_round_trips(record: AccessRecord) -> None:
    assert parse_line(format_line(record)) == (record, "aws")
