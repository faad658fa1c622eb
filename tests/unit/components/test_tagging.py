"""The standard-tags stack transformation: every taggable AWS resource, nothing else."""

from __future__ import annotations

import importlib
import inspect

import pulumi
import pulumi_aws as aws
import pytest

from components.tagging import is_taggable, merge_tags, register_standard_tags
from stacks.engine import ResourceRecord, run_program
from stacks.settings import Settings


def class_accepts_tags(token: str) -> bool:
    """Whether the pulumi-aws class behind a type token takes a `tags` argument."""
    package, _, class_name = token.partition(":")[2].partition(":")
    module = importlib.import_module(f"pulumi_aws.{package.split('/')[0]}")
    cls = getattr(module, class_name)
    return "tags" in inspect.signature(cls._internal_init).parameters


class Box(pulumi.ComponentResource):
    def __init__(self, name: str) -> None:
        super().__init__("media-infra:test:Box", name, None, None)
        child = pulumi.ResourceOptions(parent=self)
        aws.sqs.Queue(f"{name}-queue", opts=child)
        self.register_outputs({})


@pytest.fixture(scope="module")
def records(prod_settings: Settings) -> dict[str, ResourceRecord]:
    def program() -> None:
        register_standard_tags(prod_settings)
        aws.s3.Bucket("plain")
        aws.s3.Bucket("own-tags", tags={"backup": "media-infra", "owner": "someone-else"})
        aws.s3.Bucket("output-tags", tags=pulumi.Output.from_input({"purpose": "later"}))
        key = aws.kms.Key("key")
        aws.kms.Alias("alias", name="alias/test", target_key_id=key.key_id)
        aws.Provider("other-region", region="eu-central-1")
        Box("box")

    return {r.name: r for r in run_program(program, stack="prod")}


def test_taggable_resources_get_the_standard_tags(
    records: dict[str, ResourceRecord], prod_settings: Settings
) -> None:
    for name in ("plain", "key", "box-queue"):
        assert records[name].inputs["tags"] == prod_settings.tags, name
    assert prod_settings.tags == {
        "service": "media-infra",
        "stack": "prod",
        "owner": "platform-media",
        "data-class": "confidential",
    }


def test_own_tags_are_kept_and_win(
    records: dict[str, ResourceRecord], prod_settings: Settings
) -> None:
    assert records["own-tags"].inputs["tags"] == {
        **prod_settings.tags,
        "backup": "media-infra",
        "owner": "someone-else",
    }
    assert records["output-tags"].inputs["tags"] == {**prod_settings.tags, "purpose": "later"}


def test_untaggable_resources_untouched(records: dict[str, ResourceRecord]) -> None:
    assert "tags" not in records["alias"].inputs
    assert "tags" not in records["other-region"].inputs
    assert "tags" not in records["box"].inputs
    assert not class_accepts_tags(records["alias"].type)


def test_is_taggable_follows_the_class() -> None:
    assert is_taggable("aws:s3/bucket:Bucket", {"tags": None})
    assert not is_taggable("aws:kms/alias:Alias", {"name": "x"})
    assert not is_taggable("cloudflare:index/ruleset:Ruleset", {"tags": None})
    assert not is_taggable("aws:autoscaling/group:Group", {"tags": [{"key": "a"}]})


def test_merge_tags() -> None:
    assert merge_tags({"a": "1", "b": "2"}, None) == {"a": "1", "b": "2"}
    assert merge_tags({"a": "1"}, {"a": "x", "c": "3"}) == {"a": "x", "c": "3"}
