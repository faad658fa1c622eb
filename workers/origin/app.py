"""The delivery origin (Starlette): derivatives from S3 with the headers the edge needs.

GET/HEAD `/<key>` serves `s3://<derivatives bucket>/<key>` with `ETag`, `Last-Modified`,
conditional 304s, single byte `Range`s (206/416), `Cache-Control` and `Cache-Tag` from the
stack's cache rules, Brotli or gzip for text (playlists, JSON) when the client accepts it,
and signed expiring URLs for premium content (a `premium/` key prefix or `access=premium`
object metadata; a missing, tampered or expired signature is 403). Premium progressive audio
requested with a URL signed for a user is that user's watermarked copy (`user_copies`),
sent `Cache-Control: private` without `Cache-Tag` so no shared cache keeps it. `/metrics`
for Prometheus, `/healthz` for the supervisor and the load balancer.
"""

from __future__ import annotations

import gzip
import time
from collections.abc import Iterator
from datetime import UTC
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any
from urllib.parse import unquote

import brotli
from botocore.exceptions import ClientError
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from stacks.settings import BucketRole, Settings
from workers.origin import signing
from workers.origin.cache_headers import cache_control, cache_tags, classify
from workers.origin.metrics import OriginMetrics
from workers.origin.ranges import RangeNotSatisfiableError, parse_range
from workers.origin.user_copies import WATERMARKED_PREFIX, UserCopies, WatermarkError, watermarkable

COMPRESSIBLE = ("text/", "application/json", "application/vnd.apple.mpegurl", "application/xml")
COMPRESS_MAX_BYTES = 8 * 1024**2
CHUNK_BYTES = 256 * 1024
CONTENT_TYPES = {
    "m3u8": "application/vnd.apple.mpegurl",
    "m4s": "audio/mp4",
    "mp4": "audio/mp4",
    "m4a": "audio/mp4",
    "mp3": "audio/mpeg",
    "ogg": "audio/ogg",
    "flac": "audio/flac",
    "json": "application/json",
    "webp": "image/webp",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "avif": "image/avif",
}


def _missing(exc: ClientError) -> bool:
    return exc.response.get("Error", {}).get("Code") in {"404", "NoSuchKey", "NotFound"}


def content_type(key: str, stored: str | None) -> str:
    """The stored content type unless it is the generic default; else from the extension."""
    if stored and stored not in {"binary/octet-stream", "application/octet-stream"}:
        return stored
    extension = key.rsplit(".", 1)[-1].lower() if "." in key else ""
    return CONTENT_TYPES.get(extension, stored or "application/octet-stream")


def negotiate_encoding(accept_encoding: str) -> str | None:
    """`br` if accepted, else `gzip`, else None (q=0 means refused)."""
    accepted = set()
    for part in accept_encoding.lower().split(","):
        name, _, params = part.strip().partition(";")
        if params.replace(" ", "") in {"q=0", "q=0.0"}:
            continue
        accepted.add(name.strip())
    for encoding in ("br", "gzip"):
        if encoding in accepted:
            return encoding
    return None


def _not_modified(request: Request, etag: str, last_modified: Any) -> bool:
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:
        tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        return "*" in tags or etag in tags
    since = request.headers.get("if-modified-since")
    if since:
        try:
            return bool(last_modified.replace(microsecond=0) <= parsedate_to_datetime(since))
        except (TypeError, ValueError):
            return False
    return False


def private_cache_control(rule: Any) -> str:
    """`Cache-Control` of a user's own copy: the browser may keep it, no shared cache may."""
    browser = rule.browser_ttl_seconds if rule is not None else 60
    return f"private, max-age={browser}" if browser else "private, no-cache"


def create_app(
    settings: Settings,
    *,
    s3: Any,
    signing_key: bytes,
    bucket: str | None = None,
    premium_prefixes: tuple[str, ...] = ("premium/",),
    metrics: OriginMetrics | None = None,
) -> Starlette:
    """The origin over an injected boto3 S3 client (moto locally)."""
    if not signing_key:
        raise ValueError("the origin needs a non-empty signing key")
    bucket_name = bucket or settings.bucket_name(BucketRole.DERIVATIVES)
    rules = settings.delivery.cache_rules
    metrics = metrics if metrics is not None else OriginMetrics()
    watermark_mode = settings.delivery.user_watermark
    copies = UserCopies(s3, bucket_name, settings.audio, metrics)

    def head(key: str) -> dict[str, Any] | None:
        try:
            return dict(s3.head_object(Bucket=bucket_name, Key=key))
        except ClientError as exc:
            if _missing(exc):
                return None
            raise

    def body_chunks(key: str, byte_range: str | None) -> Iterator[bytes]:
        extra = {"Range": byte_range} if byte_range else {}
        body = s3.get_object(Bucket=bucket_name, Key=key, **extra)["Body"]
        try:
            yield from body.iter_chunks(CHUNK_BYTES)
        finally:
            body.close()

    def read_all(key: str) -> bytes:
        return b"".join(body_chunks(key, None))

    async def serve(request: Request) -> Response:
        started = time.perf_counter()
        path = request.url.path
        key = unquote(path).lstrip("/")
        rule = classify(rules, path)
        label = rule.cache_class if rule else "none"
        response = await _respond(request, path, key, rule)
        metrics.requests.labels(request.method, str(response.status_code), label).inc()
        length = response.headers.get("content-length")
        if length and request.method == "GET" and response.status_code < 300:
            metrics.bytes_sent.labels(label).inc(int(length))
        metrics.duration.labels(label).observe(time.perf_counter() - started)
        return response

    async def _respond(request: Request, path: str, key: str, rule: Any) -> Response:
        if not key or ".." in key.split("/") or key.startswith(WATERMARKED_PREFIX):
            return PlainTextResponse("not found", status_code=404)
        query = request.query_params
        user = query.get("user")
        meta = await run_in_threadpool(head, key)
        premium = key.startswith(premium_prefixes) or (
            meta is not None and meta.get("Metadata", {}).get("access") == "premium"
        )
        if premium or "sig" in query:
            try:
                signing.verify(signing_key, path, query.get("exp"), query.get("sig"), user=user)
            except signing.SignatureError as exc:
                metrics.signature_rejections.labels(type(exc).__name__).inc()
                return PlainTextResponse(f"forbidden: {exc}", status_code=403)
        if meta is None:
            return PlainTextResponse("not found", status_code=404)
        served, found = key, meta
        if premium and watermark_mode != "off" and watermarkable(key):
            if user is None and watermark_mode == "required":
                metrics.signature_rejections.labels("MissingUserClaim").inc()
                return PlainTextResponse("forbidden: a URL signed for a user", status_code=403)
            if user is not None:
                try:
                    served, found = await run_in_threadpool(copies.ensure, user, key, found)
                except WatermarkError as exc:
                    return PlainTextResponse(f"cannot prepare this copy: {exc}", status_code=500)
        etag = str(found["ETag"])
        size = int(found["ContentLength"])
        media_type = content_type(key, found.get("ContentType"))
        headers = {
            "ETag": etag,
            "Last-Modified": format_datetime(found["LastModified"].astimezone(UTC), usegmt=True),
            "Cache-Control": cache_control(rule),
            "Accept-Ranges": "bytes",
        }
        tags = cache_tags(rule, key)
        if served != key:
            headers["Cache-Control"] = private_cache_control(rule)
        elif tags:
            headers["Cache-Tag"] = ",".join(tags)
        compressible = media_type.startswith(COMPRESSIBLE) and size <= COMPRESS_MAX_BYTES
        if compressible:
            headers["Vary"] = "Accept-Encoding"
        if _not_modified(request, etag, found["LastModified"]):
            return Response(status_code=304, headers=headers)
        encoding = negotiate_encoding(request.headers.get("accept-encoding", ""))
        range_header = request.headers.get("range")
        if_range = request.headers.get("if-range")
        if if_range and if_range != etag:
            range_header = None
        if compressible and encoding and not range_header:
            return await _compressed(request, served, media_type, headers, encoding)
        try:
            byte_range = parse_range(range_header, size)
        except RangeNotSatisfiableError:
            headers["Content-Range"] = f"bytes */{size}"
            return PlainTextResponse("range not satisfiable", status_code=416, headers=headers)
        status, s3_range = 200, None
        if byte_range is not None:
            first, last = byte_range
            status, s3_range = 206, f"bytes={first}-{last}"
            headers["Content-Range"] = f"bytes {first}-{last}/{size}"
            size = last - first + 1
        headers["Content-Length"] = str(size)
        if request.method == "HEAD":
            return Response(status_code=status, headers=headers, media_type=media_type)
        return StreamingResponse(
            body_chunks(served, s3_range),
            status_code=status,
            headers=headers,
            media_type=media_type,
        )

    async def _compressed(
        request: Request, key: str, media_type: str, headers: dict[str, str], encoding: str
    ) -> Response:
        raw = await run_in_threadpool(read_all, key)
        if encoding == "br":
            body = await run_in_threadpool(brotli.compress, raw, brotli.MODE_TEXT, 9)
        else:
            body = await run_in_threadpool(gzip.compress, raw, 6)
        headers = {**headers, "Content-Encoding": encoding, "Content-Length": str(len(body))}
        headers["ETag"] = headers["ETag"][:-1] + f'-{encoding}"'
        content = b"" if request.method == "HEAD" else body
        return Response(content, headers=headers, media_type=media_type)

    async def healthz(request: Request) -> Response:
        return PlainTextResponse("ok")

    async def metrics_endpoint(request: Request) -> Response:
        body, media_type = metrics.exposition()
        return Response(body, media_type=media_type)

    app = Starlette(
        routes=[
            Route("/healthz", healthz, methods=["GET"]),
            Route("/metrics", metrics_endpoint, methods=["GET"]),
            Route("/{path:path}", serve, methods=["GET", "HEAD"]),
        ]
    )
    app.state.metrics = metrics
    app.state.bucket = bucket_name
    app.state.user_copies = copies
    return app
