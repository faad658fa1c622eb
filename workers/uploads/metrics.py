"""Prometheus metrics of the uploads API, in a registry owned by one app instance."""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, generate_latest


class UploadMetrics:
    """Counters exposed on /metrics (names end in `_total` in the exposition)."""

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

    def exposition(self) -> tuple[bytes, str]:
        """The text exposition and its content type."""
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
