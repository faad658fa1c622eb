"""The harness's Locust options, each with an environment-variable twin (`LOCUST_...`).

SLA thresholds default to the stack's `slas` settings; each can be overridden by its own
option (`--sla-first-byte-p95-ms 150` / `LOCUST_SLA_FIRST_BYTE_P95_MS=150`) or by k6-style
expressions (`--sla "p95 first_byte < 150ms; rate failures < 0.5%"` / `LOCUST_SLA`).
"""

from __future__ import annotations

from typing import Any

from loadtests.sla import Threshold, default_thresholds, merge_thresholds, parse_thresholds
from stacks.settings import SlaSettings

SLA_OPTIONS: dict[str, str] = {
    "first_byte_p95_ms": "p95 first_byte < {}ms",
    "max_failure_percent": "rate failures < {}%",
    "download_mb_per_s": "avg download > {}MB/s",
    "upload_mb_per_s": "avg upload > {}MB/s",
    "cache_hit_percent": "value hit_ratio >= {}%",
    "queue_wait_p95_seconds": "p95 queue_wait < {}s",
}
"""SlaSettings field -> the expression its option sets."""


def _env(name: str) -> str:
    return "LOCUST_" + name.upper().replace("-", "_")


def add_options(parser: Any) -> None:
    """Register the harness options on Locust's argument parser."""

    def add(name: str, **kwargs: Any) -> None:
        parser.add_argument(f"--{name}", env_var=_env(name), include_in_web_ui=False, **kwargs)

    add("stack", default="local", help="Stack whose settings give the SLA defaults.")
    add("region", default="local", help="Region label of this load generator (per-region SLAs).")
    add("load-shape", default="steady", choices=["steady", "ramp", "spike"], help="Load shape.")
    add("catalogue", default="", help="Catalogue JSON: downloads, hls, first_byte URL paths.")
    add("zipf-exponent", type=float, default=1.0, help="Zipf exponent of catalogue popularity.")
    add("uploads-url", default="", help="Base URL of the uploads API (upload scenarios).")
    add("upload-token", default="", help="Bearer token for the uploads API.")
    add("upload-token-secret", default="", help="HMAC secret to issue test tokens instead.")
    add("upload-bytes", type=int, default=32 * 1024**2, help="Size of each upload.")
    add("upload-parallel", type=int, default=4, help="Parts in flight per upload.")
    add("aws-endpoint", default="", help="S3 endpoint to poll for derivatives (queue wait).")
    add("derivatives-bucket", default="", help="Bucket polled for derivatives (default: stack's).")
    add("queue-wait-timeout", type=float, default=120.0, help="Give up waiting after (s).")
    add("hls-pace", type=float, default=1.0, help="Segment pacing: 1.0 = real time, 0 = no wait.")
    add("hls-segments", type=int, default=4, help="Segments played per HLS session.")
    add("report-dir", default="", help="Write JSON, CSV and HTML reports here.")
    add("sla", default="", help="Extra or overriding SLA expressions, ';'-separated.")
    for field in SLA_OPTIONS:
        add(f"sla-{field.replace('_', '-')}", type=float, default=None, help=f"SLA {field}.")


def thresholds_from(options: Any, slas: SlaSettings) -> list[Threshold]:
    """Stack defaults, then per-field options, then `--sla` expressions (last wins)."""
    overrides: list[Threshold] = []
    for field, template in SLA_OPTIONS.items():
        value = getattr(options, f"sla_{field}", None)
        if value is not None:
            overrides += parse_thresholds([template.format(value)])
    result = merge_thresholds(default_thresholds(slas), overrides)
    return merge_thresholds(result, parse_thresholds(getattr(options, "sla", "") or ""))
