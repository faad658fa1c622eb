"""Least-privilege policy documents: no `*` action, only the row's own resources."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from components.iam_policies import (
    DELIVERY,
    WORKER_ACCESS,
    StackArns,
    WorkerAccess,
    allowed_actions,
    allowed_resources,
    assume_role_policy,
    delivery_access,
    ecr_repository_arn,
    execution_role_policy,
    queue_policy,
    task_role_policy,
)
from components.lifecycle_rules import USER_COPIES_PREFIX
from stacks.settings import BucketRole, JobKind
from workers.origin.user_copies import WATERMARKED_PREFIX

ARNS = StackArns(
    kms_key="arn:aws:kms:eu-west-1:123456789012:key/k-1",
    buckets={role: f"arn:aws:s3:::media-{role.value}-prod" for role in BucketRole},
    queues={k: f"arn:aws:sqs:eu-west-1:123456789012:media-{k.value}-prod" for k in JobKind},
    dlqs={k: f"arn:aws:sqs:eu-west-1:123456789012:media-{k.value}-dlq-prod" for k in JobKind},
    tables={
        t: f"arn:aws:dynamodb:eu-west-1:123456789012:table/media-{t}-prod"
        for t in ("quotas", "content-refs", "jobs")
    },
    topics={
        s: f"arn:aws:sns:eu-west-1:123456789012:media-alerts-{s}-prod"
        for s in ("critical", "warning", "info")
    },
)
ACCOUNT_WIDE = {"sns:ListTopics", "ecr:GetAuthorizationToken"}


def grants(policy: dict, action: str) -> set[str]:
    """Resources on which `action` is allowed."""
    found: set[str] = set()
    for entry in policy["Statement"]:
        if entry["Effect"] == "Allow" and action in entry["Action"]:
            found.update(entry["Resource"])
    return found


def own_resources(access: WorkerAccess) -> set[str]:
    owned = {ARNS.kms_key}
    for role in {*access.reads, *access.writes, *access.deletes}:
        owned |= {ARNS.buckets[role], f"{ARNS.buckets[role]}/*"}
    for table in access.tables:
        owned |= {ARNS.tables[table], f"{ARNS.tables[table]}/index/*"}
    if access.consumes is not None:
        owned |= {ARNS.queues[access.consumes], ARNS.dlqs[access.consumes]}
    owned |= {ARNS.queues[k] for k in access.sends_to}
    owned |= {ARNS.topics[s] for s in access.alerts}
    owned |= {f"{ARNS.buckets[role]}/{prefix}*" for role, prefix in access.put_prefixes}
    return owned


def assert_least_privilege(policy: dict, access: WorkerAccess) -> None:
    json.dumps(policy)  # a plain JSON document
    for action in allowed_actions(policy):
        assert "*" not in action, action
    for entry in policy["Statement"]:
        if "*" in entry["Resource"]:
            assert set(entry["Action"]) <= ACCOUNT_WIDE, entry
    assert set(allowed_resources(policy)) - {"*"} <= own_resources(access)


def test_every_worker_row_is_least_privilege() -> None:
    for key, access in WORKER_ACCESS.items():
        assert_least_privilege(task_role_policy(access, ARNS), access), key


def test_scan_moves_uploads_and_queues_processing() -> None:
    policy = task_role_policy(WORKER_ACCESS[JobKind.SCAN.value], ARNS)
    b = ARNS.buckets
    assert grants(policy, "s3:GetObject") >= {f"{b[BucketRole.INCOMING]}/*"}
    assert grants(policy, "s3:DeleteObjectVersion") == {f"{b[BucketRole.INCOMING]}/*"}
    assert f"{b[BucketRole.QUARANTINE]}/*" in grants(policy, "s3:PutObject")
    assert f"{b[BucketRole.DERIVATIVES]}/*" not in grants(policy, "s3:PutObject")
    assert grants(policy, "sqs:ReceiveMessage") == {ARNS.queues[JobKind.SCAN]}
    assert grants(policy, "sqs:SendMessage") == {
        ARNS.dlqs[JobKind.SCAN],
        ARNS.queues[JobKind.AUDIO],
        ARNS.queues[JobKind.IMAGE],
    }
    assert ARNS.tables["content-refs"] in grants(policy, "dynamodb:UpdateItem")
    assert ARNS.tables["quotas"] not in grants(policy, "dynamodb:UpdateItem")
    assert grants(policy, "kms:GenerateDataKey") == {ARNS.kms_key}
    assert grants(policy, "sns:Publish") == {ARNS.topics["critical"], ARNS.topics["warning"]}
    assert grants(policy, "sns:ListTopics") == {"*"}


def test_audio_and_image_cannot_touch_uploads_or_delete() -> None:
    for kind in (JobKind.AUDIO, JobKind.IMAGE):
        policy = task_role_policy(WORKER_ACCESS[kind.value], ARNS)
        resources = set(allowed_resources(policy))
        assert not any(ARNS.buckets[BucketRole.INCOMING] in r for r in resources)
        assert not any(ARNS.buckets[BucketRole.QUARANTINE] in r for r in resources)
        assert not grants(policy, "s3:DeleteObject")
        assert grants(policy, "sqs:ReceiveMessage") == {ARNS.queues[kind]}
        assert f"{ARNS.buckets[BucketRole.DERIVATIVES]}/*" in grants(policy, "s3:PutObject")


def test_delivery_reads_derivatives_only() -> None:
    policy = task_role_policy(WORKER_ACCESS[DELIVERY], ARNS)
    derivatives = ARNS.buckets[BucketRole.DERIVATIVES]
    assert set(allowed_resources(policy)) == {derivatives, f"{derivatives}/*", ARNS.kms_key}
    assert not any(
        a.startswith(("s3:Put", "s3:Delete", "sqs:", "sns:")) for a in allowed_actions(policy)
    )
    assert grants(policy, "kms:GenerateDataKey") == set()


def test_delivery_without_user_copies_is_the_read_only_row() -> None:
    assert delivery_access("off") == WORKER_ACCESS[DELIVERY]
    assert WORKER_ACCESS[DELIVERY].put_prefixes == ()


@pytest.mark.parametrize("mode", ["signed-users", "required"])
def test_delivery_with_user_copies_puts_under_watermarked_only(mode: str) -> None:
    access = delivery_access(mode)
    policy = task_role_policy(access, ARNS)
    assert_least_privilege(policy, access)
    derivatives = ARNS.buckets[BucketRole.DERIVATIVES]
    assert grants(policy, "s3:PutObject") == {f"{derivatives}/watermarked/*"}
    assert [a for a in allowed_actions(policy) if a.startswith("s3:Put")] == ["s3:PutObject"]
    assert not any(a.startswith(("s3:Delete", "s3:Abort", "sqs:", "sns:", "dynamodb:"))
                   for a in allowed_actions(policy))  # fmt: skip
    assert grants(policy, "s3:GetObject") == {f"{derivatives}/*"}
    assert grants(policy, "kms:GenerateDataKey") == {ARNS.kms_key}
    # only the derivatives bucket, and the key
    assert set(allowed_resources(policy)) == {
        derivatives, f"{derivatives}/*", f"{derivatives}/watermarked/*", ARNS.kms_key
    }  # fmt: skip


def test_user_copies_prefix_is_the_origins() -> None:
    """components may not import workers: the prefix is mirrored, and must stay equal."""
    assert USER_COPIES_PREFIX == WATERMARKED_PREFIX == "watermarked/"


@pytest.mark.parametrize("prefix", ["", "/", "watermarked", "water*/", "a?/", "${aws:username}/"])
def test_put_prefix_must_be_literal(prefix: str) -> None:
    with pytest.raises(ValueError, match="put prefix"):
        WorkerAccess(put_prefixes=((BucketRole.DERIVATIVES, prefix),))


roles = st.lists(st.sampled_from(list(BucketRole)), unique=True, max_size=6).map(tuple)
prefixes = st.from_regex(r"[a-z0-9][a-z0-9/_-]{0,20}/", fullmatch=True)


@given(
    reads=roles,
    writes=roles,
    deletes=roles,
    tables=st.lists(st.sampled_from(["quotas", "content-refs", "jobs"]), unique=True).map(tuple),
    consumes=st.none() | st.sampled_from(list(JobKind)),
    sends=st.lists(st.sampled_from(list(JobKind)), unique=True).map(tuple),
    alerts=st.lists(st.sampled_from(["critical", "warning", "info"]), unique=True).map(tuple),
    put_prefixes=st.lists(st.tuples(st.sampled_from(list(BucketRole)), prefixes), max_size=3).map(
        tuple
    ),
)
def test_any_access_row_grants_only_its_own_resources(
    reads: tuple,
    writes: tuple,
    deletes: tuple,
    tables: tuple,
    consumes: JobKind | None,
    sends: tuple,
    alerts: tuple,
    put_prefixes: tuple,
) -> None:
    access = WorkerAccess(
        reads, writes, deletes, tables, consumes, sends, alerts, put_prefixes=put_prefixes
    )
    policy = task_role_policy(access, ARNS)
    assert_least_privilege(policy, access)
    assert all(entry["Resource"] for entry in policy["Statement"]), "no empty statements"
    for role in writes:
        assert f"{ARNS.buckets[role]}/*" in grants(policy, "s3:PutObject")
    for role, prefix in put_prefixes:
        assert f"{ARNS.buckets[role]}/{prefix}*" in grants(policy, "s3:PutObject")
    puts = grants(policy, "s3:PutObject")
    assert puts <= {f"{ARNS.buckets[r]}/*" for r in writes} | {
        f"{ARNS.buckets[r]}/{p}*" for r, p in put_prefixes
    }


def test_execution_role_pulls_only_its_repository() -> None:
    image = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/media-infra/worker"
    log_group = "arn:aws:logs:eu-west-1:123456789012:log-group:/media/scan"
    policy = execution_role_policy(image, log_group)
    repo = "arn:aws:ecr:eu-west-1:123456789012:repository/media-infra/worker"
    assert ecr_repository_arn(image) == repo
    assert grants(policy, "ecr:BatchGetImage") == {repo}
    assert grants(policy, "logs:PutLogEvents") == {f"{log_group}:*"}
    assert grants(policy, "ecr:GetAuthorizationToken") == {"*"}
    local = execution_role_policy("media-infra/worker", log_group)
    assert not grants(local, "ecr:BatchGetImage") and not grants(local, "ecr:GetAuthorizationToken")


def test_queue_policy_accepts_s3_only_from_the_bucket() -> None:
    queue = ARNS.queues[JobKind.SCAN]
    bucket = ARNS.buckets[BucketRole.INCOMING]
    policy = queue_policy(queue, s3_source_bucket_arn=bucket, account_id="123456789012")
    deny, allow = policy["Statement"]
    assert deny["Effect"] == "Deny"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert allow["Principal"] == {"Service": "s3.amazonaws.com"}
    assert allow["Action"] == "sqs:SendMessage" and allow["Resource"] == queue
    assert allow["Condition"]["ArnEquals"] == {"aws:SourceArn": bucket}
    assert allow["Condition"]["StringEquals"] == {"aws:SourceAccount": "123456789012"}
    assert [s["Effect"] for s in queue_policy(queue)["Statement"]] == ["Deny"]


def test_assume_role_policy() -> None:
    (entry,) = assume_role_policy()["Statement"]
    assert entry == {
        "Effect": "Allow",
        "Principal": {"Service": "ecs-tasks.amazonaws.com"},
        "Action": "sts:AssumeRole",
    }


def test_actions_are_exactly_the_data_plane_ones() -> None:
    by_sid = {s["Sid"]: s for s in task_role_policy(WORKER_ACCESS["scan"], ARNS)["Statement"]}
    assert by_sid["ConsumeQueue"]["Action"] == [
        "sqs:ChangeMessageVisibility",
        "sqs:DeleteMessage",
        "sqs:GetQueueAttributes",
        "sqs:GetQueueUrl",
        "sqs:ReceiveMessage",
    ]
    assert by_sid["DeadLetter"]["Action"] == [
        "sqs:GetQueueAttributes",
        "sqs:GetQueueUrl",
        "sqs:SendMessage",
    ]
    assert by_sid["ReadObjects"]["Action"] == [
        "s3:GetObject",
        "s3:GetObjectTagging",
        "s3:GetObjectVersion",
        "s3:GetObjectVersionTagging",
    ]
    assert by_sid["DeleteObjects"]["Action"] == ["s3:DeleteObject", "s3:DeleteObjectVersion"]
    assert by_sid["Encryption"]["Action"] == [
        "kms:Decrypt",
        "kms:DescribeKey",
        "kms:GenerateDataKey",
    ]
    assert by_sid["Tables"]["Action"] == [
        "dynamodb:ConditionCheckItem",
        "dynamodb:DeleteItem",
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:Query",
        "dynamodb:UpdateItem",
    ]
    control_plane = (
        "Create",
        "DeleteQueue",
        "DeleteTable",
        "DeleteBucket",
        "Policy",
        "Tag",
        "Purge",
    )
    for access in WORKER_ACCESS.values():
        for action in allowed_actions(task_role_policy(access, ARNS)):
            if action in {
                "s3:PutObjectTagging",
                "s3:GetObjectTagging",
                "s3:GetObjectVersionTagging",
            }:
                continue
            assert not any(word in action.split(":")[1] for word in control_plane), action
