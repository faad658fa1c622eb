"""Fixtures of the uploads API tests: isolated stack resources in moto, a live uvicorn server."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from uploads_harness import SECRET, LiveServer, UploadStack, provision

from stacks.settings import Settings
from workers.uploads.api import create_app


@pytest.fixture
def start_upload_stack(
    local_settings: Settings, moto_endpoint: str
) -> Iterator[Callable[..., UploadStack]]:
    """Factory: `start_upload_stack(quota_bytes=None, wrap=None)` -> a running `UploadStack`.

    Each stack has unique resource names; `wrap` wraps the ASGI app (fault injection).
    """
    servers: list[LiveServer] = []

    def start(
        quota_bytes: int | None = None, wrap: Callable[[Any], Any] | None = None
    ) -> UploadStack:
        stack = f"up{uuid.uuid4().hex[:10]}"
        quotas = local_settings.quotas
        if quota_bytes is not None:
            quotas = quotas.model_copy(update={"default_bytes": quota_bytes})
        settings = local_settings.model_copy(update={"stack": stack, "quotas": quotas})
        resources = provision(settings, moto_endpoint)
        app = create_app(
            settings,
            s3=resources["s3"],
            dynamodb=resources["dynamodb"],
            sns=resources["sns"],
            token_secret=SECRET,
        )
        server = LiveServer(wrap(app) if wrap is not None else app)
        server.start()
        servers.append(server)
        return UploadStack(settings=settings, url=server.url, app=app, **resources)

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def upload_stack(start_upload_stack: Callable[..., UploadStack]) -> UploadStack:
    """A running uploads API with the local stack's default quota."""
    return start_upload_stack()
