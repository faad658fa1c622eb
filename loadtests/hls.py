"""Scenario: HLS playback — master playlist, one rendition, its segments at real-time pace.

`--hls-pace 1.0` waits each segment's duration before fetching the next (a listener);
`0` fetches as fast as possible. `--hls-segments` bounds a session.
"""

from __future__ import annotations

import time

import m3u8
from locust import task

from loadtests.users import MediaUser


class HlsListenerUser(MediaUser):
    weight = 2

    def on_start(self) -> None:
        paths = self.harness.catalogue.hls
        self.popular = self.sampler(paths) if paths else None

    def _playlist(self, url: str, name: str) -> m3u8.M3U8 | None:
        fetched = self.timed_get(url, name)
        if fetched is None:
            return None
        return m3u8.loads(fetched[0].decode("utf-8", "replace"), uri=url)

    @task
    def listen(self) -> None:
        if self.popular is None:
            self.stop()
            return
        options = self.environment.parsed_options
        pace = float(getattr(options, "hls_pace", 1.0))
        limit = int(getattr(options, "hls_segments", 4))
        master_url = f"{self.host.rstrip('/')}{self.popular.draw()}"
        master = self._playlist(master_url, "playlist")
        if master is None or not master.playlists:
            return
        rendition = self._playlist(master.playlists[0].absolute_uri, "playlist")
        if rendition is None:
            return
        init = rendition.segment_map[0] if rendition.segment_map else None
        if init is not None and init.uri:
            self.timed_get(init.absolute_uri, "hls_segment")
        for segment in rendition.segments[:limit]:
            started = time.perf_counter()
            if self.timed_get(segment.absolute_uri, "hls_segment") is None:
                return
            remaining = pace * float(segment.duration or 0) - (time.perf_counter() - started)
            if remaining > 0:
                time.sleep(remaining)
