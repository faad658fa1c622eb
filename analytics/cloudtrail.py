"""Parse CloudTrail log files into the audit's `AccessRecord`s.

A log file is JSON `{"Records": [...]}`, gzipped as CloudTrail delivers it under
`AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/` (plain JSON is read too). Each S3 API
call (data events on objects, management events on buckets) becomes a record with the
operation the server access log names (`GetObject` -> `REST.GET.OBJECT`), the caller's ARN
as requester, the bytes of `additionalEventData` and an HTTP status from `errorCode`
(`AccessDenied` -> 403). Policy-changing IAM and KMS calls become `IAM.<eventName>` /
`KMS.<eventName>` records whose bucket is `-` and whose key names the target. Other events
are skipped (counted). A file that is not such JSON, or a record lacking what a record
needs, is counted as malformed with the reason; it never stops the rest.
"""

from __future__ import annotations

import gzip
import json
import zlib
from datetime import datetime
from typing import Any

from analytics.access_log import AccessRecord, ParseResult

CLOUDTRAIL = "cloudtrail"
"""Dialect and format name of CloudTrail records in `ParseResult`."""
NO_BUCKET = "-"
"""Bucket of records about no bucket (IAM, KMS, account-level public access block)."""
TRAIL_PREFIX = "cloudtrail/"
"""Where the stack's trail delivers into the logs bucket (`components.storage`'s
`CLOUDTRAIL_PREFIX`, which a test keeps equal; analytics does not import pulumi)."""
DIGEST_FOLDER = "CloudTrail-Digest"
"""Log-file validation digests: delivered next to the logs, not events."""

S3_OPERATIONS = {
    "GetObject": "REST.GET.OBJECT",
    "HeadObject": "REST.HEAD.OBJECT",
    "PutObject": "REST.PUT.OBJECT",
    "CopyObject": "REST.COPY.OBJECT",
    "DeleteObject": "REST.DELETE.OBJECT",
    "DeleteObjects": "REST.POST.MULTI_OBJECT_DELETE",
    "CreateMultipartUpload": "REST.POST.UPLOADS",
    "UploadPart": "REST.PUT.PART",
    "UploadPartCopy": "REST.COPY.PART",
    "CompleteMultipartUpload": "REST.POST.UPLOAD",
    "AbortMultipartUpload": "REST.DELETE.UPLOAD",
    "ListParts": "REST.GET.UPLOAD",
    "RestoreObject": "REST.POST.RESTORE",
    "GetObjectAcl": "REST.GET.ACL",
    "PutObjectAcl": "REST.PUT.ACL",
    "GetObjectTagging": "REST.GET.OBJECT_TAGGING",
    "PutObjectTagging": "REST.PUT.OBJECT_TAGGING",
    "DeleteObjectTagging": "REST.DELETE.OBJECT_TAGGING",
    "ListObjects": "REST.GET.BUCKET",
    "ListObjectsV2": "REST.GET.BUCKET",
    "ListObjectVersions": "REST.GET.BUCKETVERSIONS",
    "CreateBucket": "REST.PUT.BUCKET",
    "DeleteBucket": "REST.DELETE.BUCKET",
    "GetBucketPolicy": "REST.GET.BUCKETPOLICY",
    "PutBucketPolicy": "REST.PUT.BUCKETPOLICY",
    "DeleteBucketPolicy": "REST.DELETE.BUCKETPOLICY",
    "GetBucketAcl": "REST.GET.ACL",
    "PutBucketAcl": "REST.PUT.ACL",
    "PutBucketPublicAccessBlock": "REST.PUT.PUBLIC_ACCESS_BLOCK",
    "DeleteBucketPublicAccessBlock": "REST.DELETE.PUBLIC_ACCESS_BLOCK",
    "PutPublicAccessBlock": "REST.PUT.PUBLIC_ACCESS_BLOCK",
    "DeletePublicAccessBlock": "REST.DELETE.PUBLIC_ACCESS_BLOCK",
    "PutAccountPublicAccessBlock": "REST.PUT.PUBLIC_ACCESS_BLOCK",
    "DeleteAccountPublicAccessBlock": "REST.DELETE.PUBLIC_ACCESS_BLOCK",
    "PutBucketLifecycle": "REST.PUT.LIFECYCLE",
    "PutBucketLifecycleConfiguration": "REST.PUT.LIFECYCLE",
    "DeleteBucketLifecycle": "REST.DELETE.LIFECYCLE",
    "PutBucketVersioning": "REST.PUT.VERSIONING",
    "PutBucketEncryption": "REST.PUT.ENCRYPTION",
    "DeleteBucketEncryption": "REST.DELETE.ENCRYPTION",
    "PutBucketLogging": "REST.PUT.LOGGING_STATUS",
    "PutBucketCors": "REST.PUT.CORS",
    "DeleteBucketCors": "REST.DELETE.CORS",
    "PutBucketOwnershipControls": "REST.PUT.OWNERSHIP_CONTROLS",
    "DeleteBucketOwnershipControls": "REST.DELETE.OWNERSHIP_CONTROLS",
    "PutBucketNotification": "REST.PUT.NOTIFICATION",
    "PutBucketNotificationConfiguration": "REST.PUT.NOTIFICATION",
    "PutObjectLockConfiguration": "REST.PUT.OBJECT_LOCK_CONFIGURATION",
    "PutBucketReplication": "REST.PUT.REPLICATION",
    "DeleteBucketReplication": "REST.DELETE.REPLICATION",
}
"""S3 event names and the access log's operation for the same request."""
ACCOUNT_LEVEL = {"PutAccountPublicAccessBlock", "DeleteAccountPublicAccessBlock", "ListBuckets"}
"""S3 calls about the account, not a bucket (no `bucketName` expected)."""
POLICY_EVENTS = {
    "iam.amazonaws.com": frozenset({
        "PutUserPolicy", "PutRolePolicy", "PutGroupPolicy",
        "DeleteUserPolicy", "DeleteRolePolicy", "DeleteGroupPolicy",
        "AttachUserPolicy", "AttachRolePolicy", "AttachGroupPolicy",
        "DetachUserPolicy", "DetachRolePolicy", "DetachGroupPolicy",
        "CreatePolicy", "CreatePolicyVersion", "DeletePolicy", "DeletePolicyVersion",
        "SetDefaultPolicyVersion", "UpdateAssumeRolePolicy",
        "PutRolePermissionsBoundary", "DeleteRolePermissionsBoundary",
        "PutUserPermissionsBoundary", "DeleteUserPermissionsBoundary",
    }),
    "kms.amazonaws.com": frozenset({"PutKeyPolicy", "ScheduleKeyDeletion", "DisableKey"}),
}  # fmt: skip
"""Management events of other services that change who may do what: `IAM.*`, `KMS.*`."""
POLICY_TARGETS = ("userName", "roleName", "groupName", "policyName", "policyArn", "keyId")
ERROR_STATUS = {
    "AccessDenied": 403,
    "AllAccessDisabled": 403,
    "InvalidAccessKeyId": 403,
    "SignatureDoesNotMatch": 403,
    "RequestTimeTooSkewed": 403,
    "AccountProblem": 403,
    "InvalidObjectState": 403,
    "ExpiredToken": 400,
    "MethodNotAllowed": 405,
    "PreconditionFailed": 412,
    "InvalidRange": 416,
    "InternalError": 500,
    "ServiceUnavailable": 503,
    "SlowDown": 503,
}
"""S3's HTTP status for an `errorCode` (others: 403 if it reads as a denial, 404 for
`NoSuch*`/`*NotFound*`, else 400)."""
ANONYMOUS = "ANONYMOUS_PRINCIPAL"


class MalformedRecordError(ValueError):
    """A CloudTrail record without what an audit record needs."""


def status_of(event_name: str, error_code: str | None) -> int:
    """The HTTP status S3 answered: from the error code, else 204 for deletes, else 200."""
    if not error_code:
        return 204 if event_name.startswith("Delete") and event_name != "DeleteObjects" else 200
    if error_code in ERROR_STATUS:
        return ERROR_STATUS[error_code]
    if "AccessDenied" in error_code or error_code.startswith("Unauthorized"):
        return 403
    if error_code.startswith("NoSuch") or "NotFound" in error_code:
        return 404
    return 400


def _mapping(event: dict[str, Any], name: str) -> dict[str, Any]:
    value = event.get(name)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise MalformedRecordError(f"{name}: expected an object, got {type(value).__name__}")
    return value


def _text(event: dict[str, Any], name: str) -> str:
    value = event.get(name)
    if not isinstance(value, str) or not value:
        raise MalformedRecordError(f"{name}: expected a string, got {value!r:.40}")
    return value


def _optional(event: dict[str, Any], name: str) -> str | None:
    value = event.get(name)
    return str(value) if value not in (None, "") else None


def _bytes(extra: dict[str, Any], name: str) -> int | None:
    value = extra.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < 2**63:
        raise MalformedRecordError(f"additionalEventData.{name}: expected bytes, got {value!r}")
    return int(value)


def _time(event: dict[str, Any]) -> datetime:
    text = _text(event, "eventTime")
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise MalformedRecordError(f"eventTime: expected ISO 8601, got {text[:40]!r}") from None
    if when.tzinfo is None:
        raise MalformedRecordError(f"eventTime: no time zone in {text[:40]!r}")
    return when


def _requester(identity: dict[str, Any]) -> str | None:
    """The caller's ARN; the invoking service or principal id without one; None if anonymous."""
    if identity.get("accountId") == ANONYMOUS or identity.get("principalId") == ANONYMOUS:
        return None
    for name in ("arn", "invokedBy"):
        if isinstance(identity.get(name), str) and identity[name]:
            return str(identity[name])
    principal = identity.get("principalId") or identity.get("accountId")
    if not principal:
        raise MalformedRecordError("userIdentity: no arn, invokedBy, principalId or accountId")
    return f"{identity.get('type', 'Unknown')}:{principal}"


def _bucket(event: dict[str, Any], params: dict[str, Any]) -> str | None:
    if isinstance(params.get("bucketName"), str) and params["bucketName"]:
        return str(params["bucketName"])
    for resource in event.get("resources") or ():
        if isinstance(resource, dict) and resource.get("type") == "AWS::S3::Bucket":
            return str(resource.get("ARN", "")).removeprefix("arn:aws:s3:::") or None
    return None


def _operation(source: str, name: str) -> str | None:
    """The record's operation, or None when the event is outside the audit."""
    if source == "s3.amazonaws.com":
        return S3_OPERATIONS.get(name, f"S3.{name}")
    if name in POLICY_EVENTS.get(source, ()):
        return f"{source.split('.')[0].upper()}.{name}"
    return None


def record_of(event: Any) -> AccessRecord | None:
    """The audit record of one CloudTrail event; None if the event is outside the audit."""
    if not isinstance(event, dict):
        raise MalformedRecordError(f"expected an object, got {type(event).__name__}")
    if event.get("eventType", "AwsApiCall") != "AwsApiCall":
        return None
    source, name = _text(event, "eventSource"), _text(event, "eventName")
    operation = _operation(source, name)
    if operation is None:
        return None
    when = _time(event)
    if "userIdentity" not in event:
        raise MalformedRecordError("userIdentity: missing")
    identity = _mapping(event, "userIdentity")
    params = _mapping(event, "requestParameters")
    extra = _mapping(event, "additionalEventData")
    error = event.get("errorCode")
    if error is not None and not isinstance(error, str):
        raise MalformedRecordError(f"errorCode: expected a string, got {error!r:.40}")
    if source == "s3.amazonaws.com":
        bucket = _bucket(event, params)
        if bucket is None and name not in ACCOUNT_LEVEL:
            raise MalformedRecordError(f"{name}: no requestParameters.bucketName")
        key = params.get("key") if isinstance(params.get("key"), str) else None
    else:
        bucket = None
        targets = [f"{t}={params[t]}" for t in POLICY_TARGETS if isinstance(params.get(t), str)]
        key = " ".join(targets) or None
    received = _bytes(extra, "bytesTransferredIn")
    return AccessRecord(
        bucket_owner=str(event.get("recipientAccountId") or identity.get("accountId") or "-"),
        bucket=bucket or NO_BUCKET,
        time=when,
        remote_ip=_optional(event, "sourceIPAddress"),
        requester=_requester(identity),
        request_id=str(event.get("requestID") or event.get("eventID") or "-"),
        operation=operation,
        key=key,
        request_uri=None,
        http_status=status_of(name, error),
        error_code=error,
        bytes_sent=_bytes(extra, "bytesTransferredOut"),
        object_size=received if name in ("PutObject", "UploadPart") and received else None,
        total_time_ms=None,
        turn_around_time_ms=None,
        referer=None,
        user_agent=_optional(event, "userAgent"),
    )


def _document(data: bytes) -> list[Any]:
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as exc:
            raise MalformedRecordError(f"not a readable gzip file: {exc}") from None
    try:
        document = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MalformedRecordError(f"not JSON: {exc}") from None
    if not isinstance(document, dict) or not isinstance(document.get("Records"), list):
        raise MalformedRecordError('expected a CloudTrail log file: {"Records": [...]}')
    return document["Records"]


def parse_file(data: bytes, source: str = "<cloudtrail>") -> ParseResult:
    """Records of one log file (gzip or plain); bad files and records counted, not raised."""
    result = ParseResult()
    try:
        events = _document(data)
    except MalformedRecordError as exc:
        result.reject(CLOUDTRAIL, source, str(exc))
        return result
    for index, event in enumerate(events):
        try:
            record = record_of(event)
        except MalformedRecordError as exc:
            result.reject(CLOUDTRAIL, f"{source}#{index}", str(exc))
            continue
        if record is None:
            kind = event.get("eventType", "AwsApiCall")
            outside = kind if kind != "AwsApiCall" else event.get("eventSource")
            result.skip(f"cloudtrail {outside}")
        else:
            result.add(record, CLOUDTRAIL)
    return result


def is_digest(path: str) -> bool:
    """Whether a delivered file is a log-file validation digest rather than a log file."""
    return f"/{DIGEST_FOLDER}/" in f"/{path}"
