"""`mediainfra local demo`: sample media through the running local stack, end to end.

Uploads through the uploads API, each with its declared role: two tagged tracks over three
minutes, a cover, two stems, the EICAR test file and a duplicate of the first track by another
user. Then waits for each sample's end state and prints a table with the URLs through the edge.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import boto3
import httpx
from botocore.exceptions import ClientError
from rich.console import Console
from rich.table import Table

from local.alert_receiver import read_alerts
from local.demo_media import SampleMedia, generate
from local.layout import StackState
from local.stack import LocalStack
from stacks.settings import BucketRole, JobKind, Settings

POLL_SECONDS = 1.0


@dataclass
class Sample:
    """One sample: what it is, what should happen, and what did."""

    name: str
    expected: str
    kind: JobKind
    check: Callable[[], tuple[bool, str, str]] | None = None
    """Returns (done, observed, url); None when the sample never started."""
    done: bool = False
    observed: str = "waiting"
    url: str = ""
    available: bool = True
    malicious: bool = False
    """A malicious upload: done means it was blocked (quarantined, never published)."""
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DemoResult:
    """Every sample with what happened to it."""

    samples: list[Sample]

    @property
    def ok(self) -> bool:
        """True when each available sample reached its end state."""
        return all(s.done for s in self.samples if s.available)

    def malicious_outcome(self) -> tuple[int, int] | None:
        """(blocked, total) of the malicious uploads that ran; None when none could."""
        ran = [s for s in self.samples if s.malicious and s.available]
        return (sum(s.done for s in ran), len(ran)) if ran else None


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class DemoChecks:
    """End-state checks against moto, the edge and the alert record."""

    def __init__(self, settings: Settings, state: StackState, stack: LocalStack) -> None:
        session = boto3.session.Session(
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            region_name=settings.region,
        )
        self.s3 = session.client("s3", endpoint_url=state.endpoint)
        self.dynamodb = session.client("dynamodb", endpoint_url=state.endpoint)
        self.settings, self.state, self.stack = settings, state, stack

    def keys(self, role: BucketRole, prefix: str) -> list[str]:
        bucket = self.settings.bucket_name(role)
        pages = self.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        return [item["Key"] for page in pages for item in page.get("Contents", [])]

    def edge_twice(self, key: str) -> str:
        url = f"{self.state.edge_url}/{key}"
        results = []
        for _ in range(2):
            response = httpx.get(url, timeout=30)
            results.append(
                response.headers.get("X-Cache", "?")
                if response.status_code == 200
                else str(response.status_code)
            )
        return "->".join(results)

    def track(self, sha: str) -> tuple[bool, str, str]:
        keys = self.keys(BucketRole.DERIVATIVES, f"audio/{sha}/")
        if not any(key.endswith("manifest.json") for key in keys):
            return False, "transcoding", ""
        variants = [k for k in keys if k.endswith((".mp3", ".ogg", ".m4a"))]
        playlists = [k for k in keys if k.endswith(".m3u8")]
        master = next((k for k in playlists if "master" in k), playlists[0] if playlists else "")
        mp3 = sorted(k for k in variants if k.endswith(".mp3"))[-1:] or variants[:1]
        if not mp3:
            return True, f"manifest without variants ({len(keys)} objects)", ""
        edge = self.edge_twice(mp3[0])
        hls = f", HLS {self.edge_twice(master)}" if master else ", no HLS"
        url = f"{self.state.edge_url}/{master or mp3[0]}"
        return edge.endswith("->HIT"), f"{len(variants)} variants, edge {edge}{hls}", url

    def cover(self, sha: str) -> tuple[bool, str, str]:
        keys = self.keys(BucketRole.DERIVATIVES, f"images/{sha}/")
        if not any(key.endswith("manifest.json") for key in keys):
            return False, "optimising", ""
        images = sorted(k for k in keys if k.endswith((".webp", ".jpg", ".avif")))
        if not images:
            return True, "manifest without images", ""
        edge = self.edge_twice(images[0])
        return True, f"{len(images)} images, edge {edge}", f"{self.state.edge_url}/{images[0]}"

    def stem(self, sha: str) -> tuple[bool, str, str]:
        keys = self.keys(BucketRole.STEMS, f"flac/{sha}/")
        flac = [k for k in keys if k.endswith(".flac")]
        if not any(key.endswith("manifest.json") for key in keys):
            return False, "encoding FLAC", ""
        bucket = self.settings.bucket_name(BucketRole.STEMS)
        return True, "lossless FLAC in the stems bucket", f"s3://{bucket}/{flac[0] if flac else ''}"

    def eicar(self, key: str, sha: str) -> tuple[bool, str, str]:
        quarantined = key in self.keys(BucketRole.QUARANTINE, key)
        published = bool(self.keys(BucketRole.MASTERS, f"sha256/{sha[:2]}/{sha}"))
        alerts = [a for a in read_alerts(self.stack.layout.alerts_file) if key in str(a)]
        incoming = key in self.keys(BucketRole.INCOMING, key)
        if not quarantined:
            return False, "scanning", ""
        if not alerts:
            return False, "quarantined, waiting for the alert", ""
        bucket = self.settings.bucket_name(BucketRole.QUARANTINE)
        where = "removed from incoming" if not incoming else "STILL in incoming"
        if published:
            where += ", but PUBLISHED to masters"
        return (
            not (incoming or published),
            f"quarantined, {where}, alert {alerts[0]['severity']}",
            (f"s3://{bucket}/{key}"),
        )

    def duplicate(self, sha: str) -> tuple[bool, str, str]:
        from workers.dedup.hashing import content_key
        from workers.dedup.store import ContentStore

        store = ContentStore(self.s3, self.dynamodb, self.settings.resource_name("content-refs"))
        refs = store.refcount(sha)
        stored = [k for k in self.keys(BucketRole.MASTERS, "sha256/") if sha in k]
        if refs < 2:
            return False, f"{refs} reference(s) so far", ""
        bucket = self.settings.bucket_name(BucketRole.MASTERS)
        return (
            len(stored) == 1,
            f"{refs} references, {len(stored)} stored object(s)",
            (f"s3://{bucket}/{content_key(sha)}"),
        )


def _upload(state: StackState, path: Path, user: str, root: Path, role: str | None = None) -> str:
    from workers.uploads.client import upload_file
    from workers.uploads.tokens import issue_token

    token = issue_token(state.secrets.upload_token_secret.encode(), user, 3600)
    result = upload_file(
        path,
        endpoint=state.uploads_url,
        token=token,
        progress=False,
        state_dir=root / "upload-state",
        role=role,
    )
    return str(result.key)


def plan_samples(
    media: SampleMedia, checks: DemoChecks, state: StackState, root: Path
) -> list[Sample]:
    """Upload every sample and return what to wait for."""
    samples: list[Sample] = []

    def add(
        name: str,
        expected: str,
        kind: JobKind,
        start: Callable[[], Callable[[], tuple[bool, str, str]]],
        malicious: bool = False,
    ) -> None:
        sample = Sample(name, expected, kind, malicious=malicious)
        if f"worker-{kind.value}" in state.unavailable or "worker-scan" in state.unavailable:
            sample.available, sample.observed = False, "not available yet (worker not written)"
        else:
            try:
                sample.check = start()
            except Exception as exc:  # noqa: BLE001 - reported in the table, demo goes on
                sample.observed = f"upload failed: {exc}"
        samples.append(sample)

    Check = Callable[[], tuple[bool, str, str]]

    def upload_then(path: Path, user: str, role: str, check: Check) -> Callable[[], Check]:
        def start() -> Check:
            _upload(state, path, user, root, role)
            return check

        return start

    for path in media.tracks:
        sha = sha256_of(path)
        add(
            f"track {path.name}",
            "variants + HLS, second edge request HIT",
            JobKind.AUDIO,
            upload_then(path, "demo-artist", "track", partial(checks.track, sha)),
        )
    cover_sha = sha256_of(media.cover)
    add(
        f"cover {media.cover.name}",
        "responsive images through the edge",
        JobKind.IMAGE,
        upload_then(media.cover, "demo-artist", "cover", partial(checks.cover, cover_sha)),
    )
    for path in media.stems:
        sha = sha256_of(path)
        add(
            f"stem {path.name}",
            "FLAC in the stems bucket (bit-exact, checked by the worker)",
            JobKind.AUDIO,
            upload_then(path, "demo-artist", "stem", partial(checks.stem, sha)),
        )

    def upload_eicar() -> Callable[[], tuple[bool, str, str]]:
        key = _upload(state, media.eicar, "demo-artist", root)
        return partial(checks.eicar, key, sha256_of(media.eicar))

    add(
        "EICAR test file",
        "quarantined, alert fired, never published",
        JobKind.SCAN,
        upload_eicar,
        malicious=True,
    )
    first = media.tracks[0]
    first_sha = sha256_of(first)
    add(
        f"duplicate of {first.name} (other user)",
        "stored once, two references",
        JobKind.SCAN,
        upload_then(first, "demo-label", "track", partial(checks.duplicate, first_sha)),
    )
    return samples


def wait_for(samples: list[Sample], timeout_seconds: float, console: Console) -> None:
    deadline = time.monotonic() + timeout_seconds
    with console.status("waiting for the samples' end states") as status:
        while time.monotonic() < deadline:
            pending = [s for s in samples if s.check is not None and not s.done]
            if not pending:
                return
            for sample in pending:
                assert sample.check is not None
                try:
                    sample.done, sample.observed, sample.url = sample.check()
                except (ClientError, httpx.HTTPError) as exc:
                    sample.observed = f"check failed: {exc}"
            status.update(
                f"waiting for {len(pending)} sample(s): " + ", ".join(s.name for s in pending)
            )
            time.sleep(POLL_SECONDS)


def run_demo(stack: LocalStack, console: Console, *, timeout_seconds: float = 600.0) -> DemoResult:
    """Run the samples through the (running) stack and print where each ended."""
    state = StackState.load(stack.layout)
    if state is None:
        raise RuntimeError("the local stack is not up")
    console.print("generating sample media ...")
    media = generate(stack.layout.root / "demo")
    checks = DemoChecks(stack.settings, state, stack)
    samples = plan_samples(media, checks, state, stack.layout.root)
    wait_for(samples, timeout_seconds, console)
    table = Table(title="media-infra demo on the local stack")
    for column in ("sample", "expected", "observed", "ok", "URL"):
        table.add_column(column, overflow="fold")
    for sample in samples:
        ok = "n/a" if not sample.available else ("yes" if sample.done else "NO")
        table.add_row(sample.name, sample.expected, sample.observed, ok, sample.url)
    console.print(table)
    console.print(f"edge {state.edge_url} | uploads {state.uploads_url} | moto {state.endpoint}")
    console.print(
        f"Prometheus http://127.0.0.1:{state.ports.prometheus} | stop: mediainfra local down"
    )
    return DemoResult(samples)
