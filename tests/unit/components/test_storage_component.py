"""`MediaStorage` under mocks: the properties of every bucket, the key and the tables."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from components.storage import MediaStorage, MediaStorageArgs
from components.tagging import register_standard_tags
from stacks.engine import ResourceRecord, run_program
from stacks.settings import BucketRole, Settings, stack_file

BUCKET = "aws:s3/bucket:Bucket"


def build_storage(settings: Settings) -> list[ResourceRecord]:
    def program() -> None:
        register_standard_tags(settings)
        MediaStorage("storage", MediaStorageArgs(settings))

    config = yaml.safe_load(stack_file(settings.stack).read_text())["config"]
    return run_program(program, stack=settings.stack, config=config)


@pytest.fixture(scope="module")
def records(prod_settings: Settings) -> list[ResourceRecord]:
    return build_storage(prod_settings)


def of_type(records: list[ResourceRecord], suffix: str) -> list[ResourceRecord]:
    return [r for r in records if r.type.endswith(suffix)]


def buckets(records: list[ResourceRecord]) -> dict[str, ResourceRecord]:
    """Bucket records by physical name."""
    return {r.inputs["bucket"]: r for r in records if r.type == BUCKET}


def attached(records: list[ResourceRecord], suffix: str, bucket: ResourceRecord) -> ResourceRecord:
    """The one configuration resource of type `suffix` on `bucket`."""
    found = [r for r in of_type(records, suffix) if r.inputs["bucket"] == bucket.id]
    assert len(found) == 1, (suffix, bucket.name, found)
    return found[0]


def rules_by_id(lifecycle: ResourceRecord) -> dict[str, dict[str, Any]]:
    return {rule["id"]: rule for rule in lifecycle.inputs["rules"]}


def test_six_buckets_named_by_settings_with_backup_tag(
    records: list[ResourceRecord], prod_settings: Settings
) -> None:
    named = buckets(records)
    assert set(named) == {prod_settings.bucket_name(role) for role in BucketRole}
    for bucket in named.values():
        assert bucket.inputs["tags"]["backup"] == "media-infra"
        assert bucket.inputs["forceDestroy"] is False


def test_lifecycle_rules_per_bucket(records: list[ResourceRecord], prod_settings: Settings) -> None:
    named = buckets(records)

    def rules(role: BucketRole) -> dict[str, dict[str, Any]]:
        bucket = named[prod_settings.bucket_name(role)]
        return rules_by_id(attached(records, "BucketLifecycleConfiguration", bucket))

    for role in (BucketRole.MASTERS, BucketRole.STEMS):
        assert rules(role)["tiers"]["transitions"] == [
            {"days": 0, "storageClass": "INTELLIGENT_TIERING"}
        ]
        assert "expire-current" not in rules(role)
    assert rules(BucketRole.DERIVATIVES)["tiers"]["transitions"] == [
        {"days": 30, "storageClass": "STANDARD_IA"},
        {"days": 90, "storageClass": "GLACIER_IR"},
    ]
    derivatives = rules(BucketRole.DERIVATIVES)
    assert derivatives["expire-user-copies"]["filter"] == {"prefix": "watermarked/"}
    assert derivatives["expire-user-copies"]["expiration"] == {
        "days": prod_settings.delivery.user_copy_expire_days
    }
    assert derivatives["remove-user-copy-markers"]["filter"] == {"prefix": "watermarked/"}
    assert derivatives["remove-user-copy-markers"]["expiration"] == {
        "expiredObjectDeleteMarker": True
    }
    logs = rules(BucketRole.LOGS)
    assert logs["expire-athena-results"]["filter"] == {"prefix": "athena-results/"}
    assert logs["expire-athena-results"]["expiration"] == {
        "days": prod_settings.storage.athena_results_expire_days
    }
    for role in set(BucketRole) - {BucketRole.DERIVATIVES, BucketRole.LOGS}:
        assert not [r for r in rules(role).values() if r["filter"] != {"prefix": ""}], role
    assert rules(BucketRole.INCOMING)["expire-current"]["expiration"] == {"days": 7}
    assert "tiers" not in rules(BucketRole.INCOMING)
    assert rules(BucketRole.QUARANTINE)["expire-current"]["expiration"] == {"days": 90}
    assert rules(BucketRole.LOGS)["expire-current"]["expiration"] == {"days": 400}
    for role in BucketRole:
        assert rules(role)["expire-noncurrent"]["noncurrentVersionExpiration"] == {
            "noncurrentDays": 30
        }
        assert rules(role)["abort-incomplete-multipart"]["abortIncompleteMultipartUpload"] == {
            "daysAfterInitiation": 7
        }
        assert all(rule["status"] == "Enabled" for rule in rules(role).values())


def test_intelligent_tiering_only_where_set(
    records: list[ResourceRecord], prod_settings: Settings
) -> None:
    tiering = of_type(records, "BucketIntelligentTieringConfiguration")
    named = buckets(records)
    tiered = {name for name, b in named.items() if any(t.inputs["bucket"] == b.id for t in tiering)}
    assert tiered == {
        prod_settings.bucket_name(BucketRole.MASTERS),
        prod_settings.bucket_name(BucketRole.STEMS),
    }
    for config in tiering:
        assert config.inputs["status"] == "Enabled"
        assert config.inputs["tierings"] == [
            {"accessTier": "ARCHIVE_ACCESS", "days": 90},
            {"accessTier": "DEEP_ARCHIVE_ACCESS", "days": 180},
        ]


def test_sse_kms_with_bucket_key_and_rotating_key(records: list[ResourceRecord]) -> None:
    (key,) = of_type(records, "kms/key:Key")
    assert key.inputs["enableKeyRotation"] is True
    assert key.inputs["deletionWindowInDays"] == 30
    for bucket in buckets(records).values():
        (rule,) = attached(records, "BucketServerSideEncryptionConfiguration", bucket).inputs[
            "rules"
        ]
        assert rule["bucketKeyEnabled"] is True
        assert rule["applyServerSideEncryptionByDefault"] == {
            "sseAlgorithm": "aws:kms",
            "kmsMasterKeyId": key.state["arn"],
        }


def test_public_access_blocked_and_versioned(records: list[ResourceRecord]) -> None:
    for bucket in buckets(records).values():
        block = attached(records, "BucketPublicAccessBlock", bucket).inputs
        for flag in (
            "blockPublicAcls",
            "blockPublicPolicy",
            "ignorePublicAcls",
            "restrictPublicBuckets",
        ):
            assert block[flag] is True, (bucket.name, flag)
        versioning = attached(records, "BucketVersioning", bucket).inputs
        assert versioning["versioningConfiguration"] == {"status": "Enabled"}
        ownership = attached(records, "BucketOwnershipControls", bucket).inputs
        assert ownership["rule"] == {"objectOwnership": "BucketOwnerEnforced"}


def test_bucket_policies_deny_insecure_transport(records: list[ResourceRecord]) -> None:
    for name, bucket in buckets(records).items():
        policy = json.loads(attached(records, "BucketPolicy", bucket).inputs["policy"])
        deny = [s for s in policy["Statement"] if s["Effect"] == "Deny"]
        assert deny == [
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [f"arn:aws:s3:::{name}", f"arn:aws:s3:::{name}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ]


def test_logs_bucket_policy_lets_access_logging_and_cloudtrail_write(
    records: list[ResourceRecord], prod_settings: Settings
) -> None:
    logs = buckets(records)[prod_settings.bucket_name(BucketRole.LOGS)]
    policy = json.loads(attached(records, "BucketPolicy", logs).inputs["policy"])
    allows = {s["Sid"]: s for s in policy["Statement"] if s["Effect"] == "Allow"}
    logging = allows["S3ServerAccessLogsWrite"]
    assert logging["Principal"] == {"Service": "logging.s3.amazonaws.com"}
    assert logging["Condition"]["ArnLike"]["aws:SourceArn"] == sorted(
        f"arn:aws:s3:::{prod_settings.bucket_name(r)}" for r in BucketRole if r != BucketRole.LOGS
    )
    trail = allows["CloudTrailWrite"]
    assert trail["Principal"] == {"Service": "cloudtrail.amazonaws.com"}
    assert trail["Resource"] == (
        f"arn:aws:s3:::{logs.inputs['bucket']}/cloudtrail/AWSLogs/123456789012/*"
    )
    assert allows["CloudTrailAclCheck"]["Action"] == "s3:GetBucketAcl"


def test_access_logging_into_logs_except_logs(
    records: list[ResourceRecord], prod_settings: Settings
) -> None:
    named = buckets(records)
    logs = named[prod_settings.bucket_name(BucketRole.LOGS)]
    loggings = of_type(records, "BucketLogging")
    assert len(loggings) == 5
    assert not any(r.inputs["bucket"] == logs.id for r in loggings)
    for name, bucket in named.items():
        if bucket is logs:
            continue
        logging = attached(records, "BucketLogging", bucket).inputs
        assert logging["targetBucket"] == logs.id
        assert logging["targetPrefix"] == f"access-logs/{name}/"


def test_cors_on_incoming_exposes_etag(
    records: list[ResourceRecord], prod_settings: Settings
) -> None:
    (cors,) = of_type(records, "BucketCorsConfiguration")
    incoming = buckets(records)[prod_settings.bucket_name(BucketRole.INCOMING)]
    assert cors.inputs["bucket"] == incoming.id
    (rule,) = cors.inputs["corsRules"]
    assert rule["exposeHeaders"] == ["ETag"]
    assert set(rule["allowedMethods"]) >= {"PUT", "POST"}
    assert rule["allowedOrigins"] == list(prod_settings.storage.cors_origins)


def test_tables_the_workers_use(records: list[ResourceRecord], prod_settings: Settings) -> None:
    (key,) = of_type(records, "kms/key:Key")
    tables = {r.inputs["name"]: r.inputs for r in of_type(records, "dynamodb/table:Table")}
    expected = {"quotas": "user_id", "content-refs": "pk", "jobs": "pk"}
    assert set(tables) == {prod_settings.resource_name(t) for t in expected}
    for table, hash_key in expected.items():
        inputs = tables[prod_settings.resource_name(table)]
        assert inputs["hashKey"] == hash_key
        assert inputs["attributes"] == [{"name": hash_key, "type": "S"}]
        assert inputs["billingMode"] == "PAY_PER_REQUEST"
        assert inputs["pointInTimeRecovery"] == {"enabled": True}
        assert inputs["serverSideEncryption"] == {"enabled": True, "kmsKeyArn": key.state["arn"]}
        assert inputs["deletionProtectionEnabled"] is True


def test_children_parented_and_named_after_component(records: list[ResourceRecord]) -> None:
    (component,) = [r for r in records if r.type == "media-infra:storage:MediaStorage"]
    children = [r for r in records if r is not component]
    assert all(r.parent == component.urn for r in children)
    assert all(r.name.startswith("storage-") for r in children)


def test_local_stack_may_destroy_buckets_and_tables(local_settings: Settings) -> None:
    records = build_storage(local_settings)
    assert all(b.inputs["forceDestroy"] is True for b in buckets(records).values())
    assert all(
        t.inputs["deletionProtectionEnabled"] is False
        for t in of_type(records, "dynamodb/table:Table")
    )


def test_key_policy_lets_log_writers_use_the_key(records: list[ResourceRecord]) -> None:
    (key,) = of_type(records, "kms/key:Key")
    statements = {s["Sid"]: s for s in json.loads(key.inputs["policy"])["Statement"]}
    assert statements["AccountAdministers"]["Principal"] == {
        "AWS": "arn:aws:iam::123456789012:root"
    }
    services = statements["ServicesEncrypt"]
    assert {"logging.s3.amazonaws.com", "cloudtrail.amazonaws.com"} <= set(
        services["Principal"]["Service"]
    )
    assert "kms:GenerateDataKey*" in services["Action"]
    assert "kms:*" not in services["Action"]
    assert services["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"}}
    (alias,) = of_type(records, "kms/alias:Alias")
    assert alias.inputs["name"] == "alias/musicco-media-media-prod"


def with_public_bucket(settings: Settings, role: BucketRole) -> Settings:
    """`settings` where the bucket of `role` says `public_read: true`."""
    buckets = dict(settings.storage.buckets)
    buckets[role] = buckets[role].model_copy(update={"public_read": True})
    storage = settings.storage.model_copy(update={"buckets": buckets})
    return settings.model_copy(update={"storage": storage})


def test_public_read_bucket_is_open_to_anonymous_gets_only(prod_settings: Settings) -> None:
    records = build_storage(with_public_bucket(prod_settings, BucketRole.DERIVATIVES))
    public = prod_settings.bucket_name(BucketRole.DERIVATIVES)
    flags = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    for name, bucket in buckets(records).items():
        block = attached(records, "BucketPublicAccessBlock", bucket).inputs
        assert [block[flag] for flag in flags] == [name != public] * 4, name
        policy = json.loads(attached(records, "BucketPolicy", bucket).inputs["policy"])
        anonymous = [
            s for s in policy["Statement"] if s["Effect"] == "Allow" and s["Principal"] == "*"
        ]
        assert anonymous == (
            [
                {
                    "Sid": "PublicReadObjects",
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "s3:GetObject",
                    "Resource": f"arn:aws:s3:::{public}/*",
                }
            ]
            if name == public
            else []
        ), name
        assert [s["Sid"] for s in policy["Statement"] if s["Effect"] == "Deny"] == [
            "DenyInsecureTransport"
        ]
