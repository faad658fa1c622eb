"""The Pulumi program: the components of a stack, built from its typed settings.

`build(settings)` registers the standard-tags transformation, then storage -> processing ->
delivery -> backup -> schedules -> monitoring -> uploads -> load generators -> audit, and
returns the outputs to export. It only registers resources (no I/O), so the CLI, the offline
policy check and the local stack can run it under `stacks.engine.run_program` as often as
they like.

The program is the same for every stack; the settings switch parts off:
- `settings.network is None` (the local stack): no ECS services, no load balancer, no
  scheduled tasks — the processing and delivery components build only what needs no network
  (the local CLI runs the uploads API, drills and cache warming itself).
- `settings.delivery.cloudflare_zone_id == ""`: no Cloudflare resources.
- `settings.backup.copy_region is None`: no copy vault and no copy action.
- `settings.uploads_service.enabled` false: no uploads API service.
- `settings.schedules.drill_enabled` false / `schedules.cache_warm.schedule` None: no drill /
  no warming schedule.
- `settings.loadgen.enabled` false (the default): no load generators at all.
- `settings.storage.force_destroy`: buckets and vaults may be destroyed with their content,
  tables without deletion protection, secrets after 7 days (local and dev).
"""

from __future__ import annotations

import json
from typing import Any

import pulumi

from components.audit import MediaAudit, MediaAuditArgs
from components.backup import MediaBackup, MediaBackupArgs
from components.delivery import MediaDelivery, MediaDeliveryArgs
from components.loadgen import LoadGenArgs, LoadGenerators
from components.monitoring import MediaMonitoring, MediaMonitoringArgs
from components.processing import MediaProcessing, MediaProcessingArgs
from components.schedules import MediaSchedules, MediaSchedulesArgs
from components.storage import MediaStorage, MediaStorageArgs
from components.tagging import register_standard_tags
from components.uploads import MediaUploads, MediaUploadsArgs
from stacks.settings import NAMESPACE, BucketRole, Settings

Outputs = dict[str, Any]


def build(settings: Settings) -> Outputs:
    """Register every resource of the stack; return the outputs to export, by name."""
    register_standard_tags(settings)
    outputs: Outputs = {}

    storage = MediaStorage("storage", MediaStorageArgs(settings))
    kms_key_arn = storage.kms_key.arn
    outputs["kms_key_arn"] = kms_key_arn
    outputs.update({f"bucket_{role.value}": b.bucket for role, b in storage.buckets.items()})
    outputs.update({f"table_{name}": t.name for name, t in storage.tables.items()})

    processing = _processing(settings, storage, outputs)
    delivery = _delivery(settings, storage, processing, outputs)

    backup = MediaBackup("backup", MediaBackupArgs(settings, kms_key_arn=kms_key_arn))
    outputs["backup_vault_name"] = backup.vault.name
    outputs["backup_plan_id"] = backup.plan.id
    schedules = MediaSchedules(
        "schedules",
        MediaSchedulesArgs(
            settings,
            cluster_arn=processing.cluster.arn,
            buckets=storage.buckets,
            kms_key_arn=kms_key_arn,
        ),
    )
    outputs.update(
        {f"schedule_{r.replace('-', '_')}": s.name for r, s in schedules.schedules.items()}
    )

    monitoring = _monitoring(settings, storage, processing, delivery, backup, outputs)
    _uploads(settings, storage, processing, delivery, monitoring, outputs)
    if settings.loadgen.enabled:  # off by default: not even the component
        loadgen = LoadGenerators("loadgen", LoadGenArgs(settings))
        if loadgen.master_host is not None:
            outputs["loadgen_master_host"] = loadgen.master_host
        outputs.update({f"loadgen_workers_{k}": w.name for k, w in loadgen.workers.items()})

    audit = MediaAudit(
        "audit",
        MediaAuditArgs(
            settings,
            logs_bucket=storage.buckets[BucketRole.LOGS],
            kms_key_arn=kms_key_arn,
            depends_on=[storage.bucket_policies[BucketRole.LOGS]],
        ),
    )
    outputs["trail_arn"] = audit.trail.arn
    outputs["audit_database"] = audit.database.name
    outputs["athena_workgroup"] = audit.workgroup.name
    return outputs


def _processing(settings: Settings, storage: MediaStorage, outputs: Outputs) -> MediaProcessing:
    processing = MediaProcessing(
        "processing",
        MediaProcessingArgs(
            settings,
            buckets=storage.buckets,
            kms_key_arn=storage.kms_key.arn,
            tables=storage.tables,
        ),
    )
    outputs.update({f"queue_url_{k.value}": q.url for k, q in processing.queues.items()})
    outputs.update({f"dlq_url_{k.value}": q.url for k, q in processing.dlqs.items()})
    outputs["cluster_arn"] = processing.cluster.arn
    return processing


def _delivery(
    settings: Settings, storage: MediaStorage, processing: MediaProcessing, outputs: Outputs
) -> MediaDelivery:
    delivery = MediaDelivery(
        "delivery",
        MediaDeliveryArgs(
            settings,
            cluster_arn=processing.cluster.arn,
            derivatives_bucket=storage.buckets[BucketRole.DERIVATIVES],
            kms_key_arn=storage.kms_key.arn,
            watermark_secret_arn=processing.watermark_secret.arn,
        ),
    )
    if delivery.load_balancer is not None:
        outputs["origin_dns_name"] = delivery.load_balancer.dns_name
    if delivery.cache_ruleset is not None:
        outputs["cache_ruleset_id"] = delivery.cache_ruleset.id
    return delivery


def _monitoring(
    settings: Settings,
    storage: MediaStorage,
    processing: MediaProcessing,
    delivery: MediaDelivery,
    backup: MediaBackup,
    outputs: Outputs,
) -> MediaMonitoring:
    load_balancer, target_group = delivery.load_balancer, delivery.target_group
    monitoring = MediaMonitoring(
        "monitoring",
        MediaMonitoringArgs(
            settings,
            queues=processing.queues,
            dlqs=processing.dlqs,
            buckets=storage.buckets,
            load_balancer_arn_suffix=load_balancer.arn_suffix if load_balancer else None,
            target_group_arn_suffix=target_group.arn_suffix if target_group else None,
            backup_vault_name=backup.vault.name,
            kms_key_arn=storage.kms_key.arn,
        ),
    )
    outputs.update({f"topic_arn_{s}": t.arn for s, t in monitoring.topics.items()})
    outputs["dashboard_name"] = monitoring.dashboard.dashboard_name
    return monitoring


def _uploads(
    settings: Settings,
    storage: MediaStorage,
    processing: MediaProcessing,
    delivery: MediaDelivery,
    monitoring: MediaMonitoring,
    outputs: Outputs,
) -> MediaUploads:
    uploads = MediaUploads(
        "uploads",
        MediaUploadsArgs(
            settings,
            cluster_arn=processing.cluster.arn,
            incoming_bucket=storage.buckets[BucketRole.INCOMING],
            quotas_table=storage.tables["quotas"],
            warning_topic_arn=monitoring.topics["warning"].arn,
            kms_key_arn=storage.kms_key.arn,
            load_balancer=delivery.load_balancer,
            listener=delivery.listener,
            alb_security_group=delivery.alb_security_group,
        ),
    )
    if uploads.service is not None and uploads.token_secret is not None:
        outputs["uploads_api_url"] = pulumi.Output.from_input(f"https://{settings.delivery.domain}")
        outputs["uploads_token_secret_arn"] = uploads.token_secret.arn
    return uploads


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def settings_from_config(config: pulumi.Config | None = None) -> Settings:
    """The stack's settings from `pulumi.Config("media-infra")` (secrets arrive decrypted).

    Each top-level field of `Settings` is read by its name (or its camelCase twin, as
    `pulumi config set` users tend to write keys); objects arrive as JSON and are parsed.
    """
    config = config or pulumi.Config(NAMESPACE)
    values: dict[str, Any] = {}
    for field in Settings.model_fields:
        raw = config.get(field)
        if raw is None:
            raw = config.get(_camel(field))
        if raw is not None:
            values[field] = _parsed(raw)
    return Settings.from_mapping(
        values, source=f"stacks/Pulumi.{pulumi.get_stack()}.yaml (pulumi config {NAMESPACE}:*)"
    )


def _parsed(raw: str) -> Any:
    """A config value: objects and lists from their JSON, everything else as the string."""
    try:
        value = json.loads(raw)
    except ValueError:
        return raw
    return value if isinstance(value, dict | list) else raw
