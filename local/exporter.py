"""Prometheus exporter for what the local stack cannot measure itself: queues, buckets, edge.

On each scrape: SQS depth (visible / in flight) of every job queue and DLQ, the age of the
visible backlog (seconds since the queue last had no visible message: SQS reports no
oldest-message age outside CloudWatch, and receiving would count against the redrive limit),
bucket sizes (summed object sizes, for the quota alerts), and Varnish's hit/miss counters
from `varnishstat -j -1`. Run as `python -m local.exporter --port P --stack S --endpoint URL
--varnish-dir DIR`.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from stacks.settings import BucketRole, JobKind, Settings, load_stack

BUCKET_SIZE_REFRESH_SECONDS = 15.0
"""Bucket sizes are re-summed at most this often (a full listing per scrape is too much)."""

VARNISH_COUNTERS = {
    "MAIN.cache_hit": "hits",
    "MAIN.cache_miss": "misses",
    "MAIN.client_req": "requests",
    "MAIN.backend_req": "backend_requests",
    "MAIN.n_purges": "purges",
    "MAIN.bans": "bans",
}


class VarnishStatError(RuntimeError):
    """varnishstat failed (names the command and its last stderr line)."""


def varnish_counters(varnish_dir: str) -> dict[str, int]:
    """Selected counters of a varnishd instance (`-n DIR`)."""
    argv = ["varnishstat", "-n", varnish_dir, "-t", "1", "-j", "-1"]
    result = subprocess.run(argv, capture_output=True, check=False)  # noqa: S603
    if result.returncode != 0:
        lines = result.stderr.decode(errors="replace").strip().splitlines() or ["(no output)"]
        raise VarnishStatError(f"{' '.join(argv)}: {lines[-1]}")
    document = json.loads(result.stdout)
    counters = document.get("counters", document)
    return {
        name: int(counters[key]["value"])
        for key, name in VARNISH_COUNTERS.items()
        if key in counters
    }


class LocalCollector(Collector):
    """Collects queue, bucket and edge metrics at scrape time."""

    def __init__(self, settings: Settings, endpoint: str, varnish_dir: str | None) -> None:
        session = boto3.session.Session(region_name=settings.region)
        self.settings = settings
        self.sqs = session.client("sqs", endpoint_url=endpoint)
        self.s3 = session.client("s3", endpoint_url=endpoint)
        self.varnish_dir = varnish_dir
        self._backlog_since: dict[str, float] = {}
        self._sizes: tuple[float, dict[str, int]] = (0.0, {})
        """When the bucket sizes were last summed, and the sums (listing is not free)."""

    def collect(self) -> Iterator[Any]:
        yield from self._queues()
        yield self._buckets()
        if self.varnish_dir and Path(self.varnish_dir).is_dir():
            yield from self._edge()

    def _queues(self) -> Iterator[Any]:
        depth = GaugeMetricFamily(
            "mediainfra_queue_messages", "Messages in a job queue", labels=["queue", "dlq", "state"]
        )
        age = GaugeMetricFamily(
            "mediainfra_queue_backlog_age_seconds",
            "Seconds the queue has continuously had visible messages",
            labels=["queue", "dlq"],
        )
        now = time.time()
        for kind in JobKind:
            for dlq in (False, True):
                name = self.settings.resource_name(f"{kind.value}-dlq" if dlq else kind.value)
                try:
                    url = self.sqs.get_queue_url(QueueName=name)["QueueUrl"]
                    attributes = self.sqs.get_queue_attributes(
                        QueueUrl=url,
                        AttributeNames=[
                            "ApproximateNumberOfMessages",
                            "ApproximateNumberOfMessagesNotVisible",
                        ],
                    )["Attributes"]
                except self.sqs.exceptions.QueueDoesNotExist:
                    continue
                visible = int(attributes["ApproximateNumberOfMessages"])
                labels = [kind.value, str(dlq).lower()]
                depth.add_metric([*labels, "visible"], visible)
                depth.add_metric(
                    [*labels, "in_flight"], int(attributes["ApproximateNumberOfMessagesNotVisible"])
                )
                if visible == 0:
                    self._backlog_since.pop(name, None)
                since = self._backlog_since.setdefault(name, now) if visible else now
                age.add_metric(labels, now - since)
        yield depth
        yield age

    def _buckets(self) -> GaugeMetricFamily:
        size = GaugeMetricFamily(
            "mediainfra_bucket_size_bytes", "Bytes stored in a bucket", labels=["bucket"]
        )
        summed_at, sizes = self._sizes
        if time.monotonic() - summed_at > BUCKET_SIZE_REFRESH_SECONDS:
            sizes = self._sum_sizes()
            self._sizes = (time.monotonic(), sizes)
        for role, total in sizes.items():
            size.add_metric([role], total)
        return size

    def _sum_sizes(self) -> dict[str, int]:
        sizes = {}
        for role in BucketRole:
            total = 0
            paginator = self.s3.get_paginator("list_objects_v2")
            try:
                for page in paginator.paginate(Bucket=self.settings.bucket_name(role)):
                    total += sum(item["Size"] for item in page.get("Contents", []))
            except self.s3.exceptions.NoSuchBucket:
                continue
            sizes[role.value] = total
        return sizes

    def _edge(self) -> Iterator[Any]:
        assert self.varnish_dir is not None
        try:
            counters = varnish_counters(self.varnish_dir)
        except (VarnishStatError, ValueError):
            return
        for name, value in counters.items():
            family = CounterMetricFamily(f"edge_cache_{name}", f"Varnish {name}")
            family.add_metric([], value)
            yield family


def main() -> None:
    parser = argparse.ArgumentParser(description="Local stack metrics exporter")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--stack", default="local")
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--varnish-dir")
    args = parser.parse_args()
    registry = CollectorRegistry()
    registry.register(LocalCollector(load_stack(args.stack), args.endpoint, args.varnish_dir))
    start_http_server(args.port, addr="127.0.0.1", registry=registry)
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main()
