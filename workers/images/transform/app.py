"""The transform service: a Starlette app answering signed imgproxy-style URLs.

GET `/<signature>/<options>/<source>`: 403 unsigned or tampered, 400 bad options,
404 unknown source, 422 an image refused (bomb, corrupt, unsupported), 502 storage down.
Responses carry the `images` cache rule's Cache-Control and Cache-Tag, and an ETag.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import anyio
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from stacks.settings import Settings
from workers.images.errors import ImageError
from workers.images.formats import CONTENT_TYPES
from workers.images.probe import read_header
from workers.images.transform.options import OptionsError, expand_presets, parse_path
from workers.images.transform.render import Rendered, render
from workers.images.transform.signing import SigningKey, SigningKeyError, verify
from workers.images.transform.source import (
    S3SourceFetcher,
    SourceFetcher,
    SourceNotFoundError,
    SourceUnavailableError,
    resolve_source,
)

NO_STORE = {"Cache-Control": "no-store"}


def create_app(
    settings: Settings,
    *,
    s3: Any,
    keys: Sequence[SigningKey],
    fetcher: SourceFetcher | None = None,
) -> Starlette:
    """The transform app for a stack; `keys` are the active signing keys (one or two)."""
    if not keys:
        raise SigningKeyError("the transform service needs at least one signing key")
    images = settings.images
    expand_presets(images.presets)
    fetch = fetcher or S3SourceFetcher(s3, images.max_source_bytes)
    limiter = anyio.CapacityLimiter(images.transform_concurrency)
    cache_headers = _cache_headers(settings)
    active = tuple(keys)

    def produce(path: str) -> Rendered:
        options, source = parse_path(path, images.presets)
        data = fetch(resolve_source(source, settings))
        header = read_header(data, images)
        return render(data, header, options, images)

    async def transform(request: Request) -> Response:
        raw = request.scope.get("raw_path") or request.url.path.encode()
        signature, slash, rest = raw.decode("latin-1").lstrip("/").partition("/")
        if not slash or not rest:
            return PlainTextResponse("missing signature", 403, headers=NO_STORE)
        if verify(active, signature, "/" + rest) is None:
            return PlainTextResponse("invalid signature", 403, headers=NO_STORE)
        try:
            rendered = await anyio.to_thread.run_sync(produce, "/" + rest, limiter=limiter)
        except OptionsError as exc:
            return PlainTextResponse(str(exc), 400, headers=NO_STORE)
        except SourceNotFoundError as exc:
            return PlainTextResponse(str(exc), 404, headers=NO_STORE)
        except ImageError as exc:
            return PlainTextResponse(exc.reason, 422, headers=NO_STORE)
        except SourceUnavailableError as exc:
            return PlainTextResponse(str(exc), 502, headers=NO_STORE)
        etag = '"' + hashlib.sha256(rendered.data).hexdigest()[:32] + '"'
        headers = {**cache_headers, "ETag": etag}
        if etag in request.headers.get("if-none-match", ""):
            return Response(status_code=304, headers=headers)
        return Response(
            rendered.data, 200, headers=headers, media_type=CONTENT_TYPES[rendered.format]
        )

    async def health(request: Request) -> Response:
        return PlainTextResponse("ok")

    return Starlette(
        routes=[
            Route("/health", health, methods=["GET"]),
            Route("/{path:path}", transform, methods=["GET", "HEAD"]),
        ]
    )


def _cache_headers(settings: Settings) -> dict[str, str]:
    try:
        rule = settings.delivery.rule_for("images")
    except KeyError:
        return {"Cache-Control": "public, max-age=3600"}
    headers = {
        "Cache-Control": (
            f"public, max-age={rule.browser_ttl_seconds}, s-maxage={rule.edge_ttl_seconds}, "
            "immutable"
        )
    }
    if rule.cache_tag:
        headers["Cache-Tag"] = rule.cache_tag
    return headers
