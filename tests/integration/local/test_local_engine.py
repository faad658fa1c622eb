"""The local engine applies a Pulumi program to a real moto server (and twice is fine)."""

from __future__ import annotations

import json
from urllib.parse import unquote_plus

import boto3
import pytest
from engine_program import PREFIX, small_program

from local.engine import LocalApplyError, apply_program

pytestmark = pytest.mark.integration


def _client(service: str, endpoint: str):  # type: ignore[no-untyped-def]
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@pytest.fixture(scope="module")
def applied(moto_endpoint: str):  # type: ignore[no-untyped-def]
    apply_program(small_program, endpoint=moto_endpoint, stack="local", region="us-east-1")
    return apply_program(small_program, endpoint=moto_endpoint, stack="local", region="us-east-1")


def test_put_into_incoming_reaches_the_scan_queue(applied, moto_endpoint: str) -> None:
    s3, sqs = _client("s3", moto_endpoint), _client("sqs", moto_endpoint)
    url = sqs.get_queue_url(QueueName=f"{PREFIX}-scan")["QueueUrl"]
    sqs.purge_queue(QueueUrl=url)
    s3.put_object(Bucket=f"{PREFIX}-incoming", Key="tracks/a b.wav", Body=b"RIFF")
    keys = []
    for _ in range(5):
        for message in sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1).get("Messages", []):
            body = json.loads(message["Body"])
            keys += [unquote_plus(r["s3"]["object"]["key"]) for r in body.get("Records", [])]
        if keys:
            break
    assert keys == ["tracks/a b.wav"]


def test_bucket_configuration_is_in_moto(applied, moto_endpoint: str) -> None:
    s3 = _client("s3", moto_endpoint)
    bucket = f"{PREFIX}-incoming"
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    rule = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"][0]
    assert rule["Transitions"][0] == {"Days": 30, "StorageClass": "STANDARD_IA"}
    assert rule["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 7}
    assert rule["NoncurrentVersionExpiration"]["NoncurrentDays"] == 30
    assert s3.get_bucket_cors(Bucket=bucket)["CORSRules"][0]["ExposeHeaders"] == ["ETag"]
    assert s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"][
        "RestrictPublicBuckets"
    ]
    sse = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert sse["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    logging_status = s3.get_bucket_logging(Bucket=bucket)["LoggingEnabled"]
    assert logging_status == {"TargetBucket": f"{PREFIX}-logs", "TargetPrefix": "s3/incoming/"}
    tags = {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket=bucket)["TagSet"]}
    assert tags == {"stack": "local"}


def test_queue_redrive_table_topic_and_alarm(applied, moto_endpoint: str) -> None:
    sqs = _client("sqs", moto_endpoint)
    url = sqs.get_queue_url(QueueName=f"{PREFIX}-scan")["QueueUrl"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert json.loads(attributes["RedrivePolicy"])["maxReceiveCount"] == 2
    assert attributes["VisibilityTimeout"] == "60"
    assert "s3.amazonaws.com" in attributes["Policy"]
    table = _client("dynamodb", moto_endpoint).describe_table(TableName=f"{PREFIX}-refs")["Table"]
    assert table["KeySchema"] == [{"AttributeName": "content_hash", "KeyType": "HASH"}]
    subscriptions = _client("sns", moto_endpoint).list_subscriptions()["Subscriptions"]
    mine = [s for s in subscriptions if s["TopicArn"].endswith(f":{PREFIX}-alerts")]
    assert [s["Protocol"] for s in mine] == ["sqs"]
    alarms = _client("cloudwatch", moto_endpoint).describe_alarms(AlarmNames=[f"{PREFIX}-scan-age"])
    alarm = alarms["MetricAlarms"][0]
    assert alarm["Threshold"] == 30.0
    assert alarm["Dimensions"] == [{"Name": "QueueName", "Value": f"{PREFIX}-scan"}]


def test_types_moto_cannot_create_are_reported(applied) -> None:
    stood_in = applied.summary["stood-in"]
    assert "aws:kms/key:Key" in stood_in
    assert "aws:ecs/cluster:Cluster" in stood_in
    assert (
        "intelligent-tiering"
        in applied.summary["not-emulated"][
            "aws:s3/bucketIntelligentTieringConfiguration:BucketIntelligentTieringConfiguration"
        ]
    )
    assert all(entry.status != "emulated" or entry.id for entry in applied.applied)


def test_a_resource_moto_rejects_fails_with_a_typed_error(moto_endpoint: str) -> None:
    import pulumi_aws as aws

    def bad_program() -> None:
        aws.s3.BucketVersioning(
            "orphan", bucket="no-such-bucket-here", versioning_configuration={"status": "Enabled"}
        )

    with pytest.raises(LocalApplyError, match=r"orphan.*NoSuchBucket"):
        apply_program(bad_program, endpoint=moto_endpoint, stack="local", region="us-east-1")
