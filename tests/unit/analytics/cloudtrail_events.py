"""Synthetic CloudTrail records and log files for the audit tests (a helper module, not a test).

Field names and shapes follow AWS's documented S3 data-event and management-event records
(eventVersion 1.11, userIdentity, requestParameters.bucketName/key, additionalEventData
bytesTransferredIn/Out, resources, eventType AwsApiCall, managementEvent, readOnly).
"""

from __future__ import annotations

import gzip
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

ACCOUNT = "111122223333"
REGION = "eu-west-1"
START = datetime(2026, 3, 1, tzinfo=UTC)
BUCKET = "media-masters-prod"
READ_ONLY = {"GetObject", "HeadObject", "GetBucketPolicy", "GetBucketAcl", "ListObjects"}
DATA_EVENTS = {
    "GetObject", "HeadObject", "PutObject", "CopyObject", "DeleteObject", "DeleteObjects",
    "CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload", "AbortMultipartUpload",
}  # fmt: skip


def user_identity(user: str, kind: str = "IAMUser") -> dict[str, Any]:
    if kind == "AssumedRole":
        return {
            "type": "AssumedRole",
            "principalId": f"AROAEXAMPLE{user.upper()}:session-{user}",
            "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/{user}/session-{user}",
            "accountId": ACCOUNT,
            "accessKeyId": "ASIAEXAMPLEKEY",
            "sessionContext": {
                "sessionIssuer": {
                    "type": "Role",
                    "principalId": f"AROAEXAMPLE{user.upper()}",
                    "arn": f"arn:aws:iam::{ACCOUNT}:role/{user}",
                    "accountId": ACCOUNT,
                    "userName": user,
                },
                "attributes": {"creationDate": "2026-03-01T00:00:00Z", "mfaAuthenticated": "false"},
            },
        }
    if kind == "Anonymous":
        return {"type": "AWSAccount", "principalId": "", "accountId": "ANONYMOUS_PRINCIPAL"}
    return {
        "type": "IAMUser",
        "principalId": f"AIDAEXAMPLE{user.upper()}",
        "arn": f"arn:aws:iam::{ACCOUNT}:user/{user}",
        "accountId": ACCOUNT,
        "accessKeyId": "AKIAIOSFODNN7EXAMPLE",
        "userName": user,
    }


def s3_event(
    name: str,
    user: str = "alice",
    hour: float = 0.0,
    bucket: str | None = BUCKET,
    key: str | None = "t/master.wav",
    error: str | None = None,
    bytes_out: int | None = None,
    bytes_in: int | None = None,
    ip: str = "198.51.100.7",
    identity: str = "IAMUser",
    request_id: str | None = None,
    extra_params: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One S3 API call as CloudTrail records it (data event on objects, else management)."""
    data = name in DATA_EVENTS
    params: dict[str, Any] = {"Host": f"{bucket}.s3.{REGION}.amazonaws.com"}
    if bucket is not None:
        params["bucketName"] = bucket
    if key is not None and data and name != "DeleteObjects":
        params["key"] = key
    params.update(extra_params or {})
    resources: list[dict[str, Any]] = []
    if bucket is not None:
        if "key" in params:
            resources.append({"type": "AWS::S3::Object", "ARN": f"arn:aws:s3:::{bucket}/{key}"})
        resources.append(
            {"accountId": ACCOUNT, "type": "AWS::S3::Bucket", "ARN": f"arn:aws:s3:::{bucket}"}
        )
    event: dict[str, Any] = {
        "eventVersion": "1.11",
        "userIdentity": user_identity(user, identity),
        "eventTime": (START + timedelta(hours=hour)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventSource": "s3.amazonaws.com",
        "eventName": name,
        "awsRegion": REGION,
        "sourceIPAddress": ip,
        "userAgent": "[Boto3/1.35.36 md/Botocore#1.35.36 ua/2.0 os/linux lang/python#3.11.7]",
        "requestParameters": params,
        "responseElements": None,
        "requestID": request_id or uuid.uuid4().hex[:16].upper(),
        "eventID": str(uuid.uuid4()),
        "readOnly": name in READ_ONLY,
        "resources": resources,
        "eventType": "AwsApiCall",
        "managementEvent": not data,
        "recipientAccountId": ACCOUNT,
        "eventCategory": "Data" if data else "Management",
    }
    if data:
        event["additionalEventData"] = {
            "SignatureVersion": "SigV4",
            "CipherSuite": "TLS_AES_128_GCM_SHA256",
            "bytesTransferredIn": bytes_in or 0,
            "AuthenticationMethod": "AuthHeader",
            "x-amz-id-2": "q6xhNJYmhgEXAMPLE=",
            "bytesTransferredOut": bytes_out or 0,
        }
    if error is not None:
        event["errorCode"] = error
        event["errorMessage"] = "Access Denied" if error == "AccessDenied" else error
    return event


def iam_event(name: str, user: str = "admin", hour: float = 0.0, **params: str) -> dict[str, Any]:
    """A management event of IAM (global: us-east-1)."""
    return {
        "eventVersion": "1.09",
        "userIdentity": user_identity(user),
        "eventTime": (START + timedelta(hours=hour)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventSource": "iam.amazonaws.com",
        "eventName": name,
        "awsRegion": "us-east-1",
        "sourceIPAddress": "203.0.113.10",
        "userAgent": "aws-cli/2.18.5",
        "requestParameters": params,
        "responseElements": None,
        "requestID": str(uuid.uuid4()),
        "eventID": str(uuid.uuid4()),
        "readOnly": False,
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": ACCOUNT,
        "eventCategory": "Management",
    }


def log_file(events: list[Any], gzipped: bool = True) -> bytes:
    """A CloudTrail log file's bytes, as delivered."""
    data = json.dumps({"Records": events}).encode()
    return gzip.compress(data) if gzipped else data


def delivery_key(when: datetime, serial: int) -> str:
    """The key CloudTrail delivers a log file under (below the trail's prefix)."""
    stamp = when.strftime("%Y%m%dT%H%MZ")
    return (
        f"AWSLogs/{ACCOUNT}/CloudTrail/{REGION}/{when:%Y/%m/%d}/"
        f"{ACCOUNT}_CloudTrail_{REGION}_{stamp}_{serial:04d}.json.gz"
    )


def normal_day(hours: int = 24, users: tuple[str, ...] = ("alice", "bob", "carol")) -> list:
    """Each user downloads 3-5 objects every hour (the CloudTrail twin of `audit_logs`)."""
    return [
        s3_event("GetObject", user, hour + n / 10, key=f"{user}/{n}.mp3", bytes_out=1000)
        for hour in range(hours)
        for index, user in enumerate(users)
        for n in range(3 + (hour + index) % 3)
    ]
