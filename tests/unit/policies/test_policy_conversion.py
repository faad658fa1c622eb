"""Records -> CrossGuard arguments: links, which policies see what, levels, crashes."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws
import pytest
from pulumi_policy import (
    EnforcementLevel,
    ResourceValidationPolicy,
    StackValidationPolicy,
)

from policies.offline import PolicyCrashed, policy_resources, run_policies
from stacks.engine import ResourceRecord, run_program


class Box(pulumi.ComponentResource):
    def __init__(self, name: str) -> None:
        super().__init__("test:box:Box", name, None, None)
        child = pulumi.ResourceOptions(parent=self)
        self.media = aws.s3.Bucket(f"{name}-media", bucket="t-media", opts=child)
        self.logs = aws.s3.Bucket(f"{name}-logs", bucket="t-logs", opts=child)
        aws.s3.BucketVersioning(
            f"{name}-versioning",
            bucket=self.media.id,
            versioning_configuration={"status": "Enabled"},
            opts=child,
        )
        aws.s3.BucketLogging(
            f"{name}-logging",
            bucket=self.media.id,
            target_bucket=self.logs.id,
            target_prefix="s3/",
            opts=child,
        )
        self.register_outputs({})


@pytest.fixture(scope="module")
def records() -> list[ResourceRecord]:
    return run_program(lambda: Box("box"), stack="t")


def _by_name(resources, name):  # type: ignore[no-untyped-def]
    return next(r for r in resources if r.name == name)


def test_links_parents_dependencies_and_property_dependencies(
    records: list[ResourceRecord],
) -> None:
    resources = policy_resources(records)
    box, media, logs = (_by_name(resources, n) for n in ("box", "box-media", "box-logs"))
    versioning = _by_name(resources, "box-versioning")
    logging = _by_name(resources, "box-logging")
    assert versioning.parent is box and media.parent is box
    assert versioning.props["versioningConfiguration"] == {"status": "Enabled"}
    assert versioning.property_dependencies == {"bucket": [media]}
    assert logging.property_dependencies == {"bucket": [media], "targetBucket": [logs]}
    assert set(logging.dependencies) == {media, logs}


def _spies(seen: list[tuple[str, str]]) -> list:  # type: ignore[type-arg]
    def resource_spy(args, report):  # type: ignore[no-untyped-def]
        seen.append(("resource", args.name))
        if args.resource_type == "aws:s3/bucket:Bucket":
            report(f"bucket {args.props['bucket']}")

    def stack_spy(args, report):  # type: ignore[no-untyped-def]
        seen.append(("stack", ",".join(sorted(r.name for r in args.resources))))
        report("whole stack")
        report("the logs bucket", next(r.urn for r in args.resources if r.name == "box-logs"))

    return [
        ResourceValidationPolicy(
            "spy-resource", "sees custom resources", resource_spy, EnforcementLevel.MANDATORY
        ),
        StackValidationPolicy(
            "spy-stack", "sees every resource", stack_spy, EnforcementLevel.ADVISORY
        ),
    ]


def test_resource_policies_see_custom_resources_stack_policies_see_all(
    records: list[ResourceRecord],
) -> None:
    seen: list[tuple[str, str]] = []
    ran, violations = run_policies(records, {}, _spies(seen))
    assert ran == ["spy-resource", "spy-stack"]
    assert sorted(n for kind, n in seen if kind == "resource") == [
        "box-logging",
        "box-logs",
        "box-media",
        "box-versioning",
    ]
    assert ("stack", "box,box-logging,box-logs,box-media,box-versioning") in seen
    got = {(v.policy, v.level, v.resource, v.message) for v in violations}
    assert got == {
        ("spy-resource", EnforcementLevel.MANDATORY, "box-media", "bucket t-media"),
        ("spy-resource", EnforcementLevel.MANDATORY, "box-logs", "bucket t-logs"),
        ("spy-stack", EnforcementLevel.ADVISORY, "<stack>", "whole stack"),
        ("spy-stack", EnforcementLevel.ADVISORY, "box-logs", "the logs bucket"),
    }


def test_config_levels_disable_and_override(records: list[ResourceRecord]) -> None:
    config = {
        "spy-resource": {"enforcementLevel": "disabled"},
        "spy-stack": {"enforcementLevel": "remediate"},
    }
    ran, violations = run_policies(records, config, _spies([]))
    assert ran == ["spy-stack"]
    assert {v.level for v in violations} == {EnforcementLevel.MANDATORY}


def test_a_policy_that_raises_is_reported_with_its_name_and_resource(
    records: list[ResourceRecord],
) -> None:
    def broken(args, report):  # type: ignore[no-untyped-def]
        return args.props["missing"]

    policy = ResourceValidationPolicy("broken-policy", "raises KeyError", broken)
    with pytest.raises(PolicyCrashed, match=r"broken-policy failed on urn:pulumi:t::.*box-"):
        run_policies(records, {}, [policy])


def test_not_applicable_is_not_a_violation(records: list[ResourceRecord]) -> None:
    def skip(args, report):  # type: ignore[no-untyped-def]
        args.not_applicable("nothing to see")

    ran, violations = run_policies(records, {}, [ResourceValidationPolicy("skip", "n/a", skip)])
    assert ran == ["skip"] and violations == []
