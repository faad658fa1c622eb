"""Pure builders of S3 lifecycle rules and intelligent-tiering tiers from the bucket settings.

No resources are created here: the functions turn a `BucketSettings` into the typed
dictionaries `aws.s3.BucketLifecycleConfiguration(rules=...)` and
`aws.s3.BucketIntelligentTieringConfiguration(tierings=...)` accept, so the rules can be
tested exhaustively without an engine.

`bucket_lifecycle_rules` adds, on `derivatives`, the expiry of the delivery origin's per-user
copies under `watermarked/` (`delivery.user_copy_expire_days`): the origin re-creates a copy
on demand, so an old one is only storage. In the versioned bucket the expiry leaves a delete
marker; the bucket-wide noncurrent rule removes the expired copy later, and a second prefix
rule removes the marker once it is the only thing left. When the expiry and a transition fall
due the same day, S3 expires.
"""

from __future__ import annotations

from pulumi_aws.s3 import (
    BucketIntelligentTieringConfigurationTieringArgsDict,
    BucketLifecycleConfigurationRuleArgsDict,
    BucketLifecycleConfigurationRuleFilterArgsDict,
    BucketLifecycleConfigurationRuleTransitionArgsDict,
)

from stacks.settings import BucketRole, BucketSettings, IntelligentTiering, Settings

ENABLED = "Enabled"
TIERING_RULE_ID = "tiers"
EXPIRE_RULE_ID = "expire-current"
NONCURRENT_RULE_ID = "expire-noncurrent"
ABORT_MULTIPART_RULE_ID = "abort-incomplete-multipart"
ARCHIVE_TIERING_NAME = "archive-tiers"
USER_COPIES_RULE_ID = "expire-user-copies"
USER_COPY_MARKERS_RULE_ID = "remove-user-copy-markers"
ATHENA_RESULTS_RULE_ID = "expire-athena-results"
USER_COPIES_PREFIX = "watermarked/"
ATHENA_RESULTS_PREFIX = "athena-results/"
"""Where the audit's Athena workgroup writes query results in `logs` (outside
`access-logs/`, which the access-log table reads whole)."""
"""Where the delivery origin keeps per-user watermarked copies in `derivatives`
(`workers.origin.user_copies.WATERMARKED_PREFIX`; components may not import workers)."""


def whole_bucket() -> BucketLifecycleConfigurationRuleFilterArgsDict:
    """A lifecycle filter that matches every object of the bucket."""
    return {"prefix": ""}


def transitions(bucket: BucketSettings) -> list[BucketLifecycleConfigurationRuleTransitionArgsDict]:
    """The bucket's storage-class transitions (its tiers), in increasing days."""
    return [{"days": t.days, "storage_class": t.storage_class} for t in bucket.transitions]


def lifecycle_rules(bucket: BucketSettings) -> list[BucketLifecycleConfigurationRuleArgsDict]:
    """Every lifecycle rule of a bucket, one concern per rule, all over the whole bucket.

    - `tiers`: the transitions, when the bucket has any;
    - `expire-current`: current objects expire after `expire_days`, when set;
    - `expire-noncurrent`: noncurrent versions expire after `noncurrent_expire_days`;
    - `abort-incomplete-multipart`: incomplete multipart uploads aborted after
      `abort_multipart_days`.
    """
    rules: list[BucketLifecycleConfigurationRuleArgsDict] = []
    if bucket.transitions:
        rules.append(
            {
                "id": TIERING_RULE_ID,
                "status": ENABLED,
                "filter": whole_bucket(),
                "transitions": transitions(bucket),
            }
        )
    if bucket.expire_days is not None:
        rules.append(
            {
                "id": EXPIRE_RULE_ID,
                "status": ENABLED,
                "filter": whole_bucket(),
                "expiration": {"days": bucket.expire_days},
            }
        )
    rules.append(
        {
            "id": NONCURRENT_RULE_ID,
            "status": ENABLED,
            "filter": whole_bucket(),
            "noncurrent_version_expiration": {"noncurrent_days": bucket.noncurrent_expire_days},
        }
    )
    rules.append(
        {
            "id": ABORT_MULTIPART_RULE_ID,
            "status": ENABLED,
            "filter": whole_bucket(),
            "abort_incomplete_multipart_upload": {
                "days_after_initiation": bucket.abort_multipart_days
            },
        }
    )
    return rules


def intelligent_tierings(
    tiering: IntelligentTiering,
) -> list[BucketIntelligentTieringConfigurationTieringArgsDict]:
    """The archive tiers of an intelligent-tiering configuration (archive, then deep archive)."""
    return [
        {"access_tier": "ARCHIVE_ACCESS", "days": tiering.archive_access_days},
        {"access_tier": "DEEP_ARCHIVE_ACCESS", "days": tiering.deep_archive_access_days},
    ]


def user_copies_rules(expire_days: int) -> list[BucketLifecycleConfigurationRuleArgsDict]:
    """Expire per-user copies `expire_days` after they were made, then their delete markers
    (S3 takes `days` and `expired_object_delete_marker` only in separate rules)."""
    return [
        {
            "id": USER_COPIES_RULE_ID,
            "status": ENABLED,
            "filter": {"prefix": USER_COPIES_PREFIX},
            "expiration": {"days": expire_days},
        },
        {
            "id": USER_COPY_MARKERS_RULE_ID,
            "status": ENABLED,
            "filter": {"prefix": USER_COPIES_PREFIX},
            "expiration": {"expired_object_delete_marker": True},
        },
    ]


def athena_results_rule(expire_days: int) -> BucketLifecycleConfigurationRuleArgsDict:
    """Delete the audit's Athena query results `expire_days` after they were written."""
    return {
        "id": ATHENA_RESULTS_RULE_ID,
        "status": ENABLED,
        "filter": {"prefix": ATHENA_RESULTS_PREFIX},
        "expiration": {"days": expire_days},
    }


def bucket_lifecycle_rules(
    settings: Settings, role: BucketRole
) -> list[BucketLifecycleConfigurationRuleArgsDict]:
    """The lifecycle rules of one of the stack's buckets: its settings' whole-bucket rules, and
    on `derivatives` the per-user copies' expiry (whatever `delivery.user_watermark` says now:
    copies made before it was switched off expire too)."""
    rules = lifecycle_rules(settings.storage.buckets[role])
    if role is BucketRole.DERIVATIVES:
        rules.extend(user_copies_rules(settings.delivery.user_copy_expire_days))
    if role is BucketRole.LOGS:
        rules.append(athena_results_rule(settings.storage.athena_results_expire_days))
    return rules
