"""Fixtures for the offline policy check: stack-file copies and faults injected into the
program the way a pull request could break it (settings edits and code edits)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pulumi_aws as aws
import pytest
import yaml

from stacks.settings import stack_file


@pytest.fixture
def edited_stack_file(tmp_path: Path) -> Callable[..., Path]:
    """A copy of a stack file with some `media-infra:<section>` keys changed.

    Call it as `edit(stack, section, **values)`; returns the copy's path."""

    def edit(stack: str, section: str, **values: Any) -> Path:
        document = yaml.safe_load(stack_file(stack).read_text())
        key = f"media-infra:{section}"
        document["config"][key] = {**document["config"].get(key, {}), **values}
        path = tmp_path / f"Pulumi.{stack}.edited.yaml"
        path.write_text(yaml.safe_dump(document, sort_keys=False))
        return path

    return edit


@pytest.fixture
def open_bucket_policy(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], None]:
    """A code change that turns one bucket's public access block's policy flag off."""

    def inject(role: str) -> None:
        # The class's own __init__ is patched, not the class replaced: the SDK class a type
        # token resolves to (cached by policies.tokens.resource_class) stays the real one.
        real_init = aws.s3.BucketPublicAccessBlock.__init__

        def opened(self: Any, resource_name: str, *args: Any, **kwargs: Any) -> None:
            if f"-{role}-" in resource_name:
                kwargs.update(block_public_policy=False, restrict_public_buckets=False)
            real_init(self, resource_name, *args, **kwargs)

        monkeypatch.setattr(aws.s3.BucketPublicAccessBlock, "__init__", opened)

    return inject


@pytest.fixture
def queue_without_dlq(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], None]:
    """A code change that creates one job queue without its redrive policy."""

    def inject(kind: str) -> None:
        real_init = aws.sqs.Queue.__init__  # patched in place, as in open_bucket_policy

        def undead(self: Any, resource_name: str, *args: Any, **kwargs: Any) -> None:
            if resource_name.endswith(f"-{kind}-queue"):
                kwargs.pop("redrive_policy", None)
            real_init(self, resource_name, *args, **kwargs)

        monkeypatch.setattr(aws.sqs.Queue, "__init__", undead)

    return inject


@pytest.fixture
def rendered_ttl(monkeypatch: pytest.MonkeyPatch) -> Callable[[str, int], None]:
    """A code change that renders one cache class with another edge TTL than the settings."""

    def inject(cache_class: str, edge_ttl_seconds: int) -> None:
        import components.cache_rules as cache_rules

        real, cloudflare_rule = cache_rules.cloudflare_rules, cache_rules.cloudflare_rule

        def drifted(rules: Any) -> list[Any]:
            return [
                cloudflare_rule(r.model_copy(update={"edge_ttl_seconds": edge_ttl_seconds}))
                if r.cache_class == cache_class
                else rendered
                for r, rendered in zip(rules, real(rules), strict=True)
            ]

        # the ruleset's rules come from `cache_rules.ruleset_rules`, which renders the
        # classes through this module attribute
        monkeypatch.setattr(cache_rules, "cloudflare_rules", drifted)

    return inject


@pytest.fixture
def zone_setting_value(monkeypatch: pytest.MonkeyPatch) -> Callable[[str, str], None]:
    """A code change that sets one Cloudflare zone setting to another value."""

    def inject(setting_id: str, value: str) -> None:
        import pulumi_cloudflare as cf

        real_init = cf.ZoneSetting.__init__  # patched in place, as in open_bucket_policy

        def changed(self: Any, resource_name: str, *args: Any, **kwargs: Any) -> None:
            if kwargs.get("setting_id") == setting_id:
                kwargs["value"] = value
            real_init(self, resource_name, *args, **kwargs)

        monkeypatch.setattr(cf.ZoneSetting, "__init__", changed)

    return inject


@pytest.fixture
def misdirected_alarm(monkeypatch: pytest.MonkeyPatch) -> Callable[[str, str], None]:
    """A code change that points one metric's alarm of one queue at the wrong queue name."""

    def inject(metric_name: str, queue_name: str) -> None:
        real_init = aws.cloudwatch.MetricAlarm.__init__  # patched in place, as above

        def misdirected(self: Any, resource_name: str, *args: Any, **kwargs: Any) -> None:
            dimensions = kwargs.get("dimensions")
            if kwargs.get("metric_name") == metric_name and dimensions:
                kwargs["dimensions"] = _renamed(dimensions, queue_name)
            real_init(self, resource_name, *args, **kwargs)

        monkeypatch.setattr(aws.cloudwatch.MetricAlarm, "__init__", misdirected)

    return inject


def _renamed(dimensions: Any, queue_name: str) -> Any:
    """Dimensions whose QueueName `queue_name` becomes `queue_name-typo`."""
    import pulumi

    return pulumi.Output.from_input(dimensions).apply(
        lambda d: (
            {
                **d,
                "QueueName": f"{d['QueueName']}-typo"
                if d.get("QueueName") == queue_name
                else d.get("QueueName"),
            }
            if "QueueName" in d
            else d
        )
    )
