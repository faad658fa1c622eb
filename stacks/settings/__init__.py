"""Typed stack settings: the one source of truth for every target.

This package is the root of the import graph: it imports nothing of ours and not pulumi.
`Settings.from_mapping` builds the frozen, validated settings from a plain mapping (what
`pulumi.Config` holds for the `media-infra` namespace); `load_stack` reads the `config:`
block of `stacks/Pulumi.<stack>.yaml` with pyyaml for the CLI, the tests and the workers.
An unknown or invalid key raises `SettingsError` naming the file, the key and what was
expected.
"""

from stacks.settings.base import (
    NAMESPACE,
    STACKS_DIR,
    Frozen,
    Percent,
    PositiveFloat,
    PositiveInt,
    SettingsError,
    aws_schedule,
)
from stacks.settings.cloud_tasks import (
    AwsRegion,
    CacheWarmSettings,
    ClamdSidecarSettings,
    DrillTaskSettings,
    FargateCpu,
    FargateMemory,
    LoadGenRegion,
    LoadGenSettings,
    ScheduleSettings,
    TaskSize,
    UploadsServiceSettings,
)
from stacks.settings.delivery import (
    CLOUDFLARE_IPV4_CIDRS,
    CLOUDFLARE_IPV6_CIDRS,
    CacheClass,
    CacheMatch,
    CacheRule,
    DeliverySettings,
    S3Uri,
    ZoneSettings,
)
from stacks.settings.media import (
    AudioCodec,
    AudioSettings,
    ImagePresetName,
    ImagePresetOptions,
    ImageQuality,
    ImageSettings,
    ScanSettings,
    SigningKeyId,
)
from stacks.settings.operations import (
    AlertSettings,
    BackupSettings,
    PriceTable,
    QuotaSettings,
    SlaSettings,
    UploadSettings,
)
from stacks.settings.processing import (
    JobKind,
    NetworkSettings,
    ProcessingSettings,
    QueueSettings,
    WorkerService,
)
from stacks.settings.stack import Settings, load_file, load_stack, namespaced_config, stack_file
from stacks.settings.storage import (
    BucketRole,
    BucketSettings,
    IntelligentTiering,
    StorageClass,
    StorageSettings,
    Transition,
)

__all__ = [
    "CLOUDFLARE_IPV4_CIDRS",
    "CLOUDFLARE_IPV6_CIDRS",
    "NAMESPACE",
    "STACKS_DIR",
    "AlertSettings",
    "AudioCodec",
    "AudioSettings",
    "AwsRegion",
    "BackupSettings",
    "BucketRole",
    "BucketSettings",
    "CacheClass",
    "CacheMatch",
    "CacheRule",
    "CacheWarmSettings",
    "ClamdSidecarSettings",
    "DeliverySettings",
    "DrillTaskSettings",
    "FargateCpu",
    "FargateMemory",
    "Frozen",
    "ImagePresetName",
    "ImagePresetOptions",
    "ImageQuality",
    "ImageSettings",
    "IntelligentTiering",
    "JobKind",
    "LoadGenRegion",
    "LoadGenSettings",
    "NetworkSettings",
    "Percent",
    "PositiveFloat",
    "PositiveInt",
    "PriceTable",
    "ProcessingSettings",
    "QueueSettings",
    "QuotaSettings",
    "S3Uri",
    "ScanSettings",
    "ScheduleSettings",
    "Settings",
    "SettingsError",
    "SigningKeyId",
    "SlaSettings",
    "StorageClass",
    "StorageSettings",
    "TaskSize",
    "Transition",
    "UploadSettings",
    "UploadsServiceSettings",
    "WorkerService",
    "ZoneSettings",
    "aws_schedule",
    "load_file",
    "load_stack",
    "namespaced_config",
    "stack_file",
]
