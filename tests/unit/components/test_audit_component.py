"""`MediaAudit` under mocks: the trail's data events, validation and destination."""

from __future__ import annotations

import pulumi_aws as aws
import pytest
import yaml

from components.audit import MediaAudit, MediaAuditArgs
from stacks.engine import ResourceRecord, run_program
from stacks.settings import BucketRole, Settings, stack_file

KEY_ARN = "arn:aws:kms:eu-west-1:123456789012:key/storage"


@pytest.fixture(scope="module")
def trail(prod_settings: Settings) -> ResourceRecord:
    def program() -> None:
        logs = aws.s3.Bucket("logs", bucket=prod_settings.bucket_name(BucketRole.LOGS))
        policy = aws.s3.BucketPolicy("logs-policy", bucket=logs.id, policy="{}")
        MediaAudit(
            "audit",
            MediaAuditArgs(
                prod_settings, logs_bucket=logs, kms_key_arn=KEY_ARN, depends_on=[policy]
            ),
        )

    config = yaml.safe_load(stack_file("prod").read_text())["config"]
    records = run_program(program, stack="prod", config=config)
    (found,) = [r for r in records if r.type == "aws:cloudtrail/trail:Trail"]
    (component,) = [r for r in records if r.type == "media-infra:audit:MediaAudit"]
    (policy,) = [r for r in records if r.name == "logs-policy"]
    assert found.parent == component.urn
    assert policy.urn in found.dependencies, "the trail waits for the logs bucket policy"
    return found


def test_trail_into_logs_bucket_with_validation(
    trail: ResourceRecord, prod_settings: Settings
) -> None:
    assert trail.inputs["name"] == prod_settings.resource_name("trail")
    assert trail.inputs["s3BucketName"] == prod_settings.bucket_name(BucketRole.LOGS)
    assert trail.inputs["s3KeyPrefix"] == "cloudtrail"
    assert trail.inputs["enableLogFileValidation"] is True
    assert trail.inputs["isMultiRegionTrail"] is True
    assert trail.inputs["includeGlobalServiceEvents"] is True
    assert trail.inputs["kmsKeyId"] == KEY_ARN


def test_data_events_on_every_media_bucket(trail: ResourceRecord, prod_settings: Settings) -> None:
    (selector,) = trail.inputs["eventSelectors"]
    assert selector["readWriteType"] == "All"
    assert selector["includeManagementEvents"] is True
    (data,) = selector["dataResources"]
    assert data["type"] == "AWS::S3::Object"
    assert sorted(data["values"]) == sorted(
        f"arn:aws:s3:::{prod_settings.bucket_name(role)}/"
        for role in BucketRole
        if role is not BucketRole.LOGS
    )
