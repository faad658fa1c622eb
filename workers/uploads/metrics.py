"""Prometheus metrics of the uploads API, in a registry owned by one app instance."""

from __future__ import annotations

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class UploadMetrics:
    """Counters and latency histograms exposed on /metrics (counters end in `_total`)."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        self.started = Counter(
            "mediainfra_uploads_started", "Multipart uploads created", registry=self.registry
        )
        self.completed = Counter(
            "mediainfra_uploads_completed", "Multipart uploads completed", registry=self.registry
        )
        self.failed = Counter(
            "mediainfra_uploads_failed",
            "Uploads that failed or were aborted, by reason",
            ["reason"],
            registry=self.registry,
        )
        self.bytes = Counter(
            "mediainfra_upload_bytes", "Bytes of completed uploads", registry=self.registry
        )
        self.quota_rejections = Counter(
            "mediainfra_upload_quota_rejections",
            "Uploads refused because they would exceed the user's quota",
            registry=self.registry,
        )
        self.parts_signed = Counter(
            "mediainfra_upload_parts_signed", "Presigned part URLs issued", registry=self.registry
        )
        self.request_seconds = Histogram(
            "mediainfra_upload_request_seconds",
            "Time to answer an /s3 request of the uploads API, by operation",
            ["operation"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.upstream_seconds = Histogram(
            "mediainfra_upload_upstream_seconds",
            "Time of each AWS call made by the uploads API (retries included), by operation",
            ["service", "operation"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )

    def exposition(self) -> tuple[bytes, str]:
        """The text exposition and its content type."""
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
