"""A webhook receiver that records alerts: Alertmanager notifications and SNS deliveries.

`POST /alertmanager` takes Alertmanager's webhook JSON; `POST /sns` takes SNS HTTP
notifications (subscription confirmations are confirmed by fetching `SubscribeURL`).
Each alert becomes one JSON line in the record file; `GET /alerts` lists them.
Run as `python -m local.alert_receiver --port P --record FILE`.
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route


class AlertRecord:
    """Append-only JSON-lines file of received alerts (thread-safe appends)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()

    def append(self, entry: dict[str, Any]) -> None:
        line = json.dumps({"received_at": time.time(), **entry}, sort_keys=True)
        with self._lock, self.path.open("a") as handle:
            handle.write(line + "\n")

    def read(self) -> list[dict[str, Any]]:
        return read_alerts(self.path)


def read_alerts(path: Path) -> list[dict[str, Any]]:
    """Every recorded alert, oldest first (empty when nothing arrived yet)."""
    try:
        lines = Path(path).read_text().splitlines()
    except FileNotFoundError:
        return []
    return [json.loads(line) for line in lines if line.strip()]


def create_app(record: AlertRecord) -> Starlette:
    async def alertmanager(request: Request) -> Response:
        payload = await request.json()
        for alert in payload.get("alerts", []):
            record.append(
                {
                    "source": "alertmanager",
                    "status": alert.get("status", ""),
                    "name": alert.get("labels", {}).get("alertname", ""),
                    "severity": alert.get("labels", {}).get("severity", ""),
                    "labels": alert.get("labels", {}),
                    "annotations": alert.get("annotations", {}),
                }
            )
        return PlainTextResponse("ok")

    async def sns(request: Request) -> Response:
        payload = json.loads(await request.body())
        kind = payload.get("Type") or request.headers.get("x-amz-sns-message-type", "")
        if kind == "SubscriptionConfirmation" and payload.get("SubscribeURL"):
            async with httpx.AsyncClient(timeout=5) as client:
                await client.get(payload["SubscribeURL"])
            return PlainTextResponse("confirmed")
        topic = str(payload.get("TopicArn", ""))
        message = payload.get("Message", "")
        try:
            detail = json.loads(message)
        except (TypeError, ValueError):
            detail = {"message": message}
        record.append(
            {
                "source": "sns",
                "status": "firing",
                "name": str(detail.get("event", payload.get("Subject", "sns"))),
                "severity": topic.rsplit(":", 1)[-1],
                "topic": topic,
                "subject": payload.get("Subject", ""),
                "detail": detail,
            }
        )
        return PlainTextResponse("ok")

    async def alerts(request: Request) -> Response:
        return JSONResponse(record.read())

    async def healthz(request: Request) -> Response:
        return PlainTextResponse("ok")

    return Starlette(
        routes=[
            Route("/alertmanager", alertmanager, methods=["POST"]),
            Route("/sns", sns, methods=["POST"]),
            Route("/alerts", alerts, methods=["GET"]),
            Route("/healthz", healthz, methods=["GET"]),
        ]
    )


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--record", type=Path, required=True)
    args = parser.parse_args()
    uvicorn.run(
        create_app(AlertRecord(args.record)), host="127.0.0.1", port=args.port, log_level="warning"
    )


if __name__ == "__main__":
    main()
