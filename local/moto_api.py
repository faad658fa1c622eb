"""Shared pieces of the moto handlers (`local.moto_handlers`): clients, state, helpers."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

ACCOUNT_ID = "123456789012"

State = dict[str, Any]


class LocalApplyError(RuntimeError):
    """A resource could not be created in moto, or the program failed under the local engine."""


@dataclass(frozen=True)
class AwsApi:
    """boto3 clients against the moto endpoint, and the region they speak for."""

    s3: Any
    sqs: Any
    sns: Any
    dynamodb: Any
    cloudwatch: Any
    region: str


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def tag_map(inputs: Mapping[str, Any]) -> dict[str, str]:
    return {str(k): str(v) for k, v in (inputs.get("tags") or {}).items()}


NOTE_KEY = "__note"
"""State key a handler sets to say how moto's copy differs from the program's resource."""


def attribute_value(value: Any) -> str:
    """A value as an AWS string attribute (booleans lowercase, whole floats as ints, JSON)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return value if isinstance(value, str) else json.dumps(value)
