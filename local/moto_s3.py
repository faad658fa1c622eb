"""S3 handlers of the local engine: one bucket and its sub-resources in moto."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError

from local.moto_api import NOTE_KEY, AwsApi, State, error_code, tag_map

LOG_DELIVERY_URI = "http://acs.amazonaws.com/groups/s3/LogDelivery"


def bucket(api: AwsApi, inputs: Mapping[str, Any]) -> tuple[str, State]:
    name = str(inputs.get("bucket") or inputs["__name"])
    extra = (
        {}
        if api.region == "us-east-1"
        else {"CreateBucketConfiguration": {"LocationConstraint": api.region}}
    )
    try:
        api.s3.create_bucket(Bucket=name, **extra)
    except ClientError as exc:
        if error_code(exc) not in {"BucketAlreadyOwnedByYou", "BucketAlreadyExists"}:
            raise
    tags = tag_map(inputs)
    if tags:
        api.s3.put_bucket_tagging(
            Bucket=name, Tagging={"TagSet": [{"Key": k, "Value": v} for k, v in tags.items()]}
        )
    state = {
        **inputs,
        "bucket": name,
        "arn": f"arn:aws:s3:::{name}",
        "bucketDomainName": f"{name}.s3.amazonaws.com",
        "bucketRegionalDomainName": f"{name}.s3.{api.region}.amazonaws.com",
        "region": api.region,
    }
    return name, state


def bucket_versioning(api: AwsApi, inputs: Mapping[str, Any]) -> tuple[str, State]:
    status = (inputs.get("versioningConfiguration") or {}).get("status", "Enabled")
    api.s3.put_bucket_versioning(
        Bucket=inputs["bucket"], VersioningConfiguration={"Status": status}
    )
    return str(inputs["bucket"]), dict(inputs)


def bucket_encryption(api: AwsApi, inputs: Mapping[str, Any]) -> tuple[str, State]:
    rules = []
    for rule in inputs.get("rules") or []:
        default = rule.get("applyServerSideEncryptionByDefault") or {}
        by_default = {"SSEAlgorithm": default.get("sseAlgorithm", "AES256")}
        if default.get("kmsMasterKeyId"):
            by_default["KMSMasterKeyID"] = default["kmsMasterKeyId"]
        rules.append(
            {
                "ApplyServerSideEncryptionByDefault": by_default,
                "BucketKeyEnabled": bool(rule.get("bucketKeyEnabled", False)),
            }
        )
    api.s3.put_bucket_encryption(
        Bucket=inputs["bucket"], ServerSideEncryptionConfiguration={"Rules": rules}
    )
    return str(inputs["bucket"]), dict(inputs)


def public_access_block(api: AwsApi, inputs: Mapping[str, Any]) -> tuple[str, State]:
    keys = ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets")
    config = {key: bool(inputs.get(key[0].lower() + key[1:], False)) for key in keys}
    api.s3.put_public_access_block(Bucket=inputs["bucket"], PublicAccessBlockConfiguration=config)
    return str(inputs["bucket"]), dict(inputs)


def _lifecycle_filter(rule: Mapping[str, Any]) -> dict[str, Any]:
    flt = rule.get("filter") or {}
    if flt.get("and"):
        both = flt["and"]
        return {
            "And": {
                "Prefix": both.get("prefix", ""),
                "Tags": [{"Key": k, "Value": v} for k, v in (both.get("tags") or {}).items()],
            }
        }
    if flt.get("tag"):
        return {"Tag": {"Key": flt["tag"]["key"], "Value": flt["tag"]["value"]}}
    return {"Prefix": flt.get("prefix", rule.get("prefix", "")) or ""}


def lifecycle_rule(rule: Mapping[str, Any]) -> dict[str, Any]:
    """One lifecycle rule from the engine's camelCase inputs to the S3 API's shape."""
    out: dict[str, Any] = {
        "ID": rule.get("id", "rule"),
        "Status": rule.get("status", "Enabled"),
        "Filter": _lifecycle_filter(rule),
    }
    transitions = [
        {"Days": int(t["days"]), "StorageClass": t["storageClass"]}
        for t in rule.get("transitions") or []
    ]
    if transitions:
        out["Transitions"] = transitions
    expiration = rule.get("expiration") or {}
    if expiration.get("days"):
        out["Expiration"] = {"Days": int(expiration["days"])}
    elif expiration.get("expiredObjectDeleteMarker"):
        out["Expiration"] = {"ExpiredObjectDeleteMarker": True}
    noncurrent = rule.get("noncurrentVersionExpiration") or {}
    if noncurrent.get("noncurrentDays"):
        out["NoncurrentVersionExpiration"] = {"NoncurrentDays": int(noncurrent["noncurrentDays"])}
    abort = rule.get("abortIncompleteMultipartUpload") or {}
    if abort.get("daysAfterInitiation"):
        out["AbortIncompleteMultipartUpload"] = {
            "DaysAfterInitiation": int(abort["daysAfterInitiation"])
        }
    return out


def bucket_lifecycle(api: AwsApi, inputs: Mapping[str, Any]) -> tuple[str, State]:
    rules = [lifecycle_rule(rule) for rule in inputs.get("rules") or []]
    api.s3.put_bucket_lifecycle_configuration(
        Bucket=inputs["bucket"], LifecycleConfiguration={"Rules": rules}
    )
    return str(inputs["bucket"]), dict(inputs)


def bucket_notification(api: AwsApi, inputs: Mapping[str, Any]) -> tuple[str, State]:
    def filters(entry: Mapping[str, Any]) -> dict[str, Any]:
        rules = [
            {"Name": name, "Value": entry[field]}
            for name, field in (("prefix", "filterPrefix"), ("suffix", "filterSuffix"))
            if entry.get(field)
        ]
        return {"Filter": {"Key": {"FilterRules": rules}}} if rules else {}

    config: dict[str, Any] = {}
    queues = [
        {"QueueArn": q["queueArn"], "Events": list(q["events"]), **filters(q)}
        for q in inputs.get("queues") or []
    ]
    topics = [
        {"TopicArn": t["topicArn"], "Events": list(t["events"]), **filters(t)}
        for t in inputs.get("topics") or []
    ]
    if queues:
        config["QueueConfigurations"] = queues
    if topics:
        config["TopicConfigurations"] = topics
    api.s3.put_bucket_notification_configuration(
        Bucket=inputs["bucket"], NotificationConfiguration=config
    )
    return str(inputs["bucket"]), dict(inputs)


def enforceable_policy(document: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The policy without conditional Deny statements, and the Sids dropped.

    moto enforces bucket policies but ignores their conditions, so a conditional Deny (the
    TLS-only `aws:SecureTransport = false` statement) would deny every request.
    """
    kept, dropped = [], []
    for statement in document.get("Statement", []):
        if statement.get("Effect") == "Deny" and statement.get("Condition"):
            dropped.append(str(statement.get("Sid", "(no Sid)")))
        else:
            kept.append(statement)
    return {**document, "Statement": kept}, dropped


def bucket_policy(api: AwsApi, inputs: Mapping[str, Any]) -> tuple[str, State]:
    policy = inputs["policy"]
    document = json.loads(policy) if isinstance(policy, str) else dict(policy)
    enforced, dropped = enforceable_policy(document)
    if enforced["Statement"]:
        api.s3.put_bucket_policy(Bucket=inputs["bucket"], Policy=json.dumps(enforced))
    else:
        api.s3.delete_bucket_policy(Bucket=inputs["bucket"])
    state = dict(inputs)
    if dropped:
        state[NOTE_KEY] = (
            f"conditional Deny statements not put in moto ({', '.join(dropped)}): moto ignores "
            "conditions and would deny every request"
        )
    return str(inputs["bucket"]), state


def bucket_cors(api: AwsApi, inputs: Mapping[str, Any]) -> tuple[str, State]:
    names = {
        "allowedHeaders": "AllowedHeaders",
        "allowedMethods": "AllowedMethods",
        "allowedOrigins": "AllowedOrigins",
        "exposeHeaders": "ExposeHeaders",
    }
    rules = []
    for rule in inputs.get("corsRules") or []:
        out: dict[str, Any] = {
            api_name: list(rule[k]) for k, api_name in names.items() if rule.get(k)
        }
        if rule.get("maxAgeSeconds") is not None:
            out["MaxAgeSeconds"] = int(rule["maxAgeSeconds"])
        rules.append(out)
    api.s3.put_bucket_cors(Bucket=inputs["bucket"], CORSConfiguration={"CORSRules": rules})
    return str(inputs["bucket"]), dict(inputs)


def grant_log_delivery(s3: Any, target_bucket: str) -> None:
    """Give S3's LogDelivery group WRITE and READ_ACP on the target (moto requires it)."""
    acl = s3.get_bucket_acl(Bucket=target_bucket)
    grants = [g for g in acl["Grants"] if g["Grantee"].get("URI") != LOG_DELIVERY_URI]
    for permission in ("WRITE", "READ_ACP"):
        grants.append(
            {"Grantee": {"Type": "Group", "URI": LOG_DELIVERY_URI}, "Permission": permission}
        )
    s3.put_bucket_acl(
        Bucket=target_bucket, AccessControlPolicy={"Grants": grants, "Owner": acl["Owner"]}
    )


def bucket_logging(api: AwsApi, inputs: Mapping[str, Any]) -> tuple[str, State]:
    target = str(inputs["targetBucket"])
    grant_log_delivery(api.s3, target)
    # moto 5.2 fails (HTTP 500) checking a target policy with a `"Principal": "*"`
    # statement: set logging with the policy lifted (the ACL grant authorises it), restore it.
    try:
        policy = api.s3.get_bucket_policy(Bucket=target)["Policy"]
    except ClientError as exc:
        if error_code(exc) != "NoSuchBucketPolicy":
            raise
        policy = None
    if policy:
        api.s3.delete_bucket_policy(Bucket=target)
    try:
        api.s3.put_bucket_logging(
            Bucket=inputs["bucket"],
            BucketLoggingStatus={
                "LoggingEnabled": {
                    "TargetBucket": target,
                    "TargetPrefix": inputs.get("targetPrefix", ""),
                }
            },
        )
    finally:
        if policy:
            api.s3.put_bucket_policy(Bucket=target, Policy=policy)
    return str(inputs["bucket"]), dict(inputs)


def bucket_ownership(api: AwsApi, inputs: Mapping[str, Any]) -> tuple[str, State]:
    rule = inputs.get("rule") or {}
    ownership = rule.get("objectOwnership", "BucketOwnerEnforced")
    api.s3.put_bucket_ownership_controls(
        Bucket=inputs["bucket"], OwnershipControls={"Rules": [{"ObjectOwnership": ownership}]}
    )
    return str(inputs["bucket"]), dict(inputs)
