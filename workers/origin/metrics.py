"""Prometheus metrics of the delivery origin (one registry per app, no globals)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST


class OriginMetrics:
    """Requests, bytes, latency per cache class; rejected signatures; per-user copies."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        self.requests = Counter(
            "origin_requests",
            "Requests answered by the origin",
            ["method", "status", "cache_class"],
            registry=self.registry,
        )
        self.bytes_sent = Counter(
            "origin_response_bytes",
            "Body bytes sent by the origin",
            ["cache_class"],
            registry=self.registry,
        )
        self.duration = Histogram(
            "origin_request_duration_seconds",
            "Time to the response headers",
            ["cache_class"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1.0, 2.5, 5.0),
            registry=self.registry,
        )
        self.signature_rejections = Counter(
            "origin_signature_rejections",
            "Premium requests refused (missing, bad or expired signature)",
            ["reason"],
            registry=self.registry,
        )

        self.watermark_copies = Counter(
            "origin_watermark_copies",
            "Per-user watermarked copies: encoded, reused, lost-race (another writer), failed",
            ["outcome"],
            registry=self.registry,
        )
        self.watermark_seconds = Histogram(
            "origin_watermark_seconds",
            "Time to make and store one per-user watermarked copy",
            buckets=(0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 40.0, 80.0),
            registry=self.registry,
        )

    def exposition(self) -> tuple[bytes, str]:
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
