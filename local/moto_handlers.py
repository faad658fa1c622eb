"""The boto3 calls that create one Pulumi AWS resource in moto, keyed by type token.

Each handler receives the resource's inputs (the engine's camelCase names, plain JSON) and
the boto3 clients, performs the provider's create-or-update (idempotent: applying twice
works) and returns the provider's id and state (`arn`, `url`, `name`, ...).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

ACCOUNT_ID = "123456789012"
LOG_DELIVERY_URI = "http://acs.amazonaws.com/groups/s3/LogDelivery"

State = dict[str, Any]
Handler = Callable[["AwsApi", Mapping[str, Any]], tuple[str, State]]


@dataclass(frozen=True)
class AwsApi:
    """boto3 clients against the moto endpoint, and the region they speak for."""

    s3: Any
    sqs: Any
    sns: Any
    dynamodb: Any
    cloudwatch: Any
    region: str


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _tags(inputs: Mapping[str, Any]) -> dict[str, str]:
    return {str(k): str(v) for k, v in (inputs.get("tags") or {}).items()}


# --------------------------------------------------------------------------- S3


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
        if _code(exc) not in {"BucketAlreadyOwnedByYou", "BucketAlreadyExists"}:
            raise
    tags = _tags(inputs)
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
    if (rule.get("expiration") or {}).get("days"):
        out["Expiration"] = {"Days": int(rule["expiration"]["days"])}
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


NOTE_KEY = "__note"
"""State key a handler sets to say how moto's copy differs from the program's resource."""


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
        if _code(exc) != "NoSuchBucketPolicy":
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


# --------------------------------------------------------------------------- SQS / SNS

_QUEUE_ATTRIBUTES = {
    "visibilityTimeoutSeconds": "VisibilityTimeout",
    "messageRetentionSeconds": "MessageRetentionPeriod",
    "delaySeconds": "DelaySeconds",
    "receiveWaitTimeSeconds": "ReceiveMessageWaitTimeSeconds",
    "maxMessageSize": "MaximumMessageSize",
    "redrivePolicy": "RedrivePolicy",
    "kmsMasterKeyId": "KmsMasterKeyId",
    "sqsManagedSseEnabled": "SqsManagedSseEnabled",
    "policy": "Policy",
}


def _attribute(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return value if isinstance(value, str) else json.dumps(value)


def queue(api: AwsApi, inputs: Mapping[str, Any]) -> tuple[str, State]:
    name = str(inputs.get("name") or inputs["__name"])
    attributes = {
        api_name: _attribute(inputs[k])
        for k, api_name in _QUEUE_ATTRIBUTES.items()
        if inputs.get(k) not in (None, "")
    }
    if inputs.get("fifoQueue"):
        attributes["FifoQueue"] = "true"
    try:
        url = api.sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    except ClientError as exc:
        if _code(exc) not in {"QueueAlreadyExists", "QueueNameExists"}:
            raise
        url = api.sqs.get_queue_url(QueueName=name)["QueueUrl"]
        if attributes:
            api.sqs.set_queue_attributes(QueueUrl=url, Attributes=attributes)
    arn = api.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    return url, {**inputs, "name": name, "url": url, "arn": arn}


def queue_policy(api: AwsApi, inputs: Mapping[str, Any]) -> tuple[str, State]:
    policy = inputs["policy"]
    api.sqs.set_queue_attributes(
        QueueUrl=inputs["queueUrl"], Attributes={"Policy": _attribute(policy)}
    )
    return str(inputs["queueUrl"]), dict(inputs)


def redrive_policy(api: AwsApi, inputs: Mapping[str, Any]) -> tuple[str, State]:
    api.sqs.set_queue_attributes(
        QueueUrl=inputs["queueUrl"],
        Attributes={"RedrivePolicy": _attribute(inputs["redrivePolicy"])},
    )
    return str(inputs["queueUrl"]), dict(inputs)


def topic(api: AwsApi, inputs: Mapping[str, Any]) -> tuple[str, State]:
    name = str(inputs.get("name") or inputs["__name"])
    attributes = {}
    if inputs.get("kmsMasterKeyId"):
        attributes["KmsMasterKeyId"] = str(inputs["kmsMasterKeyId"])
    if inputs.get("displayName"):
        attributes["DisplayName"] = str(inputs["displayName"])
    arn = api.sns.create_topic(Name=name, Attributes=attributes)["TopicArn"]
    return arn, {**inputs, "name": name, "arn": arn}


def topic_subscription(api: AwsApi, inputs: Mapping[str, Any]) -> tuple[str, State]:
    attributes = {}
    if inputs.get("rawMessageDelivery"):
        attributes["RawMessageDelivery"] = "true"
    if inputs.get("filterPolicy"):
        attributes["FilterPolicy"] = _attribute(inputs["filterPolicy"])
    response = api.sns.subscribe(
        TopicArn=inputs["topic"],
        Protocol=inputs["protocol"],
        Endpoint=inputs["endpoint"],
        Attributes=attributes,
        ReturnSubscriptionArn=True,
    )
    arn = response["SubscriptionArn"]
    return arn, {**inputs, "arn": arn}


def topic_policy(api: AwsApi, inputs: Mapping[str, Any]) -> tuple[str, State]:
    api.sns.set_topic_attributes(
        TopicArn=inputs["arn"], AttributeName="Policy", AttributeValue=_attribute(inputs["policy"])
    )
    return str(inputs["arn"]), dict(inputs)


# --------------------------------------------------------------------------- DynamoDB


def table(api: AwsApi, inputs: Mapping[str, Any]) -> tuple[str, State]:
    name = str(inputs.get("name") or inputs["__name"])
    schema = [{"AttributeName": inputs["hashKey"], "KeyType": "HASH"}]
    if inputs.get("rangeKey"):
        schema.append({"AttributeName": inputs["rangeKey"], "KeyType": "RANGE"})
    attributes = [
        {"AttributeName": a["name"], "AttributeType": a["type"]}
        for a in inputs.get("attributes") or []
    ]
    billing = inputs.get("billingMode") or "PROVISIONED"
    extra: dict[str, Any] = {"BillingMode": billing}
    if billing == "PROVISIONED":
        extra["ProvisionedThroughput"] = {
            "ReadCapacityUnits": int(inputs.get("readCapacity") or 1),
            "WriteCapacityUnits": int(inputs.get("writeCapacity") or 1),
        }
    if (inputs.get("serverSideEncryption") or {}).get("enabled"):
        extra["SSESpecification"] = {"Enabled": True}
    try:
        description = api.dynamodb.create_table(
            TableName=name, KeySchema=schema, AttributeDefinitions=attributes, **extra
        )["TableDescription"]
    except ClientError as exc:
        if _code(exc) != "ResourceInUseException":
            raise
        description = api.dynamodb.describe_table(TableName=name)["Table"]
    if (inputs.get("pointInTimeRecovery") or {}).get("enabled"):
        api.dynamodb.update_continuous_backups(
            TableName=name,
            PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True},
        )
    ttl = inputs.get("ttl") or {}
    if ttl.get("enabled") and ttl.get("attributeName"):
        api.dynamodb.update_time_to_live(
            TableName=name,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl["attributeName"]},
        )
    return name, {**inputs, "name": name, "arn": description["TableArn"]}


# --------------------------------------------------------------------------- CloudWatch


def _dimensions(values: Mapping[str, Any] | None) -> list[dict[str, str]]:
    return [{"Name": str(k), "Value": str(v)} for k, v in (values or {}).items()]


def _metric_query(query: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"Id": query["id"], "ReturnData": bool(query.get("returnData", False))}
    for field, api_name in (("expression", "Expression"), ("label", "Label")):
        if query.get(field):
            out[api_name] = query[field]
    metric = query.get("metric")
    if metric:
        stat: dict[str, Any] = {
            "Metric": {
                "Namespace": metric.get("namespace", ""),
                "MetricName": metric["metricName"],
                "Dimensions": _dimensions(metric.get("dimensions")),
            },
            "Period": int(metric.get("period") or 60),
            "Stat": metric.get("stat", "Average"),
        }
        if metric.get("unit"):
            stat["Unit"] = metric["unit"]
        out["MetricStat"] = stat
    return out


def metric_alarm(api: AwsApi, inputs: Mapping[str, Any]) -> tuple[str, State]:
    """Stored in moto (describe_alarms shows it); moto never evaluates alarms."""
    name = str(inputs.get("name") or inputs["__name"])
    params: dict[str, Any] = {
        "AlarmName": name,
        "ComparisonOperator": inputs["comparisonOperator"],
        "EvaluationPeriods": int(inputs["evaluationPeriods"]),
        "ActionsEnabled": bool(inputs.get("actionsEnabled", True)),
    }
    for field, api_name in (
        ("alarmActions", "AlarmActions"),
        ("okActions", "OKActions"),
        ("insufficientDataActions", "InsufficientDataActions"),
    ):
        if inputs.get(field):
            params[api_name] = list(inputs[field])
    for field, api_name in (
        ("alarmDescription", "AlarmDescription"),
        ("metricName", "MetricName"),
        ("namespace", "Namespace"),
        ("statistic", "Statistic"),
        ("extendedStatistic", "ExtendedStatistic"),
        ("treatMissingData", "TreatMissingData"),
        ("unit", "Unit"),
        ("thresholdMetricId", "ThresholdMetricId"),
    ):
        if inputs.get(field):
            params[api_name] = inputs[field]
    if inputs.get("threshold") is not None:
        params["Threshold"] = float(inputs["threshold"])
    if inputs.get("period"):
        params["Period"] = int(inputs["period"])
    if inputs.get("datapointsToAlarm"):
        params["DatapointsToAlarm"] = int(inputs["datapointsToAlarm"])
    if inputs.get("dimensions"):
        params["Dimensions"] = _dimensions(inputs["dimensions"])
    if inputs.get("metricQueries"):
        params["Metrics"] = [_metric_query(q) for q in inputs["metricQueries"]]
    api.cloudwatch.put_metric_alarm(**params)
    arn = f"arn:aws:cloudwatch:{api.region}:{ACCOUNT_ID}:alarm:{name}"
    return name, {**inputs, "name": name, "arn": arn}


def dashboard(api: AwsApi, inputs: Mapping[str, Any]) -> tuple[str, State]:
    name = str(inputs["dashboardName"])
    body = inputs["dashboardBody"]
    api.cloudwatch.put_dashboard(DashboardName=name, DashboardBody=_attribute(body))
    arn = f"arn:aws:cloudwatch::{ACCOUNT_ID}:dashboard/{name}"
    return name, {**inputs, "dashboardArn": arn}


HANDLERS: Mapping[str, Handler] = {
    "aws:s3/bucket:Bucket": bucket,
    "aws:s3/bucketVersioning:BucketVersioning": bucket_versioning,
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": (
        bucket_encryption
    ),
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": public_access_block,
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": bucket_lifecycle,
    "aws:s3/bucketNotification:BucketNotification": bucket_notification,
    "aws:s3/bucketPolicy:BucketPolicy": bucket_policy,
    "aws:s3/bucketCorsConfiguration:BucketCorsConfiguration": bucket_cors,
    "aws:s3/bucketLogging:BucketLogging": bucket_logging,
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": bucket_ownership,
    "aws:sqs/queue:Queue": queue,
    "aws:sqs/queuePolicy:QueuePolicy": queue_policy,
    "aws:sqs/redrivePolicy:RedrivePolicy": redrive_policy,
    "aws:sns/topic:Topic": topic,
    "aws:sns/topicSubscription:TopicSubscription": topic_subscription,
    "aws:sns/topicPolicy:TopicPolicy": topic_policy,
    "aws:dynamodb/table:Table": table,
    "aws:cloudwatch/metricAlarm:MetricAlarm": metric_alarm,
    "aws:cloudwatch/dashboard:Dashboard": dashboard,
}
"""Type token -> the handler that creates the resource in moto."""
