"""Apply a Pulumi program to moto: the same program that deploys to AWS, run locally.

`MotoMocks(endpoint)` is a `pulumi.runtime.Mocks` for `stacks.engine.run_program`: its
`new_resource` performs the matching boto3 call against the moto server (in dependency
order, since the engine registers a resource only once its inputs resolved) and returns the
provider's state. Types moto cannot create are answered like a preview would
(`OfflineMocks`) and recorded as stood in for or not emulated, with the reason.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import boto3
import pulumi
import yaml
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from local.emulation import Emulation, emulation_of
from local.moto_api import LocalApplyError
from local.moto_handlers import HANDLERS, NOTE_KEY, AwsApi
from stacks.engine import OfflineMocks, ResourceRecord, run_program
from stacks.settings import Settings, stack_file

__all__ = [
    "AppliedResource",
    "LocalApply",
    "LocalApplyError",
    "MotoMocks",
    "apply_program",
    "apply_stack",
]


@dataclass(frozen=True)
class AppliedResource:
    """What the local engine did with one resource."""

    type: str
    name: str
    status: str
    """`emulated`, `stood-in`, `not-emulated`, `component` or `provider`."""
    detail: str
    id: str = ""


def aws_api(endpoint: str, region: str) -> AwsApi:
    """boto3 clients against `endpoint` with moto's test credentials."""
    session: Any = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name=region
    )
    config = Config(retries={"max_attempts": 3, "mode": "standard"})

    def client(service: str) -> Any:
        return session.client(service, endpoint_url=endpoint, config=config)

    return AwsApi(
        s3=client("s3"),
        sqs=client("sqs"),
        sns=client("sns"),
        dynamodb=client("dynamodb"),
        cloudwatch=client("cloudwatch"),
        region=region,
    )


class MotoMocks(OfflineMocks):
    """Create each resource in the moto server at `endpoint`; record what was done."""

    def __init__(self, endpoint: str, region: str = "us-east-1") -> None:
        super().__init__(region)
        self.endpoint = endpoint
        self.api = aws_api(endpoint, region)
        self.applied: list[AppliedResource] = []
        self._lock = threading.Lock()
        """The engine registers resources from several threads; moto calls go one at a time."""

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        emulation = emulation_of(args.typ, custom=bool(args.custom))
        if emulation.status == "component":
            return "", {}
        handler = HANDLERS.get(args.typ)
        if handler is None:
            resource_id, state = super().new_resource(args)
        else:
            inputs = {**_plain_inputs(args.inputs), "__name": args.name}
            try:
                with self._lock:
                    resource_id, state = handler(self.api, inputs)
            except (ClientError, BotoCoreError, KeyError, ValueError) as exc:
                raise LocalApplyError(f"{args.typ} {args.name!r}: {exc}") from exc
            state.pop("__name", None)
            note = state.pop(NOTE_KEY, None)
            if note:
                emulation = Emulation(emulation.status, f"{emulation.detail}; {note}")
        self.applied.append(
            AppliedResource(args.typ, args.name, emulation.status, emulation.detail, resource_id)
        )
        return resource_id, state

    def call(self, args: pulumi.runtime.MockCallArgs) -> Any:
        """Invokes answered like a preview; a plain dict (the mock monitor iterates failures)."""
        answer = super().call(args)
        if isinstance(answer, tuple):
            result, failures = answer
            return (result, failures) if failures else result
        return answer


def _plain_inputs(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain_inputs(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain_inputs(v) for v in value]
    return value


@dataclass(frozen=True)
class LocalApply:
    """The outcome of applying a program to moto."""

    records: list[ResourceRecord]
    applied: list[AppliedResource]
    summary: dict[str, dict[str, str]] = field(default_factory=dict)
    """Status -> {type token: detail} over the custom resources."""

    def of_status(self, status: str) -> list[AppliedResource]:
        return [entry for entry in self.applied if entry.status == status]


def summarize(applied: list[AppliedResource]) -> dict[str, dict[str, str]]:
    """Group the applied custom resources by status, then by type (with its detail)."""
    summary: dict[str, dict[str, str]] = {}
    for entry in applied:
        if entry.status in ("component", "provider"):
            continue
        summary.setdefault(entry.status, {})[entry.type] = entry.detail
    return summary


def stack_config(stack: str) -> dict[str, Any]:
    """The `config:` block of `stacks/Pulumi.<stack>.yaml` (what `pulumi.Config` reads)."""
    document = yaml.safe_load(stack_file(stack).read_text()) or {}
    return dict(document.get("config") or {})


def apply_program(
    program: Callable[[], Any],
    *,
    endpoint: str,
    stack: str,
    region: str,
    config: Mapping[str, Any] | None = None,
) -> LocalApply:
    """Run `program` with `MotoMocks` (not a preview: every value is known)."""
    mocks = MotoMocks(endpoint, region)
    records = run_program(program, stack=stack, config=config, mocks=mocks, preview=False)
    return LocalApply(records, list(mocks.applied), summarize(mocks.applied))


def apply_stack(settings: Settings, endpoint: str) -> LocalApply:
    """Apply the real program (`stacks.program.build`) of `settings.stack` to moto."""
    from stacks.program import build  # the program imports pulumi-aws: only when applying

    return apply_program(
        lambda: build(settings),
        endpoint=endpoint,
        stack=settings.stack,
        region=settings.region,
        config=stack_config(settings.stack),
    )
