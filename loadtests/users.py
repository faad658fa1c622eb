"""Shared Locust users (`abstract = True`): timing helpers and the harness's recorder."""

from __future__ import annotations

import random
import time
from typing import Any

from locust import HttpUser, between

from loadtests.harness import Harness, harness_of
from loadtests.zipf import ZipfSampler

CHUNK_BYTES = 64 * 1024
CACHE_HEADERS = ("X-Cache", "cf-cache-status")


class MediaUser(HttpUser):
    """Base of every scenario: the harness, a Zipf sampler, timed streaming GETs."""

    abstract = True
    wait_time = between(0.05, 0.2)

    @property
    def harness(self) -> Harness:
        return harness_of(self.environment)

    def sampler(self, paths: list[str]) -> ZipfSampler[str]:
        exponent = float(getattr(self.environment.parsed_options, "zipf_exponent", 1.0))
        return ZipfSampler(paths, exponent, random.Random())

    def timed_get(
        self, url: str, name: str, headers: dict[str, str] | None = None
    ) -> tuple[bytes, Any] | None:
        """GET `url` streaming: records `first_byte` and `<name>` (bytes over time)."""
        recorder = self.harness.recorder
        started = time.perf_counter()
        chunks: list[bytes] = []
        with self.client.get(
            url, name=name, headers=headers, stream=True, catch_response=True
        ) as response:
            if response.status_code >= 400 or response.status_code == 0:
                response.failure(f"HTTP {response.status_code}")
                recorder.sample(name, 0.0, failed=True)
                return None
            first = response.raw.read(1, decode_content=True)
            first_byte_ms = (time.perf_counter() - started) * 1000
            chunks.append(first)
            chunks.extend(response.iter_content(CHUNK_BYTES))
            elapsed_ms = (time.perf_counter() - started) * 1000
            body = b"".join(chunks)
            recorder.sample(
                "first_byte", first_byte_ms if first_byte_ms is not None else elapsed_ms
            )
            recorder.sample(name, elapsed_ms, nbytes=len(body))
            recorder.cache_status(
                next((response.headers[h] for h in CACHE_HEADERS if h in response.headers), None)
            )
            response.success()
            return body, response
