"""`MediaAudit`: a multi-region CloudTrail trail with S3 data events on the media buckets.

Management events of every region and the object-level (data) events of every media bucket
are delivered, KMS-encrypted and with log-file validation (signed digests), into the
`logs` bucket under `cloudtrail/`. The logs bucket itself is not traced (the trail writes
there). Its bucket policy, which lets CloudTrail write, comes from `MediaStorage`: pass it
in `depends_on` so the trail is created after it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
from pulumi_aws.cloudtrail import TrailEventSelectorArgsDict

from components.storage import CLOUDTRAIL_PREFIX
from stacks.settings import BucketRole, Settings

TYPE_TOKEN = "media-infra:audit:MediaAudit"

S3_OBJECT_DATA = "AWS::S3::Object"


@dataclass(frozen=True)
class MediaAuditArgs:
    """Inputs of `MediaAudit`."""

    settings: Settings
    """The stack settings: bucket names, trail name."""
    logs_bucket: aws.s3.Bucket
    """Where the trail delivers its log files (its policy must let CloudTrail write)."""
    kms_key_arn: pulumi.Input[str]
    """Encrypts the trail's log files."""
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


class MediaAudit(pulumi.ComponentResource):
    """The audit trail of the media stack."""

    trail: aws.cloudtrail.Trail

    def __init__(
        self, name: str, args: MediaAuditArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(TYPE_TOKEN, name, None, opts)
        settings = args.settings
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
        self.register_outputs({"trail": self.trail})
