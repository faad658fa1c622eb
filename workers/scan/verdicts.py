"""Typed scan verdicts. Only `Clean` means clean; everything else must stop the file."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Clean:
    """clamd scanned every byte and found nothing."""

    scanned_bytes: int


@dataclass(frozen=True)
class Infected:
    """clamd matched a signature."""

    signature: str
    scanned_bytes: int


@dataclass(frozen=True)
class ScanFailed:
    """The file could not be scanned (limits, clamd down, timeout, unexpected reply): not clean."""

    reason: str


Verdict = Clean | Infected | ScanFailed

LIMIT_HEURISTIC_PREFIX = "Heuristics.Limits.Exceeded"
"""What clamd reports with AlertExceedsMax: the file was not fully scanned (not malware)."""


def parse_reply(reply: str, scanned_bytes: int) -> Verdict:
    """Map one clamd INSTREAM reply (`stream: OK`, `stream: X FOUND`, `... ERROR`) to a verdict.

    Anything that is not exactly an OK or a FOUND line is a `ScanFailed`: fail closed.
    """
    text = reply.strip("\x00\r\n ")
    if not text:
        return ScanFailed("clamd closed the connection without a reply")
    if text.endswith(" ERROR"):
        return ScanFailed(f"clamd error: {text.removesuffix(' ERROR').strip()}")
    _, sep, result = text.partition(": ")
    if not sep:
        return ScanFailed(f"unexpected clamd reply: {text!r}")
    if result == "OK":
        return Clean(scanned_bytes)
    if result.endswith(" FOUND"):
        signature = result.removesuffix(" FOUND").strip()
        if signature.startswith(LIMIT_HEURISTIC_PREFIX):
            return ScanFailed(f"scan limit exceeded: {signature}")
        if signature:
            return Infected(signature, scanned_bytes)
    return ScanFailed(f"unexpected clamd reply: {text!r}")
