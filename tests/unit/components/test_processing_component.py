"""MediaProcessing under the offline engine: queues, notification, roles, tasks, scaling."""

from __future__ import annotations

import json

import pytest
from pulumi_records import json_input, named, of_type, run, stand_in_buckets, stand_in_tables

from components.fargate import SETTINGS_ENV, clamd_port, clamd_reservation
from components.processing import MediaProcessing, MediaProcessingArgs
from stacks.engine import ACCOUNT_ID, ResourceRecord
from stacks.settings import BucketRole, JobKind, Settings

KMS_ARN = "arn:aws:kms:eu-west-1:123456789012:key/stand-in"


def build(settings: Settings) -> list[ResourceRecord]:
    def program() -> None:
        MediaProcessing(
            "processing",
            MediaProcessingArgs(
                settings=settings,
                buckets=stand_in_buckets(settings),
                kms_key_arn=KMS_ARN,
                tables=stand_in_tables(settings),
            ),
        )

    return run(settings, program)


@pytest.fixture(scope="module")
def prod(prod_settings: Settings) -> list[ResourceRecord]:
    return build(prod_settings)


@pytest.fixture(scope="module")
def local(local_settings: Settings) -> list[ResourceRecord]:
    return build(local_settings)


def queue_arn(settings: Settings, role: str) -> str:
    return f"arn:aws:sqs:{settings.region}:{ACCOUNT_ID}:{settings.resource_name(role)}"


def bucket_arn(settings: Settings, role: BucketRole) -> str:
    return f"arn:aws:s3:::{settings.bucket_name(role)}"


def test_component_and_children(prod: list[ResourceRecord]) -> None:
    (component,) = of_type(prod, "media-infra:processing:MediaProcessing")
    children = [r for r in prod if r.parent == component.urn]
    assert children and all(r.name.startswith("processing-") for r in children)


def test_queues_redrive_to_their_dlqs(prod: list[ResourceRecord], prod_settings: Settings) -> None:
    for kind in JobKind:
        config = prod_settings.processing.queues[kind]
        queue = named(prod, f"processing-{kind.value}-queue")
        dlq = named(prod, f"processing-{kind.value}-dlq")
        assert queue.inputs["name"] == prod_settings.resource_name(kind.value)
        assert dlq.inputs["name"] == prod_settings.resource_name(f"{kind.value}-dlq")
        assert json_input(queue, "redrivePolicy") == {
            "deadLetterTargetArn": queue_arn(prod_settings, f"{kind.value}-dlq"),
            "maxReceiveCount": config.max_receive_count,
        }
        assert queue.inputs["visibilityTimeoutSeconds"] == config.visibility_timeout_seconds
        assert dlq.inputs["messageRetentionSeconds"] == config.dlq_retention_seconds
        for record in (queue, dlq):
            encrypted = record.inputs.get("kmsMasterKeyId") == KMS_ARN
            assert encrypted or record.inputs.get("sqsManagedSseEnabled") is True
    assert named(prod, "processing-audio-queue").inputs["kmsMasterKeyId"] == KMS_ARN
    assert (
        json_input(named(prod, "processing-audio-queue"), "redrivePolicy")["maxReceiveCount"] == 3
    )


def test_scan_queue_policy_accepts_s3_from_incoming_only(
    prod: list[ResourceRecord], prod_settings: Settings
) -> None:
    record = named(prod, "processing-scan-queue-policy")
    scan_arn = queue_arn(prod_settings, "scan")
    assert record.inputs["queueUrl"].endswith("/" + prod_settings.resource_name("scan"))
    statements = {s["Sid"]: s for s in json_input(record, "policy")["Statement"]}
    allow = statements["S3EventNotifications"]
    assert allow["Principal"] == {"Service": "s3.amazonaws.com"}
    assert allow["Action"] == "sqs:SendMessage" and allow["Resource"] == scan_arn
    assert allow["Condition"]["ArnEquals"] == {
        "aws:SourceArn": bucket_arn(prod_settings, BucketRole.INCOMING)
    }
    assert allow["Condition"]["StringEquals"] == {"aws:SourceAccount": ACCOUNT_ID}
    assert statements["DenyInsecureTransport"]["Effect"] == "Deny"
    audio = json_input(named(prod, "processing-audio-queue-policy"), "policy")
    assert [s["Effect"] for s in audio["Statement"]] == ["Deny"]


def test_incoming_notifies_the_scan_queue(
    prod: list[ResourceRecord], prod_settings: Settings
) -> None:
    (notification,) = of_type(prod, "aws:s3/bucketNotification:BucketNotification")
    assert notification.inputs["bucket"] == named(prod, "stand-in-incoming").id
    assert notification.inputs["queues"] == [
        {"events": ["s3:ObjectCreated:*"], "queueArn": queue_arn(prod_settings, "scan")}
    ]
    policy = named(prod, "processing-scan-queue-policy")
    assert policy.urn in notification.dependencies


def task_policy(records: list[ResourceRecord], kind: str) -> dict:
    return json_input(named(records, f"processing-{kind}-task-policy"), "policy")


def test_task_roles_are_least_privilege(
    prod: list[ResourceRecord], prod_settings: Settings
) -> None:
    table_arns = {
        r.inputs["name"]: r.state["arn"] for r in of_type(prod, "aws:dynamodb/table:Table")
    }
    for kind in JobKind:
        policy = task_policy(prod, kind.value)
        for entry in policy["Statement"]:
            assert entry["Effect"] == "Allow"
            assert not any("*" in action for action in entry["Action"]), entry
            if "*" in entry["Resource"]:
                assert entry["Action"] == ["sns:ListTopics"]
    scan = task_policy(prod, "scan")
    resources = {r for s in scan["Statement"] for r in s["Resource"]}
    incoming = bucket_arn(prod_settings, BucketRole.INCOMING)
    assert {incoming, f"{incoming}/*", KMS_ARN} <= resources
    assert table_arns[prod_settings.resource_name("content-refs")] in resources
    assert not any(BucketRole.DERIVATIVES.value in r for r in resources)
    audio = task_policy(prod, "audio")
    audio_resources = {r for s in audio["Statement"] for r in s["Resource"]}
    assert not any(incoming in r for r in audio_resources)
    receive = next(s for s in audio["Statement"] if "sqs:ReceiveMessage" in s["Action"])
    assert receive["Resource"] == [queue_arn(prod_settings, "audio")]
    role = named(prod, "processing-audio-task-role")
    trust = json_input(role, "assumeRolePolicy")
    assert trust["Statement"][0]["Principal"] == {"Service": "ecs-tasks.amazonaws.com"}


def test_task_definitions_run_the_worker(
    prod: list[ResourceRecord], prod_settings: Settings
) -> None:
    for kind in JobKind:
        record = named(prod, f"processing-{kind.value}-task")
        service = prod_settings.processing.services[kind]
        assert record.inputs["cpu"] == str(service.cpu)
        assert record.inputs["memory"] == str(service.memory_mib)
        assert record.inputs["requiresCompatibilities"] == ["FARGATE"]
        assert record.inputs["networkMode"] == "awsvpc"
        assert (
            record.inputs["taskRoleArn"]
            == named(prod, f"processing-{kind.value}-task-role").state["arn"]
        )
        container = containers(prod, kind.value)["worker"]
        assert container["image"] == (
            "123456789012.dkr.ecr.eu-west-1.amazonaws.com/media-infra/worker:2026.11.28"
        )
        assert container["command"] == ["mediainfra", "worker", "run", "--kind", kind.value]
        env = {e["name"]: e["value"] for e in container["environment"]}
        shipped = json.loads(env[SETTINGS_ENV])
        assert "watermark_key" not in shipped["audio"]
        assert Settings.from_mapping(shipped) == prod_settings  # the rest arrives whole
        logs = container["logConfiguration"]["options"]
        assert logs["awslogs-group"] == named(prod, f"processing-{kind.value}-logs").inputs["name"]


def containers(records: list[ResourceRecord], kind: str) -> dict[str, dict]:
    record = named(records, f"processing-{kind}-task")
    return {c["name"]: c for c in json_input(record, "containerDefinitions")}


def test_scan_task_runs_clamd_sidecar_the_worker_waits_for(
    prod: list[ResourceRecord], prod_settings: Settings
) -> None:
    scan = containers(prod, "scan")
    assert set(scan) == {"worker", "clamd"}
    clamd, worker = scan["clamd"], scan["worker"]
    assert clamd["image"] == prod_settings.clamd_sidecar.image == "clamav/clamav:1.4"
    assert clamd["essential"] is True and worker["essential"] is True
    assert clamd["healthCheck"]["command"] == ["CMD-SHELL", "clamdcheck.sh"]
    assert clamd["healthCheck"]["startPeriod"] == prod_settings.clamd_sidecar.start_period_seconds
    assert worker["dependsOn"] == [{"containerName": "clamd", "condition": "HEALTHY"}]
    script = clamd["command"][0]
    assert clamd["entryPoint"] == ["/bin/sh", "-c"] and script.endswith("exec /init")
    limit = prod_settings.scan.max_file_bytes
    for line in ("TCPSocket 3310", "TCPAddr 127.0.0.1", f"StreamMaxLength {limit}",
                 f"MaxFileSize {limit}", "AlertExceedsMax yes"):  # fmt: skip
        assert f"'{line}'" in script
    settings = json.loads({e["name"]: e["value"] for e in worker["environment"]}[SETTINGS_ENV])
    assert settings["scan"]["clamd_address"] == "127.0.0.1:3310"
    for kind in ("audio", "image"):
        assert set(containers(prod, kind)) == {"worker"}
        assert "dependsOn" not in containers(prod, kind)["worker"]


def test_clamd_reservation_leaves_the_worker_room(
    prod: list[ResourceRecord], prod_settings: Settings
) -> None:
    clamd = containers(prod, "scan")["clamd"]
    task_memory = prod_settings.processing.services[JobKind.SCAN].memory_mib
    assert clamd["memoryReservation"] == 1536  # the full reservation fits the prod scan task
    assert task_memory - clamd["memoryReservation"] >= 512
    assert clamd_reservation(prod_settings, 1024) == 512
    assert clamd_reservation(prod_settings, 512) == 256
    assert clamd_reservation(prod_settings, 8192) == 1536


def test_clamd_sidecar_needs_a_loopback_address(prod_settings: Settings) -> None:
    remote = prod_settings.scan.model_copy(update={"clamd_address": "/run/clamd.sock"})
    with pytest.raises(ValueError, match="loopback"):
        clamd_port(remote)


def test_watermark_key_only_as_a_secret_reference(prod: list[ResourceRecord]) -> None:
    secret = named(prod, "processing-watermark-key-secret")
    assert secret.inputs["name"] == "musicco-media-audio-watermark-key-prod"
    assert secret.inputs["kmsKeyId"] == KMS_ARN
    assert "secretString" not in secret.inputs  # the value is put outside Pulumi
    audio = containers(prod, "audio")["worker"]
    assert audio["secrets"] == [
        {"name": "MEDIAINFRA_AUDIO_WATERMARK_KEY", "valueFrom": secret.state["arn"]}
    ]
    for kind in JobKind:
        task = named(prod, f"processing-{kind.value}-task").inputs["containerDefinitions"]
        assert "media-infra-dev-watermark-key" not in task
    policy = json_input(named(prod, "processing-audio-execution-policy"), "policy")
    reads = [s for s in policy["Statement"] if "secretsmanager:GetSecretValue" in s["Action"]]
    assert [s["Resource"] for s in reads] == [[secret.state["arn"]]]
    (decrypt,) = [s for s in policy["Statement"] if s["Sid"] == "DecryptSecrets"]
    assert decrypt["Resource"] == [KMS_ARN]
    assert decrypt["Condition"] == {
        "StringEquals": {"kms:ViaService": "secretsmanager.eu-west-1.amazonaws.com"}
    }
    for kind in ("scan", "image"):  # no secret, no right to read one
        other = json_input(named(prod, f"processing-{kind}-execution-policy"), "policy")
        assert all("secretsmanager:GetSecretValue" not in s["Action"] for s in other["Statement"])


def test_execution_role_pulls_the_worker_image(prod: list[ResourceRecord]) -> None:
    policy = json_input(named(prod, "processing-image-execution-policy"), "policy")
    pull = next(s for s in policy["Statement"] if "ecr:BatchGetImage" in s["Action"])
    assert pull["Resource"] == ["arn:aws:ecr:eu-west-1:123456789012:repository/media-infra/worker"]


def test_services_in_private_subnets_with_egress_only(
    prod: list[ResourceRecord], prod_settings: Settings
) -> None:
    assert prod_settings.network is not None
    (group,) = of_type(prod, "aws:ec2/securityGroup:SecurityGroup")
    assert group.inputs["vpcId"] == prod_settings.network.vpc_id
    assert not group.inputs.get("ingress")
    assert [(e["protocol"], e["fromPort"], e["toPort"]) for e in group.inputs["egress"]] == [
        ("tcp", 443, 443)
    ]
    (cluster,) = of_type(prod, "aws:ecs/cluster:Cluster")
    assert cluster.inputs["settings"] == [{"name": "containerInsights", "value": "enabled"}]
    for kind in JobKind:
        service = named(prod, f"processing-{kind.value}-service")
        network = service.inputs["networkConfiguration"]
        assert network["subnets"] == list(prod_settings.network.private_subnet_ids)
        assert network["securityGroups"] == [group.id]
        assert network["assignPublicIp"] is False
        assert service.inputs["launchType"] == "FARGATE"
        assert service.inputs["desiredCount"] == prod_settings.processing.services[kind].min_tasks
        assert (
            service.inputs["taskDefinition"]
            == named(prod, f"processing-{kind.value}-task").state["arn"]
        )


def test_autoscaling_on_backlog_per_task(
    prod: list[ResourceRecord], prod_settings: Settings
) -> None:
    for kind in JobKind:
        config = prod_settings.processing.services[kind]
        target = named(prod, f"processing-{kind.value}-scaling-target")
        assert (target.inputs["minCapacity"], target.inputs["maxCapacity"]) == (
            config.min_tasks,
            config.max_tasks,
        )
        assert target.inputs["scalableDimension"] == "ecs:service:DesiredCount"
        assert target.inputs["resourceId"] == (
            f"service/{prod_settings.resource_name('workers')}/"
            f"{prod_settings.resource_name(f'{kind.value}-worker')}"
        )
        policy = named(prod, f"processing-{kind.value}-backlog-scaling")
        assert policy.inputs["policyType"] == "TargetTrackingScaling"
        tracking = policy.inputs["targetTrackingScalingPolicyConfiguration"]
        assert tracking["targetValue"] == config.backlog_per_task
        metrics = {m["id"]: m for m in tracking["customizedMetricSpecification"]["metrics"]}
        visible = metrics["visible"]["metricStat"]["metric"]
        assert visible["metricName"] == "ApproximateNumberOfMessagesVisible"
        assert visible["dimensions"] == [
            {"name": "QueueName", "value": prod_settings.resource_name(kind.value)}
        ]
        assert metrics["tasks"]["metricStat"]["metric"]["metricName"] == "RunningTaskCount"
        assert metrics["backlog"]["returnData"] is True
        assert "visible / tasks" in metrics["backlog"]["expression"]
    assert (
        named(prod, "processing-audio-backlog-scaling").inputs[
            "targetTrackingScalingPolicyConfiguration"
        ]["targetValue"]
        == 5
    )


def test_local_stack_has_queues_and_tasks_but_no_services(local: list[ResourceRecord]) -> None:
    assert len(of_type(local, "aws:sqs/queue:Queue")) == 2 * len(JobKind)
    assert len(of_type(local, "aws:ecs/taskDefinition:TaskDefinition")) == len(JobKind)
    assert of_type(local, "aws:ecs/service:Service") == []
    assert of_type(local, "aws:ec2/securityGroup:SecurityGroup") == []
    assert of_type(local, "aws:appautoscaling/target:Target") == []
    local_policy = json_input(named(local, "processing-scan-execution-policy"), "policy")
    assert not any("ecr:BatchGetImage" in s["Action"] for s in local_policy["Statement"])


def without_dlq(settings: Settings, kind: JobKind) -> Settings:
    """`settings` where the queue of `kind` says `dead_letter: false`."""
    queues = dict(settings.processing.queues)
    queues[kind] = queues[kind].model_copy(update={"dead_letter": False})
    processing = settings.processing.model_copy(update={"queues": queues})
    return settings.model_copy(update={"processing": processing})


def test_queue_without_dead_letter_has_no_dlq_and_no_redrive(prod_settings: Settings) -> None:
    settings = without_dlq(prod_settings, JobKind.IMAGE)
    records = build(settings)
    names = {r.name for r in records}
    assert "processing-image-queue" in names
    assert not {"processing-image-dlq", "processing-image-dlq-policy"} & names
    assert {"processing-scan-dlq", "processing-audio-dlq"} <= names
    assert named(records, "processing-image-queue").inputs.get("redrivePolicy") is None
    assert json_input(named(records, "processing-audio-queue"), "redrivePolicy") == {
        "deadLetterTargetArn": queue_arn(settings, "audio-dlq"),
        "maxReceiveCount": 3,
    }
    image = task_policy(records, "image")
    by_sid = {s["Sid"]: s for s in image["Statement"]}
    assert "DeadLetter" not in by_sid
    assert by_sid["ConsumeQueue"]["Resource"] == [queue_arn(settings, "image")]
    assert by_sid["ConsumeQueue"]["Action"] == sorted(by_sid["ConsumeQueue"]["Action"])
    resources = {r for s in image["Statement"] for r in s["Resource"]}
    assert not any(r.endswith("-dlq-prod") for r in resources)
    audio = {s["Sid"]: s for s in task_policy(records, "audio")["Statement"]}
    assert audio["DeadLetter"]["Resource"] == [queue_arn(settings, "audio-dlq")]


def test_worker_policy_with_dlq_is_the_access_table_policy(prod: list[ResourceRecord]) -> None:
    for kind in JobKind:
        sids = [s["Sid"] for s in task_policy(prod, kind.value)["Statement"]]
        assert "ConsumeQueue" in sids and "DeadLetter" in sids
