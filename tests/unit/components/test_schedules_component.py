"""MediaSchedules under the offline engine: drill and warming schedules, tasks and roles."""

from __future__ import annotations

import pytest
from pulumi_records import json_input, named, of_type, run, stand_in_buckets
from typer.testing import CliRunner

from components.iam_policies import allowed_actions, allowed_resources
from components.schedules import MediaSchedules, MediaSchedulesArgs
from local.cache_cli import app as cache_app
from stacks.engine import ACCOUNT_ID, ResourceRecord
from stacks.settings import Settings

KMS_ARN = "arn:aws:kms:eu-west-1:123456789012:key/stand-in"
CLUSTER_ARN = "arn:aws:ecs:eu-west-1:123456789012:cluster/musicco-media-workers-prod"


def build(settings: Settings) -> list[ResourceRecord]:
    def program() -> None:
        MediaSchedules(
            "schedules",
            MediaSchedulesArgs(
                settings,
                cluster_arn=CLUSTER_ARN,
                buckets=stand_in_buckets(settings),
                kms_key_arn=KMS_ARN,
            ),
        )

    return run(settings, program)


@pytest.fixture(scope="module")
def prod(prod_settings: Settings) -> list[ResourceRecord]:
    return build(prod_settings)


def command(records: list[ResourceRecord], prefix: str) -> list[str]:
    (container,) = json_input(named(records, f"{prefix}-task"), "containerDefinitions")
    return list(container["command"])


def test_weekly_drill_schedule_runs_the_drill_task(
    prod: list[ResourceRecord], prod_settings: Settings
) -> None:
    schedule = named(prod, "schedules-restore-drill")
    assert schedule.inputs["scheduleExpression"] == prod_settings.backup.drill_schedule
    assert schedule.inputs["scheduleExpression"] == "cron(0 4 ? * SUN *)"
    assert schedule.inputs["scheduleExpressionTimezone"] == "UTC"
    assert schedule.inputs["flexibleTimeWindow"] == {"mode": "OFF"}
    target = schedule.inputs["target"]
    assert target["arn"] == CLUSTER_ARN
    assert target["roleArn"] == named(prod, "schedules-scheduler-role").state["arn"]
    ecs = target["ecsParameters"]
    assert ecs["taskDefinitionArn"] == named(prod, "schedules-drill-task").state["arn"]
    assert ecs["launchType"] == "FARGATE" and ecs["taskCount"] == 1
    assert prod_settings.network is not None
    assert ecs["networkConfiguration"]["subnets"] == list(prod_settings.network.private_subnet_ids)
    assert ecs["networkConfiguration"]["assignPublicIp"] is False
    assert command(prod, "schedules-drill") == [
        "mediainfra", "drill", "pitr", "--stack", "prod", "--bucket", "masters",
        "--prefix", "restore-drills/", "--seed", "20",
    ]  # fmt: skip


def test_off_peak_warming_schedule(prod: list[ResourceRecord], prod_settings: Settings) -> None:
    schedule = named(prod, "schedules-cache-warm")
    warm = prod_settings.schedules.cache_warm
    assert schedule.inputs["scheduleExpression"] == warm.schedule == "cron(30 4 * * ? *)"
    ecs = schedule.inputs["target"]["ecsParameters"]
    assert ecs["taskDefinitionArn"] == named(prod, "schedules-warm-task").state["arn"]
    assert command(prod, "schedules-warm") == [
        "mediainfra", "cache", "warm", "--top", str(warm.top), "--stack", "prod",
        "--off-peak-only",
    ]  # fmt: skip
    # warming only fetches through the public edge: its task role has no policy at all
    assert [r.name for r in prod if r.name == "schedules-warm-task-policy"] == []


def test_drill_role_touches_only_the_drill_prefix(
    prod: list[ResourceRecord], prod_settings: Settings
) -> None:
    policy = json_input(named(prod, "schedules-drill-task-policy"), "policy")
    masters = f"arn:aws:s3:::{prod_settings.bucket_name('masters')}"
    assert set(allowed_resources(policy)) == {masters, f"{masters}/restore-drills/*", KMS_ARN}
    listing = next(s for s in policy["Statement"] if s["Sid"] == "ListDrillPrefix")
    assert listing["Condition"] == {
        "StringLike": {"s3:prefix": ["restore-drills/", "restore-drills/*"]}
    }
    objects = next(s for s in policy["Statement"] if s["Sid"] == "DrillObjects")
    assert objects["Resource"] == [f"{masters}/restore-drills/*"]
    assert "s3:DeleteObjectVersion" in objects["Action"]
    assert not any("*" in action for action in allowed_actions(policy))


def test_scheduler_may_run_exactly_these_tasks_and_pass_their_roles(
    prod: list[ResourceRecord],
) -> None:
    role = named(prod, "schedules-scheduler-role")
    trust = json_input(role, "assumeRolePolicy")["Statement"][0]
    assert trust["Principal"] == {"Service": "scheduler.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT_ID}}
    policy = json_input(named(prod, "schedules-scheduler-policy"), "policy")
    run_tasks, pass_roles = policy["Statement"]
    assert run_tasks["Action"] == ["ecs:RunTask"]
    assert run_tasks["Resource"] == [
        f"arn:aws:ecs:eu-west-1:{ACCOUNT_ID}:task-definition/musicco-media-{task}-prod:*"
        for task in ("cache-warm", "restore-drill")
    ]
    assert run_tasks["Condition"] == {"ArnEquals": {"ecs:cluster": CLUSTER_ARN}}
    assert pass_roles["Action"] == ["iam:PassRole"]
    roles = {
        named(prod, f"schedules-{task}-{kind}-role").state["arn"]
        for task in ("drill", "warm")
        for kind in ("task", "execution")
    }
    assert set(pass_roles["Resource"]) == roles and len(roles) == 4
    assert pass_roles["Condition"] == {
        "StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}
    }


def test_switches(prod_settings: Settings, local_settings: Settings) -> None:
    """No network: nothing; drill off and warming off: only what is left."""
    local = build(local_settings)
    (component,) = of_type(local, "media-infra:schedules:MediaSchedules")
    assert [r for r in local if r.parent == component.urn] == []
    schedules = prod_settings.schedules.model_copy(
        update={
            "drill_enabled": False,
            "cache_warm": prod_settings.schedules.cache_warm.model_copy(update={"schedule": None}),
        }
    )
    off = build(prod_settings.model_copy(update={"schedules": schedules}))
    assert [r.type for r in off if r.custom] == [
        "aws:s3/bucket:Bucket"
    ] * 6  # the stand-in buckets only
    warm_only = build(
        prod_settings.model_copy(
            update={
                "schedules": prod_settings.schedules.model_copy(update={"drill_enabled": False})
            }
        )
    )
    assert [r.name for r in of_type(warm_only, "aws:scheduler/schedule:Schedule")] == [
        "schedules-cache-warm"
    ]


def test_scheduled_warming_command_is_gated_by_the_off_peak_window(
    prod: list[ResourceRecord], prod_settings: Settings
) -> None:
    """The task's own argv, run through the real `cache` CLI at noon (outside the prod window):
    it parses and warms nothing, so a late or retried start never warms at peak."""
    argv = command(prod, "schedules-warm")
    assert argv[:3] == ["mediainfra", "cache", "warm"] and "--off-peak-only" in argv
    start, end = prod_settings.schedules.cache_warm.off_peak
    assert not prod_settings.schedules.cache_warm.in_off_peak(12), (start, end)
    result = CliRunner().invoke(cache_app, [*argv[2:], "--now", "2026-11-28T12:00:00"])
    assert result.exit_code == 0, result.output
    assert "outside off-peak window" in result.output
    assert "nothing warmed" in result.output
