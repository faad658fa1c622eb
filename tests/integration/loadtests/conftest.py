"""A tiny static origin on 127.0.0.1 standing in for the edge: serves a generated catalogue
(tracks and HLS trees) from memory, answers `X-Cache: MISS` on a path's first request and
`HIT` after, like a cache in front of an origin."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from loadtests.catalogue import Catalogue, hls_master, hls_rendition


@dataclass(frozen=True)
class StaticEdge:
    url: str
    catalogue_file: Path
    objects: dict[str, bytes]


def _objects(tracks: int = 20, hls_items: int = 2, segments: int = 3) -> dict[str, bytes]:
    objects = {f"/t/track-{i:03d}.mp3": bytes([i % 256]) * (64 * 1024) for i in range(tracks)}
    for item in range(hls_items):
        root = f"/h/{item}/"
        objects[f"{root}master.m3u8"] = hls_master().encode()
        objects[f"{root}a128/index.m3u8"] = hls_rendition(segments, 1.0).encode()
        objects[f"{root}a128/init.mp4"] = b"\0" * 100
        for seg in range(segments):
            objects[f"{root}a128/seg-{seg:03d}.m4s"] = b"\1" * 16000
    return objects


def _handler(objects: dict[str, bytes]) -> type[BaseHTTPRequestHandler]:
    seen: set[str] = set()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:  # quiet
            return

        def do_GET(self) -> None:
            body = objects.get(self.path)
            if body is None:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            with lock:
                cache = "HIT" if self.path in seen else "MISS"
                seen.add(self.path)
            status = 200
            if self.headers.get("Range", "").startswith("bytes=0-"):
                end = int(self.headers["Range"].split("-")[1])
                body, status = body[: end + 1], 206
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("X-Cache", cache)
            self.end_headers()
            self.wfile.write(body)

    return Handler


@pytest.fixture(scope="module")
def static_edge(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StaticEdge]:
    objects = _objects()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(objects))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    paths = sorted(objects)
    catalogue = Catalogue(
        downloads=[p for p in paths if p.endswith(".mp3")],
        hls=[p for p in paths if p.endswith("master.m3u8")],
        first_byte=[p for p in paths if p.endswith(".mp3")][:5],
    )
    folder = tmp_path_factory.mktemp("catalogue")
    yield StaticEdge(
        f"http://127.0.0.1:{server.server_address[1]}",
        catalogue.dump(folder / "catalogue.json"),
        objects,
    )
    server.shutdown()
    server.server_close()
