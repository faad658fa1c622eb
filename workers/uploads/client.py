"""Upload a file through the uploads API: parallel presigned parts, retries, resume.

`upload_file` creates the multipart upload (or resumes the one recorded in its state file
for the same unchanged file), sends the missing parts from a thread pool straight to S3
with presigned URLs, retries 5xx and connection errors with exponential backoff, and
completes. Killed half-way and run again, it lists the parts already stored and sends only
the others.
"""

from __future__ import annotations

import functools
import logging
import mimetypes
import os
import ssl
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential_jitter

from workers.pipeline.roles import UploadRole, parse_role, role_for_filename
from workers.uploads.part_urls import PartUrls
from workers.uploads.resume import StateFile, UploadState, default_state_dir
from workers.uploads.sizing import part_count, part_range
from workers.uploads.throttle import RateLimiter

log = logging.getLogger(__name__)


class UploadClientError(Exception):
    """An upload that could not be done; the message says why."""


class EmptyFileError(UploadClientError):
    """The file has no bytes: there is nothing to upload."""


class FileChangedError(UploadClientError):
    """The file changed while it was being uploaded; the upload was not completed."""


class UploadRejectedError(UploadClientError):
    """The API or S3 refused a request (4xx); retrying the same request cannot help."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{message} (HTTP {status}, {code})")
        self.status = status
        self.code = code


class TransientUploadError(UploadClientError):
    """A 5xx, 429 or an expired part URL: worth retrying."""


@dataclass(frozen=True)
class UploadResult:
    """What one run of `upload_file` did."""

    key: str
    bucket: str
    location: str
    upload_id: str
    role: str
    """The role the upload declared (`track`, `stem` or `cover`)."""
    size: int
    part_size: int
    parts_total: int
    parts_sent: int
    """Parts sent by this run."""
    parts_resumed: int
    """Parts already stored by an earlier, interrupted run."""
    bytes_sent: int
    """Bytes sent by this run (the file's size minus the resumed parts)."""
    seconds: float

    @property
    def bytes_per_second(self) -> float:
        """Throughput of this run: bytes sent over the whole call's duration."""
        return self.bytes_sent / self.seconds if self.seconds > 0 else float("inf")


def _rejected(response: httpx.Response) -> UploadRejectedError:
    try:
        body = response.json()
        code, message = str(body.get("error", "error")), str(body.get("message", response.text))
    except ValueError:
        code, message = "error", response.text.strip()[:500] or response.reason_phrase
    return UploadRejectedError(response.status_code, code, message)


def _check(response: httpx.Response, *, retry_forbidden: bool = False) -> httpx.Response:
    if response.status_code >= 500 or response.status_code == 429:
        raise TransientUploadError(f"HTTP {response.status_code} from {response.url.path}")
    if retry_forbidden and response.status_code == 403:
        raise TransientUploadError("part URL refused (expired?): signing again")
    if response.status_code >= 400:
        raise _rejected(response)
    return response


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """One verifying TLS context per process: loading the CA bundle costs ~50 ms a client."""
    return httpx.create_ssl_context()


class _Uploader:
    """The state of one `upload_file` call: HTTP clients, retry policy, progress."""

    def __init__(self, endpoint: str, token: str, *, parallel: int, attempts: int) -> None:
        limits = httpx.Limits(max_connections=parallel + 2, max_keepalive_connections=parallel + 2)
        timeout = httpx.Timeout(60.0, connect=10.0)
        tls = _tls_context()
        self.api = httpx.Client(
            base_url=endpoint.rstrip("/"),
            headers={"Authorization": f"Bearer {token}"},
            limits=limits,
            timeout=timeout,
            verify=tls,
        )
        self.storage = httpx.Client(limits=limits, timeout=timeout, verify=tls)
        self.attempts = attempts

    def close(self) -> None:
        self.api.close()
        self.storage.close()

    def retrying(self) -> Retrying:
        return Retrying(
            retry=retry_if_exception_type((httpx.TransportError, TransientUploadError)),
            stop=stop_after_attempt(self.attempts),
            wait=wait_exponential_jitter(multiplier=0.2, max=10.0, jitter=0.2),
            reraise=True,
        )

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        for attempt in self.retrying():
            with attempt:
                return _check(self.api.request(method, path, **kwargs)).json()
        raise AssertionError("unreachable")

    def sign_batch(self, state: UploadState, numbers: Sequence[int]) -> dict[int, str]:
        """Presigned URLs of `numbers` from the API's batch endpoint."""
        signed = self.call(
            "GET",
            f"/s3/multipart/{state.upload_id}/batch",
            params={"key": state.key, "partNumbers": ",".join(map(str, numbers))},
        )
        return {int(n): str(url) for n, url in signed["presignedUrls"].items()}

    def send_part(
        self, state: UploadState, urls: PartUrls, fd: int, number: int, limiter: RateLimiter | None
    ) -> str:
        """PUT one part (with a freshly signed URL on each retry); returns its ETag."""
        offset, length = part_range(state.size, state.part_size, number)
        for attempt in self.retrying():
            with attempt:
                url = urls.url(number, fresh=attempt.retry_state.attempt_number > 1)
                data = os.pread(fd, length, offset)
                if len(data) != length:
                    raise FileChangedError(f"{state.path} is shorter than when the upload began")
                content: Any = data if limiter is None else limiter.chunks(data)
                response = self.storage.put(
                    url, content=content, headers={"Content-Length": str(length)}
                )
                return str(_check(response, retry_forbidden=True).headers["etag"])
        raise AssertionError("unreachable")


def _progress(enabled: bool) -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        disable=not enabled,
    )


def _start_or_resume(
    uploader: _Uploader,
    store: StateFile,
    endpoint: str,
    path: Path,
    stat: os.stat_result,
    role: UploadRole,
) -> tuple[UploadState, dict[int, str]]:
    """The state to continue (with the parts already stored) or a freshly created upload."""
    previous = store.load()
    if previous is not None and previous.describes(
        endpoint, path, stat.st_size, stat.st_mtime_ns, role.value
    ):
        try:
            listed = uploader.call(
                "GET", f"/s3/multipart/{previous.upload_id}", params={"key": previous.key}
            )
        except UploadRejectedError as exc:
            log.warning("cannot resume %s (%s): starting a new upload", previous.key, exc)
        else:
            stored = {
                int(p["PartNumber"]): str(p["ETag"])
                for p in listed
                if int(p["Size"])
                == part_range(previous.size, previous.part_size, p["PartNumber"])[1]
            }
            return previous, stored
    elif previous is not None:
        try:
            uploader.call(
                "DELETE", f"/s3/multipart/{previous.upload_id}", params={"key": previous.key}
            )
        except UploadRejectedError as exc:
            log.warning("could not abort the outdated upload %s: %s", previous.key, exc)
    store.remove()
    content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    created = uploader.call(
        "POST",
        "/s3/multipart",
        json={
            "filename": path.name,
            "type": content_type,
            "size": stat.st_size,
            "role": role.value,
            "metadata": {"role": role.value},
        },
    )
    state = UploadState(
        endpoint=endpoint,
        path=str(path),
        size=stat.st_size,
        mtime_ns=stat.st_mtime_ns,
        upload_id=created["uploadId"],
        key=created["key"],
        part_size=int(created["partSize"]),
        role=role.value,
    )
    store.save(state)
    return state, {}


def _send_parts(
    uploader: _Uploader,
    state: UploadState,
    fd: int,
    missing: list[int],
    parallel: int,
    limiter: RateLimiter | None,
    finished: Callable[[int, str], None],
) -> None:
    """Send `missing` parts from `parallel` threads, calling `finished` as each one lands.

    On the first failure the parts not yet started are cancelled, the running ones are
    waited for (their results still recorded), and the failure is raised.
    """
    urls = PartUrls(missing, lambda numbers: uploader.sign_batch(state, numbers))
    with ThreadPoolExecutor(parallel) as pool:
        futures = {pool.submit(uploader.send_part, state, urls, fd, n, limiter): n for n in missing}
        pending: set[Future[str]] = set(futures)
        failure: BaseException | None = None
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                if future.cancelled():
                    continue
                error = future.exception()
                if error is None:
                    finished(futures[future], future.result())
                elif failure is None:
                    failure = error
                    for other in pending:
                        other.cancel()
        if failure is not None:
            raise failure


def upload_file(
    path: Path,
    *,
    endpoint: str,
    token: str,
    parallel: int = 4,
    progress: bool = True,
    state_dir: Path | None = None,
    limit_rate: int | None = None,
    attempts: int = 6,
    role: UploadRole | str | None = None,
) -> UploadResult:
    """Upload `path` through the uploads API at `endpoint`, resuming an interrupted run.

    `role` (`track`, `stem`, `cover`) is what the upload declares, and what the pipeline
    routes it by; None declares `cover` for an image file and `track` for anything else.
    `limit_rate` caps the bandwidth in bytes per second; `attempts` bounds the tries per
    request. Raises `EmptyFileError`, `UploadRejectedError` (quota, auth, bad name),
    `FileChangedError` or `UploadClientError`; on failure the state file is kept so a
    rerun resumes.
    """
    if parallel < 1:
        raise ValueError(f"parallel must be >= 1, got {parallel}")
    path = Path(path).resolve()
    declared = role_for_filename(path.name) if role is None else parse_role(role)
    stat = path.stat()
    if stat.st_size == 0:
        raise EmptyFileError(f"{path} is empty (0 bytes): nothing to upload")
    started = time.monotonic()
    store = StateFile(state_dir or default_state_dir(), endpoint, path)
    uploader = _Uploader(endpoint, token, parallel=parallel, attempts=attempts)
    try:
        state, stored = _start_or_resume(uploader, store, endpoint, path, stat, declared)
        total = part_count(state.size, state.part_size)
        missing = [n for n in range(1, total + 1) if n not in stored]
        limiter = RateLimiter(limit_rate) if limit_rate else None
        etags = dict(stored)
        done_bytes = sum(part_range(state.size, state.part_size, n)[1] for n in stored)
        fd = os.open(path, os.O_RDONLY)
        try:
            with _progress(progress) as bar:
                task = bar.add_task(path.name, total=state.size, completed=done_bytes)

                def finished(number: int, etag: str) -> None:
                    etags[number] = etag
                    store.record_part(number, etag)
                    bar.advance(task, part_range(state.size, state.part_size, number)[1])

                _send_parts(uploader, state, fd, missing, parallel, limiter, finished)
        finally:
            os.close(fd)
        after = path.stat()
        if (after.st_size, after.st_mtime_ns) != (stat.st_size, stat.st_mtime_ns):
            raise FileChangedError(f"{path} changed during the upload; run again to start over")
        completed = uploader.call(
            "POST",
            f"/s3/multipart/{state.upload_id}/complete",
            params={"key": state.key},
            json={"parts": [{"PartNumber": n, "ETag": etags[n]} for n in sorted(etags)]},
        )
    finally:
        uploader.close()
    store.remove()
    return UploadResult(
        key=state.key,
        bucket=str(completed.get("bucket", "")),
        location=str(completed.get("location", "")),
        upload_id=state.upload_id,
        role=state.role,
        size=state.size,
        part_size=state.part_size,
        parts_total=total,
        parts_sent=len(missing),
        parts_resumed=len(stored),
        bytes_sent=state.size - done_bytes,
        seconds=time.monotonic() - started,
    )
