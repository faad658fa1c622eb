"""Times every AWS call of a boto3 client into `mediainfra_upload_upstream_seconds`.

botocore emits `before-call` and `after-call` (or `after-call-error` when no response came)
with the same per-call `context` dict, so the start time travels in it; the time covers
botocore's retries. It shows where a slow request of the API really waits.
"""

from __future__ import annotations

import time
from typing import Any

from workers.uploads.metrics import UploadMetrics

_STARTED = "mediainfra_upstream_started"


def time_upstream_calls(client: Any, metrics: UploadMetrics) -> None:
    """Observe the duration of each call `client` makes, labelled service and operation."""

    def started(model: Any, context: dict[str, Any], **_: Any) -> None:
        context[_STARTED] = (time.perf_counter(), model.service_model.service_name, model.name)

    def finished(context: dict[str, Any], **_: Any) -> None:
        began = context.pop(_STARTED, None)
        if began is None:
            return
        at, service, operation = began
        metrics.upstream_seconds.labels(service=service, operation=operation).observe(
            time.perf_counter() - at
        )

    unique = f"mediainfra-upstream-{id(metrics)}"
    events = client.meta.events
    events.register("before-call", started, unique_id=f"{unique}-before")
    events.register("after-call", finished, unique_id=f"{unique}-after")
    events.register("after-call-error", finished, unique_id=f"{unique}-error")
