"""Typed job outcomes shared by every worker: what the queue runner does with a failure.

- `TransientJobError`: try again later (message becomes visible again; after the queue's
  max receives it lands in the DLQ).
- `PermanentJobError`: the input can never succeed (corrupt, unsupported, too large);
  the runner records the reason and deletes the message (no retry).
- `QuarantineError`: the input is unsafe; the runner moves it to quarantine.
"""

from __future__ import annotations


class JobError(Exception):
    """Base of job failures; `reason` is a one-line, user-facing explanation."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TransientJobError(JobError):
    """A failure worth retrying (network, a dependency down, a timeout)."""


class PermanentJobError(JobError):
    """A failure no retry can fix (corrupt or unsupported input, limits exceeded)."""


class QuarantineError(PermanentJobError):
    """The input is unsafe (malware, a scan that could not complete after retries)."""
