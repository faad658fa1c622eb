"""MediaUploads under the offline engine: listener rule, task role, token secret, service."""

from __future__ import annotations

import pulumi_aws as aws
import pytest
from pulumi_records import json_input, named, of_type, run, stand_in_buckets, stand_in_tables

from components.iam_policies import allowed_actions
from components.uploads import MediaUploads, MediaUploadsArgs
from stacks.engine import ResourceRecord
from stacks.settings import BucketRole, Settings

KMS_ARN = "arn:aws:kms:eu-west-1:123456789012:key/stand-in"
CLUSTER_ARN = "arn:aws:ecs:eu-west-1:123456789012:cluster/musicco-media-workers-prod"
TOPIC_ARN = "arn:aws:sns:eu-west-1:123456789012:musicco-media-alerts-warning-prod"


def build(settings: Settings) -> list[ResourceRecord]:
    def program() -> None:
        buckets = stand_in_buckets(settings)
        tables = stand_in_tables(settings)
        group = aws.ec2.SecurityGroup("stand-in-alb-sg", vpc_id="vpc-1")
        balancer = aws.lb.LoadBalancer("stand-in-alb", load_balancer_type="application")
        listener = aws.lb.Listener(
            "stand-in-https",
            load_balancer_arn=balancer.arn,
            port=443,
            protocol="HTTPS",
            default_actions=[{"type": "fixed-response", "fixed_response": {"content_type": "x"}}],
        )
        MediaUploads(
            "uploads",
            MediaUploadsArgs(
                settings,
                cluster_arn=CLUSTER_ARN,
                incoming_bucket=buckets[BucketRole.INCOMING],
                quotas_table=tables["quotas"],
                warning_topic_arn=TOPIC_ARN,
                kms_key_arn=KMS_ARN,
                load_balancer=balancer,
                listener=listener,
                alb_security_group=group,
            ),
        )

    return run(settings, program)


@pytest.fixture(scope="module")
def prod(prod_settings: Settings) -> list[ResourceRecord]:
    return build(prod_settings)


def test_listener_rule_sends_multipart_paths_to_its_target_group(
    prod: list[ResourceRecord], prod_settings: Settings
) -> None:
    rule = named(prod, "uploads-rule")
    assert rule.inputs["listenerArn"] == named(prod, "stand-in-https").state["arn"]
    assert rule.inputs["priority"] == prod_settings.uploads_service.listener_rule_priority
    assert rule.inputs["conditions"] == [{"pathPattern": {"values": ["/s3/multipart*"]}}]
    (action,) = rule.inputs["actions"]
    target_group = named(prod, "uploads-tg")
    assert action == {"type": "forward", "targetGroupArn": target_group.state["arn"]}
    assert target_group.inputs["port"] == prod_settings.uploads.port == 8070
    assert target_group.inputs["healthCheck"]["path"] == "/healthz"


def test_task_role_is_exactly_what_the_api_calls(
    prod: list[ResourceRecord], prod_settings: Settings
) -> None:
    policy = json_input(named(prod, "uploads-api-task-policy"), "policy")
    incoming = f"arn:aws:s3:::{prod_settings.bucket_name('incoming')}"
    quotas = named(prod, "stand-in-quotas").state["arn"]
    by_sid = {s["Sid"]: (s["Action"], s["Resource"]) for s in policy["Statement"]}
    assert by_sid == {
        "MultipartObjects": (
            ["s3:AbortMultipartUpload", "s3:ListMultipartUploadParts", "s3:PutObject"],
            [f"{incoming}/*"],
        ),
        "MultipartUploads": (["s3:ListBucketMultipartUploads"], [incoming]),
        "Quotas": (
            ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Scan", "dynamodb:UpdateItem"],
            [quotas],
        ),
        "QuotaWarnings": (["sns:Publish"], [TOPIC_ARN]),
        "FindAlertTopic": (["sns:ListTopics"], ["*"]),
        "Encryption": (["kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey"], [KMS_ARN]),
    }
    assert not any(a.endswith("*") for a in allowed_actions(policy))


def test_token_secret_injected_by_reference_only(
    prod: list[ResourceRecord], prod_settings: Settings
) -> None:
    secret = named(prod, "uploads-token-secret")
    assert secret.inputs["name"] == "musicco-media-uploads-token-secret-prod"
    assert secret.inputs["kmsKeyId"] == KMS_ARN and "secretString" not in secret.inputs
    assert of_type(prod, "aws:secretsmanager/secretVersion:SecretVersion") == []
    (container,) = json_input(named(prod, "uploads-api-task"), "containerDefinitions")
    assert container["secrets"] == [
        {"name": "MEDIAINFRA_UPLOAD_TOKEN_SECRET", "valueFrom": secret.state["arn"]}
    ]
    assert prod_settings.uploads.token_secret_env == "MEDIAINFRA_UPLOAD_TOKEN_SECRET"
    assert all(e["name"] != "MEDIAINFRA_UPLOAD_TOKEN_SECRET" for e in container["environment"])
    assert container["command"] == [
        "mediainfra", "uploads-api", "--stack", "prod", "--host", "0.0.0.0", "--port", "8070"
    ]  # fmt: skip
    execution = json_input(named(prod, "uploads-api-execution-policy"), "policy")
    reads = [s for s in execution["Statement"] if "secretsmanager:GetSecretValue" in s["Action"]]
    assert [s["Resource"] for s in reads] == [[secret.state["arn"]]]


def test_service_behind_the_alb_in_private_subnets(
    prod: list[ResourceRecord], prod_settings: Settings
) -> None:
    assert prod_settings.network is not None
    service = named(prod, "uploads-service")
    assert service.inputs["cluster"] == CLUSTER_ARN
    (balancer,) = service.inputs["loadBalancers"]
    assert balancer["targetGroupArn"] == named(prod, "uploads-tg").state["arn"]
    assert balancer["containerPort"] == 8070
    assert named(prod, "uploads-rule").urn in service.dependencies
    network = service.inputs["networkConfiguration"]
    assert network["subnets"] == list(prod_settings.network.private_subnet_ids)
    assert network["assignPublicIp"] is False
    group = named(prod, "uploads-sg")
    (ingress,) = group.inputs["ingress"]
    assert ingress["securityGroups"] == [named(prod, "stand-in-alb-sg").id]
    assert (ingress["fromPort"], ingress["toPort"]) == (8070, 8070)
    assert not ingress.get("cidrBlocks")
    scaling = named(prod, "uploads-api-request-scaling")
    tracking = scaling.inputs["targetTrackingScalingPolicyConfiguration"]
    assert tracking["targetValue"] == prod_settings.uploads_service.service.backlog_per_task


def test_no_network_or_switched_off_means_no_service(
    local_settings: Settings, prod_settings: Settings
) -> None:
    for settings in (
        local_settings,
        prod_settings.model_copy(
            update={
                "uploads_service": prod_settings.uploads_service.model_copy(
                    update={"enabled": False}
                )
            }
        ),
    ):
        records = build(settings)
        (component,) = of_type(records, "media-infra:uploads:MediaUploads")
        assert [r for r in records if r.parent == component.urn] == []
