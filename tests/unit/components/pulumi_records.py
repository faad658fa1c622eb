"""Helpers for component tests: run a program under the offline engine, query its records."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pulumi
import pulumi_aws as aws
import yaml

from stacks.engine import OfflineMocks, ResourceRecord, run_program
from stacks.settings import BucketRole, Settings, stack_file


class ComponentMocks(OfflineMocks):
    """`OfflineMocks` whose invoke results the installed SDK accepts.

    pulumi 3.272's mock monitor iterates the failures of a `(result, failures)` tuple, so
    `None` failures raise; a plain result mapping is accepted by every version.
    """

    def call(self, args: pulumi.runtime.MockCallArgs) -> Any:
        result = super().call(args)
        return result[0] if isinstance(result, tuple) else result


def stack_config(stack: str) -> dict[str, Any]:
    """The `config:` block of a stack file."""
    return dict(yaml.safe_load(stack_file(stack).read_text())["config"])


def run(
    settings: Settings, program: Callable[[], Any], mocks: pulumi.runtime.Mocks | None = None
) -> list[ResourceRecord]:
    """Run `program` as the settings' stack, with that stack's config, under mocks."""
    return run_program(
        program,
        stack=settings.stack,
        config=stack_config(settings.stack),
        mocks=mocks or ComponentMocks(settings.region),
    )


def stand_in_buckets(settings: Settings) -> dict[BucketRole, aws.s3.Bucket]:
    """Plain buckets with the stack's physical names (stand-ins for MediaStorage's)."""
    return {
        role: aws.s3.Bucket(f"stand-in-{role.value}", bucket=settings.bucket_name(role))
        for role in BucketRole
    }


def stand_in_tables(settings: Settings) -> dict[str, aws.dynamodb.Table]:
    return {
        role: aws.dynamodb.Table(
            f"stand-in-{role}",
            name=settings.resource_name(role),
            hash_key="pk",
            attributes=[aws.dynamodb.TableAttributeArgs(name="pk", type="S")],
            billing_mode="PAY_PER_REQUEST",
        )
        for role in ("quotas", "content-refs", "jobs")
    }


def of_type(records: list[ResourceRecord], type_: str) -> list[ResourceRecord]:
    return [r for r in records if r.type == type_]


def named(records: list[ResourceRecord], name: str) -> ResourceRecord:
    found = [r for r in records if r.name == name]
    assert len(found) == 1, f"{name}: {len(found)} records"
    return found[0]


def json_input(record: ResourceRecord, key: str) -> Any:
    value = record.inputs[key]
    assert isinstance(value, str), f"{record.name}.{key} is {value!r}"
    return json.loads(value)
