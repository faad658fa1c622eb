"""Scenario: downloads through the edge, catalogue items drawn by Zipf popularity.

Measures first byte, download throughput (MB/s) and the edge cache hit ratio (`X-Cache`
from Varnish, `cf-cache-status` from Cloudflare).
"""

from __future__ import annotations

from locust import task

from loadtests.users import MediaUser


class EdgeDownloadUser(MediaUser):
    weight = 5

    def on_start(self) -> None:
        paths = self.harness.catalogue.downloads
        self.popular = self.sampler(paths) if paths else None

    @task
    def download(self) -> None:
        if self.popular is None:
            self.stop()
            return
        self.timed_get(self.popular.draw(), "download")
