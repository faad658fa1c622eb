"""Cloudflare purges against a local fake of the API that records every request."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from typer.testing import CliRunner

from local.cache_cli import app as cache_app
from local.purge import CloudflarePurger, PurgeError
from stacks.settings import Settings

pytestmark = pytest.mark.integration


class FakeCloudflare(ThreadingHTTPServer):
    """Answers `POST /zones/<id>/purge_cache`; `script` lists statuses to answer first."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.requests: list[dict[str, object]] = []
        self.script: list[int] = []
        self.top_paths: list[str] = []
        self.edge_hits: dict[str, int] = {}

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/client/v4"


class _Handler(BaseHTTPRequestHandler):
    server: FakeCloudflare

    def do_GET(self) -> None:
        """A stand-in edge: MISS on the first request of a path, HIT afterwards."""
        seen = self.server.edge_hits.setdefault(self.path, 0)
        self.server.edge_hits[self.path] = seen + 1
        self.send_response(200)
        self.send_header("X-Cache", "HIT" if seen else "MISS")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if self.path.endswith("/graphql"):
            self.server.requests.append({"path": self.path, "body": body})
            groups = [
                {"count": 100 - i, "dimensions": {"clientRequestPath": p}}
                for i, p in enumerate(self.server.top_paths[: body["variables"]["limit"]])
            ]
            document = {"data": {"viewer": {"zones": [{"httpRequestsAdaptiveGroups": groups}]}}}
            data = json.dumps(document).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        self.server.requests.append(
            {"path": self.path, "auth": self.headers.get("Authorization"), "body": body}
        )
        status = self.server.script.pop(0) if self.server.script else 200
        payload = {"success": status == 200, "errors": [], "result": {"id": "x"}}
        data = json.dumps(payload).encode()
        self.send_response(status)
        if status == 429:
            self.send_header("Retry-After", "0")
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def fake() -> Iterator[FakeCloudflare]:
    server = FakeCloudflare()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _purger(fake: FakeCloudflare, sleeps: list[float], max_retries: int = 2) -> CloudflarePurger:
    return CloudflarePurger(
        "zone123", "tok", api_base=fake.base, sleep=sleeps.append, max_retries=max_retries
    )


def test_urls_are_sent_in_batches_of_30(fake: FakeCloudflare) -> None:
    urls = [f"https://media.example.com/a/{i}.mp3" for i in range(65)]
    report = _purger(fake, []).purge_urls(urls)
    assert report.requests == 3
    assert [len(r["body"]["files"]) for r in fake.requests] == [30, 30, 5]  # type: ignore[index]
    assert [u for r in fake.requests for u in r["body"]["files"]] == urls  # type: ignore[index]
    assert {r["path"] for r in fake.requests} == {"/client/v4/zones/zone123/purge_cache"}
    assert {r["auth"] for r in fake.requests} == {"Bearer tok"}


def test_rate_limited_and_server_errors_are_retried(fake: FakeCloudflare) -> None:
    fake.script = [429, 503]  # the SDK retries both (its own backoff, Retry-After honoured)
    report = _purger(fake, []).purge_tags(["audio-abc"])
    assert report.requests == 3
    assert len(fake.requests) == 3
    assert {json.dumps(r["body"]) for r in fake.requests} == {'{"tags": ["audio-abc"]}'}


def test_batches_are_spaced_by_the_rate_limit(fake: FakeCloudflare) -> None:
    sleeps: list[float] = []
    purger = CloudflarePurger(
        "zone123", "tok", api_base=fake.base, sleep=sleeps.append, min_interval_seconds=60
    )
    report = purger.purge_urls([f"https://m.example.com/{i}" for i in range(61)])
    assert report.requests == 3
    assert len(sleeps) == 2 and all(0 < s <= 60 for s in sleeps)  # before batches 2 and 3


def test_a_refused_purge_is_not_retried_and_raises(fake: FakeCloudflare) -> None:
    fake.script = [403]
    with pytest.raises(PurgeError, match="HTTP 403"):
        _purger(fake, []).purge_prefixes(["media.example.com/audio/"])
    assert len(fake.requests) == 1


def test_retries_give_up(fake: FakeCloudflare) -> None:
    fake.script = [500] * 10
    with pytest.raises(PurgeError, match="HTTP 500"):
        _purger(fake, [], max_retries=2).purge_tags(["x"])
    assert len(fake.requests) == 3


def test_cli_purges_prod_through_cloudflare(
    fake: FakeCloudflare, prod_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not prod_settings.delivery.cloudflare_zone_id:
        pytest.skip("prod stack has no Cloudflare zone id")
    monkeypatch.setenv("MEDIAINFRA_CLOUDFLARE_API", fake.base)
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", "prod-token")
    result = CliRunner().invoke(
        cache_app, ["purge", "--stack", "prod", "--url", "/audio/x/a.mp3", "--url", "/b.mp3"]
    )
    assert result.exit_code == 0, result.output
    domain = prod_settings.delivery.domain
    assert fake.requests[0]["body"] == {
        "files": [f"https://{domain}/audio/x/a.mp3", f"https://{domain}/b.mp3"]
    }
    result = CliRunner().invoke(cache_app, ["purge", "--stack", "prod", "--prefix", "/audio/"])
    assert result.exit_code == 0, result.output
    assert fake.requests[1]["body"] == {"prefixes": [f"{domain}/audio/"]}


def test_cloud_warm_ranks_by_cloudflare_analytics(
    fake: FakeCloudflare, prod_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake.top_paths = ["/audio/a/hls/master.m3u8", "/images/b/w512.webp", "/audio/c/x.mp3"]
    monkeypatch.setenv("MEDIAINFRA_CLOUDFLARE_API", fake.base)
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", "analytics-token")
    edge = fake.base.removesuffix("/client/v4")
    result = CliRunner().invoke(
        cache_app, ["warm", "--stack", "prod", "--top", "2", "--edge-url", edge]
    )
    assert result.exit_code == 0, result.output
    query = fake.requests[0]["body"]
    assert query["variables"]["zone"] == prod_settings.delivery.cloudflare_zone_id  # type: ignore[index]
    assert query["variables"]["limit"] == 2  # type: ignore[index]
    assert fake.edge_hits == {"/audio/a/hls/master.m3u8": 2, "/images/b/w512.webp": 2}
    assert "before 0%, after 100%" in result.output
