"""The boto3 calls that create one Pulumi AWS resource in moto, keyed by type token.

Each handler receives the resource's inputs (the engine's camelCase names, plain JSON) and
the boto3 clients, performs the provider's create-or-update (idempotent: applying twice
works) and returns the provider's id and state (`arn`, `url`, `name`, ...).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from botocore.exceptions import ClientError

from local.moto_api import (
    ACCOUNT_ID,
    NOTE_KEY,
    AwsApi,
    State,
    attribute_value,
    error_code,
)
from local.moto_s3 import (
    bucket,
    bucket_cors,
    bucket_encryption,
    bucket_lifecycle,
    bucket_logging,
    bucket_notification,
    bucket_ownership,
    bucket_policy,
    bucket_versioning,
    enforceable_policy,
    lifecycle_rule,
    public_access_block,
)

Handler = Callable[[AwsApi, Mapping[str, Any]], tuple[str, State]]

__all__ = ["HANDLERS", "NOTE_KEY", "AwsApi", "Handler", "enforceable_policy", "lifecycle_rule"]

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


def queue(api: AwsApi, inputs: Mapping[str, Any]) -> tuple[str, State]:
    name = str(inputs.get("name") or inputs["__name"])
    attributes = {
        api_name: attribute_value(inputs[k])
        for k, api_name in _QUEUE_ATTRIBUTES.items()
        if inputs.get(k) not in (None, "")
    }
    if inputs.get("fifoQueue"):
        attributes["FifoQueue"] = "true"
    try:
        url = api.sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    except ClientError as exc:
        if error_code(exc) not in {"QueueAlreadyExists", "QueueNameExists"}:
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
        QueueUrl=inputs["queueUrl"], Attributes={"Policy": attribute_value(policy)}
    )
    return str(inputs["queueUrl"]), dict(inputs)


def redrive_policy(api: AwsApi, inputs: Mapping[str, Any]) -> tuple[str, State]:
    api.sqs.set_queue_attributes(
        QueueUrl=inputs["queueUrl"],
        Attributes={"RedrivePolicy": attribute_value(inputs["redrivePolicy"])},
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
        attributes["FilterPolicy"] = attribute_value(inputs["filterPolicy"])
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
        TopicArn=inputs["arn"],
        AttributeName="Policy",
        AttributeValue=attribute_value(inputs["policy"]),
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
        if error_code(exc) != "ResourceInUseException":
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
    api.cloudwatch.put_dashboard(DashboardName=name, DashboardBody=attribute_value(body))
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
