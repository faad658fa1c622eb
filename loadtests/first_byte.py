"""Scenario: first byte of small ranged requests (the start of playback / a preview)."""

from __future__ import annotations

from locust import task

from loadtests.users import MediaUser

FIRST_RANGE = "bytes=0-16383"


class FirstByteUser(MediaUser):
    weight = 2

    def on_start(self) -> None:
        paths = self.harness.catalogue.first_byte or self.harness.catalogue.downloads
        self.popular = self.sampler(paths) if paths else None

    @task
    def first_bytes(self) -> None:
        if self.popular is None:
            self.stop()
            return
        self.timed_get(self.popular.draw(), "range", headers={"Range": FIRST_RANGE})
