"""What the local stack does with each resource type it cannot create in moto.

`emulated` types are created in moto (see `local.moto_handlers.HANDLERS`). The others are
either `stood-in` (something local plays their part: processes for ECS services, Varnish
for Cloudflare, Prometheus for alarm evaluation) or `not-emulated` (nothing local does
what they do; the reason says what that means for the tests).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from local.moto_handlers import HANDLERS

Status = Literal["emulated", "stood-in", "not-emulated", "component", "provider"]


@dataclass(frozen=True)
class Emulation:
    """How one resource type is handled locally, and why."""

    status: Status
    detail: str


_BY_PREFIX: tuple[tuple[str, Emulation], ...] = (
    (
        "aws:s3/bucketIntelligentTieringConfiguration:",
        Emulation("not-emulated", "moto ignores intelligent-tiering; lifecycle is stored"),
    ),
    (
        "aws:kms/",
        Emulation("stood-in", "SSE settings stored in moto; key ARN fabricated, no encryption"),
    ),
    (
        "aws:iam/",
        Emulation(
            "not-emulated", "local processes use moto's test credentials; IAM checked by policies"
        ),
    ),
    (
        "aws:ecs/service:",
        Emulation("stood-in", "a local process per service (`mediainfra worker run --kind ...`)"),
    ),
    ("aws:ecs/", Emulation("stood-in", "local processes supervised by `mediainfra local`")),
    ("aws:appautoscaling/", Emulation("not-emulated", "one local process per job kind")),
    (
        "aws:cloudwatch/logGroup:",
        Emulation("stood-in", "process logs under .local-stack/logs/"),
    ),
    ("aws:cloudwatch/eventRule:", Emulation("stood-in", "schedules run by the local CLI")),
    (
        "aws:cloudwatch/",
        Emulation("not-emulated", "no CloudWatch evaluation locally; Prometheus rules instead"),
    ),
    (
        "aws:backup/",
        Emulation("not-emulated", "moto has no backup jobs; drills restore from object versions"),
    ),
    ("aws:cloudtrail/", Emulation("not-emulated", "no data-event trail in moto")),
    (
        "aws:glue/",
        Emulation("stood-in", "`mediainfra audit report` reads the access logs with DuckDB"),
    ),
    (
        "aws:athena/",
        Emulation("stood-in", "`mediainfra audit report` reads the access logs with DuckDB"),
    ),
    ("aws:lb/", Emulation("stood-in", "the delivery origin on 127.0.0.1 behind Varnish")),
    ("aws:alb/", Emulation("stood-in", "the delivery origin on 127.0.0.1 behind Varnish")),
    ("aws:acm/", Emulation("not-emulated", "plain HTTP on 127.0.0.1")),
    ("aws:ec2/", Emulation("not-emulated", "no network: everything binds 127.0.0.1")),
    ("aws:scheduler/", Emulation("stood-in", "schedules run by the local CLI")),
    (
        "aws:secretsmanager/",
        Emulation("stood-in", "secrets generated into .local-stack/stack.json, passed as env"),
    ),
    ("cloudflare:", Emulation("stood-in", "Varnish edge with VCL from the same cache rules")),
)

ALARM_NOTE = "stored in moto, never evaluated; Prometheus evaluates the same thresholds"


def emulation_of(type_token: str, *, custom: bool = True) -> Emulation:
    """How the local stack handles a resource of `type_token`."""
    if not custom:
        return Emulation("component", "")
    if type_token.startswith("pulumi:providers:"):
        return Emulation("provider", "")
    if type_token == "aws:cloudwatch/metricAlarm:MetricAlarm":
        return Emulation("emulated", ALARM_NOTE)
    if type_token in HANDLERS:
        return Emulation("emulated", "created in moto")
    for prefix, emulation in _BY_PREFIX:
        if type_token.startswith(prefix):
            return emulation
    return Emulation("not-emulated", "no local emulation for this type")
