"""Where a stack is reached: its AWS endpoint and HTTP addresses, resolved from settings.

For the `local` environment the addresses come from the local stack's state file
(`.local-stack/stack.json`, written by `mediainfra local up`: the ports it bound), read as
plain JSON so the harness stays black-box. An explicit `--endpoint-url` wins. For cloud
stacks the endpoint is AWS itself (None) and the HTTP addresses come from the options.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import boto3
from botocore.config import Config

from drills.errors import TargetError
from stacks.settings import Settings

REPO_ROOT = Path(__file__).resolve().parent.parent
LOCAL_STATE_FILE = REPO_ROOT / ".local-stack" / "stack.json"
DUMMY_CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


@dataclass(frozen=True)
class StackEndpoints:
    """The addresses of one running stack (None where not known)."""

    aws: str | None
    edge: str | None = None
    uploads: str | None = None
    upload_token_secret: str | None = None


def local_state(state_file: Path = LOCAL_STATE_FILE) -> dict[str, object] | None:
    """The local stack's state (ports, secrets) or None when `local up` never ran."""
    try:
        data = json.loads(state_file.read_text())
    except FileNotFoundError:
        return None
    except (OSError, json.JSONDecodeError) as exc:
        raise TargetError(f"cannot read the local stack state {state_file}: {exc}") from None
    return data if isinstance(data, dict) else None


def resolve_endpoints(
    settings: Settings, endpoint_url: str | None = None, state_file: Path = LOCAL_STATE_FILE
) -> StackEndpoints:
    """The stack's endpoints: explicit URL, else the local state file, else AWS (cloud)."""
    if settings.environment != "local":
        return StackEndpoints(aws=endpoint_url)
    state = local_state(state_file)
    if state is None:
        if endpoint_url:
            return StackEndpoints(aws=endpoint_url)
        raise TargetError(
            f"the local stack is not running (no {state_file}): run `mediainfra local up` "
            "or pass --endpoint-url"
        )
    ports = state.get("ports", {})
    secrets = state.get("secrets", {})
    assert isinstance(ports, dict) and isinstance(secrets, dict)
    return StackEndpoints(
        aws=endpoint_url or f"http://127.0.0.1:{ports['moto']}",
        edge=f"http://127.0.0.1:{ports['edge']}",
        uploads=f"http://127.0.0.1:{ports['uploads']}",
        upload_token_secret=secrets.get("upload_token_secret"),
    )


def client(service: str, settings: Settings, endpoint: str | None):  # type: ignore[no-untyped-def]
    """A boto3 client for the stack; dummy credentials against a local endpoint."""
    kwargs: dict[str, object] = {
        "region_name": settings.region,
        "config": Config(retries={"max_attempts": 5, "mode": "standard"}),
    }
    if endpoint:
        kwargs["endpoint_url"] = endpoint
        if not os.environ.get("AWS_ACCESS_KEY_ID"):
            kwargs.update(DUMMY_CREDENTIALS)
    return boto3.client(service, **kwargs)
