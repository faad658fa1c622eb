"""Shared pieces of the settings types: the frozen base model, the error, common constraints."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

NAMESPACE = "media-infra"
STACKS_DIR = Path(__file__).resolve().parent.parent

PositiveInt = Annotated[int, Field(gt=0)]
PositiveFloat = Annotated[float, Field(gt=0)]
Percent = Annotated[float, Field(gt=0, le=100)]


class SettingsError(ValueError):
    """Invalid stack settings: names the source file, the key path and what was expected."""

    def __init__(self, source: str, problems: list[tuple[str, str]]) -> None:
        self.source = source
        self.problems = problems
        lines = [f"{source}: {key}: {message}" for key, message in problems]
        super().__init__("\n".join(lines))


class Frozen(BaseModel):
    """Base of every settings type: immutable, unknown keys rejected."""

    model_config = ConfigDict(frozen=True, extra="forbid")


def aws_schedule(value: str) -> str:
    """Validate an AWS schedule expression (EventBridge / Backup)."""
    cron = r"cron\(\S+( \S+){5}\)"
    rate = r"rate\(([2-9]|[1-9]\d+) (minutes|hours|days)\)|rate\(1 (minute|hour|day)\)"
    if not re.fullmatch(f"{cron}|{rate}", value):
        raise ValueError(
            "expected an AWS schedule expression: 'cron(min hour day-of-month month "
            "day-of-week year)' such as 'cron(0 3 ? * * *)', or 'rate(N unit)'"
        )
    return value
