"""`MediaAudit`: the CloudTrail trail and the Athena table over the S3 access logs.

- A multi-region trail with S3 data events on the media buckets: management events of every
  region and the object-level (data) events of every media bucket are delivered,
  KMS-encrypted and with log-file validation (signed digests), into the `logs` bucket under
  `cloudtrail/`. The logs bucket itself is not traced (the trail writes there). Its bucket
  policy, which lets CloudTrail write, comes from `MediaStorage`: pass it in `depends_on` so
  the trail is created after it.
- A Glue catalog database and table over the server access logs every bucket writes into
  `logs` under `access-logs/` (AWS's RegexSerDe regex and the columns of
  `components.access_log_schema`, which `analytics.athena` builds its DDL from), and an
  Athena workgroup whose query results go to `logs` under `athena-results/`, encrypted with
  the stack's key, the workgroup's settings enforced on every query.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
from pulumi_aws.cloudtrail import TrailEventSelectorArgsDict

from components.access_log_schema import (
    ACCESS_LOG_REGEX,
    COLUMNS,
    INPUT_FORMAT,
    OUTPUT_FORMAT,
    SERDE,
    TABLE_NAME,
)
from components.lifecycle_rules import ATHENA_RESULTS_PREFIX
from components.storage import ACCESS_LOGS_PREFIX, CLOUDTRAIL_PREFIX
from stacks.settings import BucketRole, Settings

TYPE_TOKEN = "media-infra:audit:MediaAudit"

S3_OBJECT_DATA = "AWS::S3::Object"


@dataclass(frozen=True)
class MediaAuditArgs:
    """Inputs of `MediaAudit`."""

    settings: Settings
    """The stack settings: bucket names, trail name."""
    logs_bucket: aws.s3.Bucket
    """Where the trail delivers its log files (its policy must let CloudTrail write) and
    where every bucket's server access logs are (under `access-logs/`)."""
    kms_key_arn: pulumi.Input[str] | None
    """Encrypts the trail's log files and the Athena query results (None: SSE-S3 results)."""
    depends_on: Sequence[pulumi.Resource] = ()
    """What the trail must wait for: the logs bucket's policy (CloudTrail checks it)."""


def traced_buckets(settings: Settings) -> list[str]:
    """Names of the buckets whose object-level events are recorded: all but `logs`."""
    return [settings.bucket_name(role) for role in BucketRole if role is not BucketRole.LOGS]


def data_event_selectors(settings: Settings) -> list[TrailEventSelectorArgsDict]:
    """Management events plus read and write data events on every traced bucket's objects."""
    return [
        {
            "read_write_type": "All",
            "include_management_events": True,
            "data_resources": [
                {
                    "type": S3_OBJECT_DATA,
                    "values": [f"arn:aws:s3:::{bucket}/" for bucket in traced_buckets(settings)],
                }
            ],
        }
    ]


def catalog_database_name(settings: Settings) -> str:
    """Glue/Athena database of the audit: the resource name with `_` (Athena-safe)."""
    return settings.resource_name("audit").replace("-", "_")


def access_log_columns() -> list[aws.glue.CatalogTableStorageDescriptorColumnArgs]:
    """The table's columns, in the regex's group order (Glue wants lower-case Hive types)."""
    return [
        aws.glue.CatalogTableStorageDescriptorColumnArgs(name=name, type=kind.lower())
        for name, kind in COLUMNS
    ]


def results_encryption(
    kms_key_arn: pulumi.Input[str] | None,
) -> aws.athena.WorkgroupConfigurationResultConfigurationEncryptionConfigurationArgs:
    """SSE-KMS with the stack's key for query results, SSE-S3 without one."""
    if kms_key_arn is None:
        return aws.athena.WorkgroupConfigurationResultConfigurationEncryptionConfigurationArgs(
            encryption_option="SSE_S3"
        )
    return aws.athena.WorkgroupConfigurationResultConfigurationEncryptionConfigurationArgs(
        encryption_option="SSE_KMS", kms_key_arn=kms_key_arn
    )


def _s3_url(bucket: pulumi.Output[str], prefix: str) -> pulumi.Output[str]:
    return bucket.apply(lambda name: f"s3://{name}/{prefix}")


class MediaAudit(pulumi.ComponentResource):
    """The audit trail of the media stack and the Athena table over its access logs."""

    trail: aws.cloudtrail.Trail
    database: aws.glue.CatalogDatabase
    access_log_table: aws.glue.CatalogTable
    workgroup: aws.athena.Workgroup

    def __init__(
        self, name: str, args: MediaAuditArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(TYPE_TOKEN, name, None, opts)
        settings = args.settings
        child = pulumi.ResourceOptions(parent=self)
        self.trail = aws.cloudtrail.Trail(
            f"{name}-trail",
            name=settings.resource_name("trail"),
            s3_bucket_name=args.logs_bucket.bucket,
            s3_key_prefix=CLOUDTRAIL_PREFIX,
            kms_key_id=args.kms_key_arn,
            is_multi_region_trail=True,
            include_global_service_events=True,
            enable_log_file_validation=True,
            enable_logging=True,
            event_selectors=data_event_selectors(settings),
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(args.depends_on)),
        )
        self.database = aws.glue.CatalogDatabase(
            f"{name}-catalog",
            name=catalog_database_name(settings),
            description="Audit tables of the media stack (S3 server access logs).",
            opts=child,
        )
        self.access_log_table = aws.glue.CatalogTable(
            f"{name}-access-logs",
            name=TABLE_NAME,
            database_name=self.database.name,
            description="S3 server access logs of every media bucket.",
            table_type="EXTERNAL_TABLE",
            parameters={"EXTERNAL": "TRUE"},
            storage_descriptor=aws.glue.CatalogTableStorageDescriptorArgs(
                location=_s3_url(args.logs_bucket.bucket, ACCESS_LOGS_PREFIX),
                input_format=INPUT_FORMAT,
                output_format=OUTPUT_FORMAT,
                ser_de_info=aws.glue.CatalogTableStorageDescriptorSerDeInfoArgs(
                    name="s3-access-log",
                    serialization_library=SERDE,
                    parameters={"input.regex": ACCESS_LOG_REGEX},
                ),
                columns=access_log_columns(),
            ),
            opts=child,
        )
        self.workgroup = aws.athena.Workgroup(
            f"{name}-workgroup",
            name=settings.resource_name("audit"),
            description="Queries over the media stack's audit logs.",
            configuration=aws.athena.WorkgroupConfigurationArgs(
                enforce_workgroup_configuration=True,
                publish_cloudwatch_metrics_enabled=True,
                result_configuration=aws.athena.WorkgroupConfigurationResultConfigurationArgs(
                    output_location=_s3_url(args.logs_bucket.bucket, ATHENA_RESULTS_PREFIX),
                    encryption_configuration=results_encryption(args.kms_key_arn),
                ),
            ),
            opts=child,
        )
        self.register_outputs(
            {
                "trail": self.trail,
                "database": self.database,
                "access_log_table": self.access_log_table,
                "workgroup": self.workgroup,
            }
        )
