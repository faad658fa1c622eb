"""The uploads API: an ASGI app with the endpoints of Uppy's `@uppy/aws-s3` multipart flow.

    POST   /s3/multipart        {filename, type, size, role} -> {uploadId, key, partSize, role}
    GET    /s3/multipart/{uploadId}/{partNumber}?key=           -> {url, expires}
    GET    /s3/multipart/{uploadId}/batch?key=&partNumbers=1,2  -> {presignedUrls: {n: url}}
    GET    /s3/multipart/{uploadId}?key=                        -> [{PartNumber, Size, ETag}]
    POST   /s3/multipart/{uploadId}/complete?key=  {parts: [{PartNumber, ETag}]} -> {location}
    DELETE /s3/multipart/{uploadId}?key=                        -> {}
    GET    /healthz, GET /metrics

`role` (`track`, `stem` or `cover`; also read from Uppy's `metadata.role`, default `track`)
becomes the object's `x-amz-meta-role`, which the pipeline routes by; an unknown role is a
400 `invalid_role`, a file its role contradicts a 400 `role_mismatch` (nothing created).
Every /s3 route needs `Authorization: Bearer <token>` (`workers.uploads.tokens`). Errors
are JSON `{"error": code, "message": text}` with the status of the typed error.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from stacks.settings import BucketRole, Settings, load_file, load_stack
from workers.pipeline.roles import DEFAULT_ROLE, InvalidRoleError, UploadRole, parse_role
from workers.uploads import errors
from workers.uploads.metrics import UploadMetrics
from workers.uploads.notify import QuotaNotifier, find_topic_arn
from workers.uploads.quotas import QuotaStore
from workers.uploads.service import UploadService
from workers.uploads.tokens import TokenError, verify_token
from workers.uploads.upstream_timing import time_upstream_calls

Handler = Callable[[Request], Awaitable[Response]]
log = logging.getLogger(__name__)
MAX_BATCH_PARTS = 1000
UPSTREAM_CONNECTIONS = 50
"""Kept-alive connections per AWS client: at least the request threads that may call at once
(anyio's default pool has 40), so none is opened and dropped per call under load."""


class TokenSecretMissingError(RuntimeError):
    """The environment variable named by `uploads.token_secret_env` is unset or empty."""


def _error_response(exc: errors.UploadApiError) -> JSONResponse:
    headers = {"WWW-Authenticate": 'Bearer realm="uploads"'} if exc.status == 401 else None
    return JSONResponse(
        {"error": exc.code, "message": exc.message}, status_code=exc.status, headers=headers
    )


async def _handle_api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, errors.UploadApiError)
    return _error_response(exc)


async def _json_body(request: Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise errors.BadRequestError("the request body must be JSON") from exc
    if not isinstance(body, dict):
        raise errors.BadRequestError("the request body must be a JSON object")
    return body


def _query_key(request: Request) -> str:
    key = request.query_params.get("key")
    if not key:
        raise errors.BadRequestError("the 'key' query parameter is required")
    return key


def _declared_size(body: dict[str, Any]) -> int:
    """`size` at the top level, or in Uppy's `metadata` (sent as a string there)."""
    size = body.get("size")
    if size is None and isinstance(body.get("metadata"), dict):
        size = body["metadata"].get("size")
    if isinstance(size, str) and size.isdigit():
        size = int(size)
    if isinstance(size, bool) or not isinstance(size, int):
        raise errors.BadRequestError("'size' (the file's size in bytes) is required")
    return size


def _declared_role(body: dict[str, Any]) -> UploadRole:
    """`role` at the top level, or in Uppy's `metadata`; `track` when neither is sent."""
    role = body.get("role")
    if role is None and isinstance(body.get("metadata"), dict):
        role = body["metadata"].get("role")
    if role is None:
        return DEFAULT_ROLE
    try:
        return parse_role(role)
    except InvalidRoleError as exc:
        raise errors.InvalidRoleRequestError(str(exc)) from exc


def create_app(
    settings: Settings,
    *,
    s3: Any,
    dynamodb: Any,
    sns: Any,
    token_secret: bytes,
    presign_s3: Any = None,
    alerts_topic_arn: str | None = None,
    metrics: UploadMetrics | None = None,
    reap_every_s: float | None = 3600.0,
    abandon_after_s: float | None = None,
) -> Starlette:
    """The uploads API over injected boto3 clients (S3, DynamoDB, SNS).

    While the app runs (ASGI lifespan), every `reap_every_s` seconds it aborts uploads
    reserved more than `abandon_after_s` ago (default: the `incoming` bucket's
    `abort_multipart_days`) and gives their quota back; `reap_every_s=None` turns that off.
    """
    if not token_secret:
        raise TokenSecretMissingError("the token secret must not be empty")
    metrics = metrics if metrics is not None else UploadMetrics()
    topic_arn = alerts_topic_arn or find_topic_arn(sns, settings.resource_name("alerts-warning"))
    quotas = QuotaStore(
        dynamodb,
        settings.resource_name("quotas"),
        default_limit_bytes=settings.quotas.default_bytes,
        notify_percents=settings.quotas.notify_percents,
        notifier=QuotaNotifier(sns, topic_arn),
    )
    service = UploadService(settings, s3=s3, quotas=quotas, metrics=metrics, presign_s3=presign_s3)

    for client in (s3, dynamodb, sns):
        time_upstream_calls(client, metrics)

    def authenticated(handler: Callable[[Request, str], Awaitable[Response]]) -> Handler:
        timer = metrics.request_seconds.labels(operation=handler.__name__)

        async def endpoint(request: Request) -> Response:
            with timer.time():
                scheme, _, token = request.headers.get("authorization", "").partition(" ")
                if scheme.lower() != "bearer" or not token.strip():
                    raise errors.UnauthorizedError("a bearer token is required")
                try:
                    claims = verify_token(token_secret, token.strip())
                except TokenError as exc:
                    raise errors.UnauthorizedError(f"invalid token: {exc}") from exc
                return await handler(request, claims.user_id)

        return endpoint

    async def create(request: Request, user_id: str) -> Response:
        body = await _json_body(request)
        filename = body.get("filename")
        if not isinstance(filename, str):
            raise errors.InvalidFilenameRequestError("'filename' is required")
        content_type = body.get("type") if isinstance(body.get("type"), str) else None
        created = await run_in_threadpool(
            service.create,
            user_id,
            filename,
            _declared_size(body),
            content_type,
            _declared_role(body),
        )
        return JSONResponse(
            {
                "uploadId": created.upload_id,
                "key": created.key,
                "partSize": created.part_size,
                "partCount": created.part_count,
                "bucket": service.bucket,
                "role": created.role.value,
            }
        )

    async def sign_part(request: Request, user_id: str) -> Response:
        number = request.path_params["partNumber"]
        urls = await run_in_threadpool(
            service.sign_parts,
            user_id,
            request.path_params["uploadId"],
            _query_key(request),
            [number],
        )
        expires = settings.uploads.presign_expiry_seconds
        return JSONResponse({"url": urls[number], "expires": expires})

    async def sign_batch(request: Request, user_id: str) -> Response:
        raw = request.query_params.get("partNumbers", "")
        try:
            numbers = [int(n) for n in raw.split(",") if n.strip()]
        except ValueError as exc:
            raise errors.BadRequestError("'partNumbers' must be comma-separated integers") from exc
        if not numbers or len(numbers) > MAX_BATCH_PARTS:
            raise errors.BadRequestError(f"'partNumbers' must list 1 to {MAX_BATCH_PARTS} parts")
        urls = await run_in_threadpool(
            service.sign_parts,
            user_id,
            request.path_params["uploadId"],
            _query_key(request),
            numbers,
        )
        return JSONResponse({"presignedUrls": {str(n): url for n, url in urls.items()}})

    async def list_parts(request: Request, user_id: str) -> Response:
        parts = await run_in_threadpool(
            service.list_parts, user_id, request.path_params["uploadId"], _query_key(request)
        )
        return JSONResponse(parts)

    async def complete(request: Request, user_id: str) -> Response:
        body = await _json_body(request)
        result = await run_in_threadpool(
            service.complete,
            user_id,
            request.path_params["uploadId"],
            _query_key(request),
            body.get("parts"),
        )
        return JSONResponse(result)

    async def abort(request: Request, user_id: str) -> Response:
        await run_in_threadpool(
            service.abort, user_id, request.path_params["uploadId"], _query_key(request)
        )
        return JSONResponse({})

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok", "bucket": service.bucket})

    async def metrics_endpoint(request: Request) -> Response:
        body, content_type = metrics.exposition()
        return Response(body, media_type=content_type)

    incoming = settings.storage.buckets[BucketRole.INCOMING]
    max_age_s = (
        abandon_after_s if abandon_after_s is not None else incoming.abort_multipart_days * 86400
    )

    async def reap_periodically() -> None:
        assert reap_every_s is not None
        while True:
            await asyncio.sleep(reap_every_s)
            try:
                await run_in_threadpool(service.reap_abandoned, max_age_s)
            except (BotoCoreError, ClientError):
                log.exception("reaping abandoned uploads failed; trying again later")

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        task = asyncio.create_task(reap_periodically()) if reap_every_s else None
        try:
            yield
        finally:
            if task is not None:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)

    routes = [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/metrics", metrics_endpoint, methods=["GET"]),
        Route("/s3/multipart", authenticated(create), methods=["POST"]),
        Route("/s3/multipart/{uploadId}/batch", authenticated(sign_batch), methods=["GET"]),
        Route(
            "/s3/multipart/{uploadId}/{partNumber:int}", authenticated(sign_part), methods=["GET"]
        ),
        Route("/s3/multipart/{uploadId}/complete", authenticated(complete), methods=["POST"]),
        Route("/s3/multipart/{uploadId}", authenticated(list_parts), methods=["GET"]),
        Route("/s3/multipart/{uploadId}", authenticated(abort), methods=["DELETE"]),
    ]
    middleware = [
        Middleware(
            CORSMiddleware,
            allow_origins=list(settings.storage.cors_origins),
            allow_methods=["GET", "POST", "DELETE", "OPTIONS"],
            allow_headers=["authorization", "content-type"],
        )
    ]
    app = Starlette(
        routes=routes,
        middleware=middleware,
        exception_handlers={errors.UploadApiError: _handle_api_error},
        lifespan=lifespan,
    )
    app.state.metrics = metrics
    app.state.service = service
    return app


def settings_from_env(environ: Mapping[str, str]) -> Settings:
    """Settings of `MEDIAINFRA_STACK_FILE` (a path) or `MEDIAINFRA_STACK` (default: local)."""
    stack_file = environ.get("MEDIAINFRA_STACK_FILE")
    if stack_file:
        return load_file(stack_file)
    return load_stack(environ.get("MEDIAINFRA_STACK", "local"))


def app_from_env(
    environ: Mapping[str, str] | None = None, *, settings: Settings | None = None
) -> Starlette:
    """The process entry point (`uvicorn --factory workers.uploads.api:app_from_env`).

    Settings from `settings_from_env`; AWS endpoint and credentials from boto3's usual
    environment (`AWS_ENDPOINT_URL` for moto); the token secret from the variable named by
    `uploads.token_secret_env`. `settings` overrides the stack named in the environment.
    """
    import boto3
    from botocore.config import Config

    environ = os.environ if environ is None else environ
    settings = settings if settings is not None else settings_from_env(environ)
    secret = environ.get(settings.uploads.token_secret_env, "")
    if not secret:
        raise TokenSecretMissingError(
            f"set {settings.uploads.token_secret_env} to the uploads token secret"
        )
    endpoint = environ.get("AWS_ENDPOINT_URL") or None
    session = boto3.session.Session(region_name=settings.region)
    config = Config(signature_version="s3v4", max_pool_connections=UPSTREAM_CONNECTIONS)
    clients = {
        name: session.client(name, endpoint_url=endpoint, config=config)
        for name in ("s3", "dynamodb", "sns")
    }
    return create_app(settings, token_secret=secret.encode(), **clients)
