"""`MediaAudit`'s Athena side under mocks: the Glue table reads every bucket's access logs
with the shared schema, and the workgroup keeps its results encrypted, out of the table."""

from __future__ import annotations

import re
from typing import Any

import pulumi_aws as aws
import pytest
from pulumi_records import named, of_type, run, stand_in_buckets

from analytics.athena import access_log_table_ddl
from components.access_log_schema import ACCESS_LOG_REGEX, COLUMNS, SERDE, TABLE_NAME
from components.audit import MediaAudit, MediaAuditArgs, results_encryption
from stacks.engine import ResourceRecord
from stacks.program import build
from stacks.settings import BucketRole, Settings

KEY_ARN = "arn:aws:kms:eu-west-1:123456789012:key/storage"
TABLE = "aws:glue/catalogTable:CatalogTable"
DATABASE = "aws:glue/catalogDatabase:CatalogDatabase"
WORKGROUP = "aws:athena/workgroup:Workgroup"
LOGGING = "aws:s3/bucketLogging:BucketLogging"


@pytest.fixture(scope="module")
def stack(prod_settings: Settings) -> list[ResourceRecord]:
    """The whole prod program: the audit component wired to the real logs bucket."""
    return run(prod_settings, lambda: build(prod_settings))


@pytest.fixture(scope="module")
def component(prod_settings: Settings) -> list[ResourceRecord]:
    def program() -> None:
        logs = stand_in_buckets(prod_settings)[BucketRole.LOGS]
        MediaAudit("audit", MediaAuditArgs(prod_settings, logs_bucket=logs, kms_key_arn=KEY_ARN))

    return run(prod_settings, program)


def only(records: list[ResourceRecord], type_: str) -> ResourceRecord:
    found = of_type(records, type_)
    assert len(found) == 1, f"{type_}: {len(found)} records"
    return found[0]


def test_table_reads_every_buckets_access_logs(
    stack: list[ResourceRecord], prod_settings: Settings
) -> None:
    logs = prod_settings.bucket_name(BucketRole.LOGS)
    location = only(stack, TABLE).inputs["storageDescriptor"]["location"]
    assert location == f"s3://{logs}/access-logs/"
    name_of = {r.id: r.inputs["bucket"] for r in of_type(stack, "aws:s3/bucket:Bucket")}
    targets = {
        (name_of.get(r.inputs["targetBucket"], r.inputs["targetBucket"]), r.inputs["targetPrefix"])
        for r in of_type(stack, LOGGING)
    }
    assert len(targets) == len(BucketRole) - 1, "every bucket but logs logs its access"
    for bucket, prefix in targets:
        assert f"s3://{bucket}/{prefix}".startswith(location), (bucket, prefix)


def test_table_uses_the_shared_schema_and_regex_serde(component: list[ResourceRecord]) -> None:
    table = only(component, TABLE).inputs
    descriptor = table["storageDescriptor"]
    assert [(c["name"], c["type"]) for c in descriptor["columns"]] == [
        (name, kind.lower()) for name, kind in COLUMNS
    ]
    serde = descriptor["serDeInfo"]
    assert serde["serializationLibrary"] == SERDE == "org.apache.hadoop.hive.serde2.RegexSerDe"
    assert serde["parameters"]["input.regex"] == ACCESS_LOG_REGEX
    assert re.compile(ACCESS_LOG_REGEX).groups == len(descriptor["columns"])
    assert (table["name"], table["tableType"]) == (TABLE_NAME, "EXTERNAL_TABLE")
    assert descriptor["inputFormat"] == "org.apache.hadoop.mapred.TextInputFormat"


def test_glue_table_and_athena_ddl_cannot_drift(component: list[ResourceRecord]) -> None:
    descriptor = only(component, TABLE).inputs["storageDescriptor"]
    ddl = access_log_table_ddl("audit", TABLE_NAME, descriptor["location"])
    ddl_columns = re.findall(r"^  `(\w+)` (\w+),?$", ddl, flags=re.MULTILINE)
    assert [(n, t.lower()) for n, t in ddl_columns] == [
        (c["name"], c["type"]) for c in descriptor["columns"]
    ]
    assert f"LOCATION '{descriptor['location']}'" in ddl
    assert f"ROW FORMAT SERDE '{descriptor['serDeInfo']['serializationLibrary']}'" in ddl


def test_table_in_the_audit_database_under_the_component(
    component: list[ResourceRecord], prod_settings: Settings
) -> None:
    database, table = only(component, DATABASE), only(component, TABLE)
    (audit,) = of_type(component, "media-infra:audit:MediaAudit")
    assert table.inputs["databaseName"] == database.inputs["name"]
    assert database.inputs["name"] == prod_settings.resource_name("audit").replace("-", "_")
    assert {database.parent, table.parent, only(component, WORKGROUP).parent} == {audit.urn}
    assert named(component, "audit-access-logs") is table


def workgroup_results(records: list[ResourceRecord]) -> dict[str, Any]:
    configuration = only(records, WORKGROUP).inputs["configuration"]
    assert configuration["enforceWorkgroupConfiguration"] is True
    return dict(configuration["resultConfiguration"])


def test_workgroup_results_encrypted_in_the_logs_bucket(
    stack: list[ResourceRecord], prod_settings: Settings
) -> None:
    results = workgroup_results(stack)
    logs = prod_settings.bucket_name(BucketRole.LOGS)
    assert results["outputLocation"] == f"s3://{logs}/athena-results/"
    assert not results["outputLocation"].startswith(
        only(stack, TABLE).inputs["storageDescriptor"]["location"]
    ), "query results must not land inside the table"
    encryption = results["encryptionConfiguration"]
    assert encryption["encryptionOption"] == "SSE_KMS"
    trail = only(stack, "aws:cloudtrail/trail:Trail")
    assert encryption["kmsKeyArn"] == trail.inputs["kmsKeyId"], "the stack's key, as the trail's"
    assert str(encryption["kmsKeyArn"]).startswith("arn:aws:kms:")


def test_workgroup_uses_the_key_it_is_given(component: list[ResourceRecord]) -> None:
    encryption = workgroup_results(component)["encryptionConfiguration"]
    assert encryption == {"encryptionOption": "SSE_KMS", "kmsKeyArn": KEY_ARN}
    without = results_encryption(None)
    assert isinstance(
        without, aws.athena.WorkgroupConfigurationResultConfigurationEncryptionConfigurationArgs
    )
    assert without.encryption_option == "SSE_S3" and without.kms_key_arn is None
