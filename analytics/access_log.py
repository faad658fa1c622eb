"""Parse and format S3 server access log lines.

The AWS format is space-separated fields, where the time is `[bracketed]` and the request
URI, referer and user agent are `"quoted"` (AWS appends new fields over time, so fields
after the user agent are optional and unknown extra fields are ignored). moto writes a
dialect of it (request line and user agent unquoted, requester and key left as `-`, the
bucket in the path): `parse_line` recognises that too and normalises it, deriving the
bucket, key and operation from the request. A line that is neither raises
`MalformedLineError`; `parse_lines` counts such lines instead of failing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from urllib.parse import quote, unquote, urlsplit

TIME_FORMAT = "%d/%b/%Y:%H:%M:%S %z"
TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|\[[^\]]*\]|[^ ]+')
QUOTED_FIELDS = {"request_uri", "referer", "user_agent"}
MOTO_LINE = re.compile(
    r"^(?P<owner>\S+) (?P<bucket>\S+) \[(?P<time>[^\]]+)\] (?P<ip>\S+) (?P<requester>\S+) "
    r"(?P<request_id>\S+) REST\.(?P<method>[A-Z]+)\.BUCKET (?P<key>\S+) "
    r"(?P=method) (?P<path>\S+) (?P<proto>HTTP/[0-9.]+) (?P<status>\d{3}) (?P<error>\S+) "
    r"(?P<rest1>\S+) (?P<rest2>\S+) (?P<rest3>\S+) \"(?P<referer>[^\"]*)\" (?P<ua>.*) - "
    r"(?P<host_id>\S+) (?P<sig>SigV\d|-) (?P<cipher>\S+) (?P<auth>\S+) (?P<url>\S+) "
    r"(?P<tls>\S+) (?P<ap>\S+) (?P<acl>\S+)$"
)
APP_ID = re.compile(r"(?:^| )app/([A-Za-z0-9._~!#$%&'*+^`|-]+)")
SUBRESOURCE_OPERATIONS = {
    "policy": "BUCKETPOLICY",
    "acl": "ACL",
    "logging": "LOGGING_STATUS",
    "versioning": "VERSIONING",
    "lifecycle": "LIFECYCLE",
    "publicAccessBlock": "PUBLIC_ACCESS_BLOCK",
    "encryption": "ENCRYPTION",
    "cors": "CORS",
    "ownershipControls": "OWNERSHIP_CONTROLS",
    "notification": "NOTIFICATION",
    "tagging": "TAGGING",
    "uploads": "UPLOADS",
    "uploadId": "UPLOAD",
    "delete": "MULTI_OBJECT_DELETE",
    "versions": "BUCKETVERSIONS",
}


class MalformedLineError(ValueError):
    """A line that is not an S3 server access log record."""


@dataclass(frozen=True)
class AccessRecord:
    """One request as S3 logged it; `-` fields are None, the key URL-decoded."""

    bucket_owner: str
    bucket: str
    time: datetime
    remote_ip: str | None
    requester: str | None
    request_id: str
    operation: str
    key: str | None
    request_uri: str | None
    http_status: int | None
    error_code: str | None
    bytes_sent: int | None
    object_size: int | None
    total_time_ms: int | None
    turn_around_time_ms: int | None
    referer: str | None
    user_agent: str | None
    extra: tuple[str | None, ...] = field(default=())
    """Version id, host id, signature version, cipher, auth type, host, TLS, ... as logged."""

    @property
    def principal(self) -> str:
        """Who made the request: the requester ARN, else the SDK app id, else the IP."""
        if self.requester:
            return self.requester
        match = APP_ID.search(self.user_agent or "")
        if match:
            return f"app/{match.group(1)}"
        return f"anonymous@{self.remote_ip or '-'}"


ACCESS_LOG = "access-log"
"""Name of the S3 server access log format in `ParseResult.malformed_by_format`."""


def _add(counts: dict[str, int], other: dict[str, int]) -> None:
    for name, count in other.items():
        counts[name] = counts.get(name, 0) + count


@dataclass
class ParseResult:
    """Records parsed from some log input, and the input that was not records.

    Log formats (`access-log`, `cloudtrail`) share this result so one audit covers both.
    """

    records: list[AccessRecord] = field(default_factory=list)
    malformed: list[tuple[str, str]] = field(default_factory=list)
    """(where, why) of each rejected line, file or record (`<source>:<line number>`)."""
    dialects: dict[str, int] = field(default_factory=dict)
    """Records parsed per dialect: `aws`, `moto` (access logs), `cloudtrail`."""
    malformed_by_format: dict[str, int] = field(default_factory=dict)
    """Rejected lines/files/records per log format."""
    skipped: dict[str, int] = field(default_factory=dict)
    """Well-formed input outside the audit, by reason (e.g. CloudTrail events of EC2)."""
    duplicates: int = 0
    """Records dropped because another source logged the same request."""

    def add(self, record: AccessRecord, dialect: str) -> None:
        self.records.append(record)
        self.dialects[dialect] = self.dialects.get(dialect, 0) + 1

    def reject(self, log_format: str, where: str, why: str) -> None:
        self.malformed.append((where, why))
        self.malformed_by_format[log_format] = self.malformed_by_format.get(log_format, 0) + 1

    def skip(self, why: str) -> None:
        self.skipped[why] = self.skipped.get(why, 0) + 1

    def extend(self, other: ParseResult) -> None:
        self.records += other.records
        self.malformed += other.malformed
        _add(self.dialects, other.dialects)
        _add(self.malformed_by_format, other.malformed_by_format)
        _add(self.skipped, other.skipped)
        self.duplicates += other.duplicates


def _none(token: str) -> str | None:
    return None if token == "-" else token


def _int(token: str, name: str) -> int | None:
    if token == "-":
        return None
    if not token.isdigit():
        raise MalformedLineError(f"{name}: expected a number or '-', got {token[:40]!r}")
    return int(token)


def _time(token: str) -> datetime:
    try:
        return datetime.strptime(token, TIME_FORMAT).astimezone(UTC)
    except ValueError:
        raise MalformedLineError(
            f"time: expected [dd/Mon/yyyy:HH:MM:SS +zzzz], got {token[:40]!r}"
        ) from None


def _unquote_field(token: str, name: str) -> str | None:
    if len(token) < 2 or token[0] != '"' or token[-1] != '"':
        raise MalformedLineError(f"{name}: expected a quoted string, got {token[:40]!r}")
    inner = re.sub(r"\\(.)", r"\1", token[1:-1])
    return None if inner == "-" else inner


def _parse_aws(line: str) -> AccessRecord:
    tokens = TOKEN.findall(line)
    if len(tokens) < 17:
        raise MalformedLineError(f"expected at least 17 fields, got {len(tokens)}")
    if " ".join(tokens) != line:
        raise MalformedLineError("fields are not separated by single spaces")
    time_token = tokens[2]
    if not (time_token.startswith("[") and time_token.endswith("]")):
        raise MalformedLineError(f"time: expected a [bracketed] time, got {time_token[:40]!r}")
    key = _none(tokens[7])
    return AccessRecord(
        bucket_owner=tokens[0],
        bucket=tokens[1],
        time=_time(time_token[1:-1]),
        remote_ip=_none(tokens[3]),
        requester=_none(tokens[4]),
        request_id=tokens[5],
        operation=tokens[6],
        key=unquote(key) if key is not None else None,
        request_uri=_unquote_field(tokens[8], "request_uri"),
        http_status=_int(tokens[9], "http_status"),
        error_code=_none(tokens[10]),
        bytes_sent=_int(tokens[11], "bytes_sent"),
        object_size=_int(tokens[12], "object_size"),
        total_time_ms=_int(tokens[13], "total_time"),
        turn_around_time_ms=_int(tokens[14], "turn_around_time"),
        referer=_unquote_field(tokens[15], "referer"),
        user_agent=_unquote_field(tokens[16], "user_agent"),
        extra=tuple(_none(token) for token in tokens[17:]),
    )


def _moto_operation(method: str, key: str | None, url: str) -> str:
    query = urlsplit(url.removesuffix("amazonaws.com")).query
    names = [part.partition("=")[0] for part in query.split("&") if part]
    for name in names:
        if name in SUBRESOURCE_OPERATIONS:
            return f"REST.{method}.{SUBRESOURCE_OPERATIONS[name]}"
    return f"REST.{method}.{'OBJECT' if key else 'BUCKET'}"


def _parse_moto(line: str) -> AccessRecord:
    match = MOTO_LINE.match(line)
    if match is None:
        raise MalformedLineError("neither the AWS access log format nor moto's dialect")
    path = match["path"].lstrip("/")
    bucket, _, raw_key = path.partition("/")
    key = unquote(raw_key) if raw_key else None
    method = match["method"]
    return AccessRecord(
        bucket_owner=match["owner"],
        bucket=bucket,
        time=_time(match["time"]),
        remote_ip=_none(match["ip"]),
        requester=_none(match["requester"]),
        request_id=match["request_id"],
        operation=_moto_operation(method, key, match["url"]),
        key=key,
        request_uri=f"{method} {match['path']} {match['proto']}",
        http_status=int(match["status"]),
        error_code=_none(match["error"]),
        bytes_sent=None,  # moto logs placeholders, not the transfer
        object_size=None,
        total_time_ms=None,
        turn_around_time_ms=None,
        referer=_none(match["referer"]),
        user_agent=match["ua"] or None,
        extra=(None, match["host_id"], match["sig"], match["cipher"], match["auth"]),
    )


def parse_line(line: str) -> tuple[AccessRecord, str]:
    """One record and the dialect it was written in (`aws` or `moto`)."""
    line = line.rstrip("\r\n")
    try:
        return _parse_aws(line), "aws"
    except MalformedLineError as aws_error:
        try:
            return _parse_moto(line), "moto"
        except MalformedLineError:
            raise aws_error from None


def parse_lines(lines: Iterable[str], source: str = "<lines>") -> ParseResult:
    """Parse many lines; blank lines are skipped, malformed ones recorded with the reason."""
    result = ParseResult()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record, dialect = parse_line(line)
        except MalformedLineError as exc:
            result.reject(ACCESS_LOG, f"{source}:{number}", str(exc))
            continue
        result.add(record, dialect)
    return result


def _dash(value: object) -> str:
    return "-" if value is None else str(value)


def _quoted(value: str | None) -> str:
    if value is None:
        return '"-"'
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def format_line(record: AccessRecord) -> str:
    """The AWS-format line of a record (`parse_line(format_line(r))[0] == r`)."""
    values: list[str] = []
    for spec in fields(record):
        value = getattr(record, spec.name)
        if spec.name == "time":
            values.append(f"[{value.astimezone(UTC).strftime(TIME_FORMAT)}]")
        elif spec.name == "key":
            values.append("-" if value is None else quote(value, safe="/"))
        elif spec.name in QUOTED_FIELDS:
            values.append(_quoted(value))
        elif spec.name == "extra":
            values += [_dash(item) for item in value]
        else:
            values.append(_dash(value))
    return " ".join(values)
