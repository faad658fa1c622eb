"""Run the Pulumi program in-process, without the CLI, and record the resource graph.

Pulumi's CLI and provider plugins are not needed: the program runs under
`pulumi.runtime.set_mocks` with a `RecordingMonitor` that keeps every `RegisterResource`
(type, name, parent, inputs, dependencies) and asks a `pulumi.runtime.Mocks` for each
resource's id and state. `OfflineMocks` answers like a provider would for a preview; the
local stack passes its own mocks that create the resources in moto.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import settings as pulumi_settings
from pulumi.runtime.config import set_all_config

from stacks.settings import NAMESPACE

ACCOUNT_ID = "123456789012"
CF_PERMISSION_GROUPS_TOKEN = (
    "cloudflare:index/getApiTokenPermissionGroupsList:getApiTokenPermissionGroupsList"
)
ZONE_SCOPE = "com.cloudflare.api.account.zone"
CF_PERMISSION_GROUPS: tuple[dict[str, Any], ...] = tuple(
    {
        "id": group_id,
        "name": name,
        "category": category,
        "isSelectable": True,
        "scopes": [ZONE_SCOPE],
    }
    for group_id, name, category in (
        ("e17beae8b8cb423a99b1730f21238bed", "Cache Purge", "cache_and_performance"),
        ("c8fed203ed3043cba015a93ad1616f1f", "Zone Read", "dns_and_zones"),
        ("4755a26eedb94da69e1066d98aa820be", "DNS Write", "dns_and_zones"),
    )
)
"""A few of Cloudflare's API token permission groups, with their public ids, as
`getApiTokenPermissionGroupsList` returns them (camelCase engine names)."""


@dataclass(frozen=True)
class ResourceRecord:
    """One registered resource as the engine saw it."""

    urn: str
    type: str
    name: str
    parent: str
    """URN of the parent resource ("" for the stack itself)."""
    custom: bool
    inputs: dict[str, Any]
    dependencies: tuple[str, ...]
    id: str = ""
    state: dict[str, Any] = field(default_factory=dict)


class RecordingMonitor(pulumi_mocks.MockMonitor):
    """A mock resource monitor that records every registration, components included."""

    def __init__(self, mocks: pulumi.runtime.Mocks) -> None:
        super().__init__(mocks)
        self.records: list[ResourceRecord] = []

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)
        if request.type == "pulumi:pulumi:Stack":
            return response
        registration = self.resources.get(response.urn)
        inputs = _plain(pulumi_mocks._sync_await(_deserialize(request.object)))
        self.records.append(
            ResourceRecord(
                urn=response.urn,
                type=request.type,
                name=request.name,
                parent=request.parent,
                custom=bool(request.custom),
                inputs=inputs,
                dependencies=tuple(request.dependencies),
                id=registration.id if registration else "",
                state=_plain(registration.state) if registration else {},
            )
        )
        return response


async def _deserialize(struct: Any) -> Any:
    from pulumi.runtime import rpc

    return rpc.deserialize_properties(struct)


def _plain(value: Any) -> Any:
    """Unknowns and secrets as plain JSON-able values (unknown -> None)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return None


class OfflineMocks(pulumi.runtime.Mocks):
    """Answers like a provider during preview: ids, ARNs, URLs and names from the inputs;
    the caller identity, region and partition; Cloudflare's token permission groups."""

    def __init__(self, region: str = "eu-west-1") -> None:
        self.region = region

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        state = dict(args.inputs)
        name = state.get("name") or state.get("bucket") or args.name
        service = args.typ.split(":")[1].split("/")[0] if ":" in args.typ else "unknown"
        state.setdefault("arn", f"arn:aws:{service}:{self.region}:{ACCOUNT_ID}:{name}")
        if args.typ == "aws:s3/bucket:Bucket":
            state["arn"] = f"arn:aws:s3:::{name}"
            state.setdefault("bucket", name)
            state.setdefault("bucketRegionalDomainName", f"{name}.s3.{self.region}.amazonaws.com")
        if args.typ == "aws:sqs/queue:Queue":
            state["url"] = f"https://sqs.{self.region}.amazonaws.com/{ACCOUNT_ID}/{name}"
        state.setdefault("name", name)
        state.setdefault("arnSuffix", f"app/{name}/0123456789abcdef")
        return f"{args.name}-id", state

    def call(
        self, args: pulumi.runtime.MockCallArgs
    ) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        if args.token == "aws:index/getCallerIdentity:getCallerIdentity":
            arn = f"arn:aws:iam::{ACCOUNT_ID}:user/preview"
            return {"accountId": ACCOUNT_ID, "arn": arn}, []
        if args.token == "aws:index/getRegion:getRegion":
            return {"name": self.region, "region": self.region}, []
        if args.token == "aws:index/getPartition:getPartition":
            return {"partition": "aws", "dnsSuffix": "amazonaws.com"}, []
        if args.token == CF_PERMISSION_GROUPS_TOKEN:
            return permission_groups(args.args), []
        return {}, []


def permission_groups(filters: Mapping[str, Any]) -> dict[str, Any]:
    """The permission-group list invoke's result: the known groups matching `name`/`scope`."""
    name, scope = filters.get("name"), filters.get("scope")
    results = [
        dict(group)
        for group in CF_PERMISSION_GROUPS
        if (not name or group["name"] == name) and (not scope or scope in group["scopes"])
    ]
    return {
        "maxItems": filters.get("maxItems"),
        "name": name,
        "scope": scope,
        "results": results,
    }


def config_strings(values: Mapping[str, Any]) -> dict[str, str]:
    """A stack file's `config:` block as the engine passes it: strings, objects as JSON."""
    return {
        key: value if isinstance(value, str) else json.dumps(value) for key, value in values.items()
    }


def run_program(
    program: Callable[[], Any],
    *,
    stack: str,
    config: Mapping[str, Any] | None = None,
    mocks: pulumi.runtime.Mocks | None = None,
    preview: bool = True,
    project: str = NAMESPACE,
) -> list[ResourceRecord]:
    """Run `program` as a Pulumi stack in-process and return what it registered, in order."""
    mocks = mocks or OfflineMocks()
    monitor = RecordingMonitor(mocks)
    pulumi_settings.ROOT.set(None)
    pulumi_settings.SETTINGS.rpc_manager.clear()
    pulumi_settings.SETTINGS.outputs.clear()
    set_all_config(config_strings(config or {}), [])
    pulumi_mocks.set_mocks(mocks, project=project, stack=stack, preview=preview, monitor=monitor)
    pulumi_settings.ROOT.set(None)  # set_mocks made a root stack; run_in_stack makes its own
    try:
        pulumi_mocks._sync_await(_run_in_stack(program))
    finally:
        pulumi_settings.ROOT.set(None)
    return monitor.records


async def _run_in_stack(program: Callable[[], Any]) -> None:
    from pulumi.runtime.stack import run_in_stack

    await run_in_stack(program)
