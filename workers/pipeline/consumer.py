"""The SQS consumer loop for one job kind: receive, parse, dispatch, map the outcome.

- success -> job recorded `done` (conditional write), message deleted;
- a job already recorded `done` (duplicate delivery) -> message deleted, handler not run;
- `TransientJobError` -> visibility changed with exponential backoff; once the receives are
  exhausted a kind that quarantines (scan) moves the object to quarantine as `unscannable`,
  any other kind is left for the queue's redrive policy (DLQ);
- `QuarantineError` -> object quarantined, failure recorded, message deleted;
- `PermanentJobError` -> failure recorded, message deleted;
- a body that is not JSON, not a job, or for another kind (poison) -> sent to the DLQ and
  deleted; the loop never crashes on a message.
"""

from __future__ import annotations

import json
import logging
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError
from pydantic import ValidationError

from stacks.settings import JobKind, Settings
from workers.errors import PermanentJobError, QuarantineError, TransientJobError
from workers.jobs import JobContext, JobHandler, JobMessage
from workers.pipeline.clients import AwsClients
from workers.pipeline.ingest import release_reference
from workers.pipeline.job_records import JobRecords
from workers.pipeline.routing import queue_url
from workers.pipeline.s3_events import NotAnS3Event, is_s3_event, scan_jobs_from_event
from workers.scan.quarantine import publish_alert, quarantine_object

log = logging.getLogger(__name__)
MAX_VISIBILITY_SECONDS = 43200


class Outcome(StrEnum):
    """What happened to one message."""

    DONE = "done"
    IGNORED = "ignored"
    """A message with no job in it (the S3 test event, a non-create event)."""
    DUPLICATE = "duplicate"
    RETRY = "retry"
    FAILED = "failed"
    QUARANTINED = "quarantined"
    POISON = "poison"


@dataclass(frozen=True)
class HandlerSpec:
    """A registry entry: how to load a kind's handler and what exhaustion means for it."""

    load: Callable[[], JobHandler]
    quarantine_when_exhausted: bool = False
    """Quarantine the source (status=unscannable) when retries run out, instead of the DLQ."""


class PoisonMessage(ValueError):
    """A message that no handler can ever process."""


class QueueConsumer:
    """Consume one kind's queue with its registered handler."""

    def __init__(
        self,
        settings: Settings,
        clients: AwsClients,
        kind: JobKind | str,
        spec: HandlerSpec,
        *,
        wait_seconds: int = 20,
        backoff_seconds: float | None = None,
        scratch_root: Path | None = None,
    ) -> None:
        self.settings = settings
        self.clients = clients
        self.kind = JobKind(kind)
        self.spec = spec
        self.wait_seconds = wait_seconds
        self.backoff_seconds = (
            settings.scan.retry_backoff_seconds if backoff_seconds is None else backoff_seconds
        )
        self.scratch_root = scratch_root
        if scratch_root is not None:
            scratch_root.mkdir(parents=True, exist_ok=True)
        self.records = JobRecords(clients.dynamodb, settings.resource_name("jobs"))
        queue = settings.processing.queues[self.kind]
        self.max_receives = queue.max_receive_count
        if spec.quarantine_when_exhausted:
            self.max_receives = min(self.max_receives, settings.scan.max_attempts)
        self._handler: JobHandler | None = None

    @property
    def queue_url(self) -> str:
        return queue_url(self.clients.sqs, self.settings, self.kind)

    def handler(self) -> JobHandler:
        if self._handler is None:
            self._handler = self.spec.load()
        return self._handler

    # ------------------------------------------------------------------ loop

    def run(self, *, once: bool = False, stop: threading.Event | None = None) -> dict[str, int]:
        """Poll until `stop` is set (or, with `once`, until the queue is empty)."""
        stop = stop or threading.Event()
        counts: dict[str, int] = {}
        url = self.queue_url
        while not stop.is_set():
            outcomes = self.poll(url, wait_seconds=1 if once else self.wait_seconds)
            for outcome in outcomes:
                counts[outcome] = counts.get(outcome, 0) + 1
            if once and not outcomes:
                break
        return counts

    def poll(self, url: str | None = None, *, wait_seconds: int | None = None) -> list[Outcome]:
        """One long-poll: process up to 10 messages; returns their outcomes."""
        url = url or self.queue_url
        response = self.clients.sqs.receive_message(
            QueueUrl=url,
            MaxNumberOfMessages=10,
            WaitTimeSeconds=self.wait_seconds if wait_seconds is None else wait_seconds,
            AttributeNames=["ApproximateReceiveCount"],
            MessageAttributeNames=["All"],
        )
        return [self._guarded(url, message) for message in response.get("Messages", [])]

    def _guarded(self, url: str, message: dict[str, Any]) -> Outcome:
        try:
            return self.process(url, message)
        except Exception:
            log.exception("message %s left for redelivery", message.get("MessageId"))
            return Outcome.RETRY

    def process(self, url: str, message: dict[str, Any]) -> Outcome:
        """Handle one SQS message end to end; never raises for a bad message or a bad job."""
        receive_count = int(message.get("Attributes", {}).get("ApproximateReceiveCount", "1"))
        try:
            jobs = self.parse(message.get("Body", ""))
        except PoisonMessage as exc:
            self._to_dlq(url, message, str(exc))
            return Outcome.POISON
        outcomes = [self.run_job(job, receive_count) for job in jobs]
        if Outcome.RETRY in outcomes:
            delay = self.backoff_delay(receive_count)
            self.clients.sqs.change_message_visibility(
                QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=delay
            )
            return Outcome.RETRY
        self.clients.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        return _worst(outcomes)

    def parse(self, body: str) -> list[JobMessage]:
        """Jobs in a message body: a JobMessage, or (scan) an S3 event; else PoisonMessage."""
        try:
            document = json.loads(body)
        except (json.JSONDecodeError, TypeError) as exc:
            raise PoisonMessage(f"body is not JSON: {exc}") from None
        if self.kind is JobKind.SCAN and is_s3_event(document):
            try:
                return scan_jobs_from_event(document)
            except (NotAnS3Event, ValidationError) as exc:
                raise PoisonMessage(f"bad S3 event: {exc}") from None
        try:
            job = JobMessage.model_validate(document)
        except ValidationError as exc:
            raise PoisonMessage(f"not a job message: {exc.errors(include_url=False)}") from None
        if job.kind != self.kind.value:
            raise PoisonMessage(f"a {job.kind!r} job on the {self.kind.value!r} queue")
        return [job]

    def backoff_delay(self, receive_count: int) -> int:
        """Seconds before a failed message is visible again: base x 2^(receives-1), capped."""
        delay = self.backoff_seconds * 2 ** max(receive_count - 1, 0)
        return int(min(delay, MAX_VISIBILITY_SECONDS))

    # ------------------------------------------------------------------ one job

    def run_job(self, job: JobMessage, receive_count: int) -> Outcome:
        """Run one job idempotently and map its outcome."""
        if self.records.is_done(job.job_id):
            log.info("job %s already done: duplicate delivery ignored", job.job_id)
            return Outcome.DUPLICATE
        try:
            with tempfile.TemporaryDirectory(prefix=f"job-{job.kind}-", dir=self.scratch_root) as d:
                result = self.handler()(job, self._context(Path(d)))
        except QuarantineError as exc:
            self._quarantine(job, "unscannable" if job.kind == "scan" else "rejected", exc.reason)
            return Outcome.QUARANTINED
        except PermanentJobError as exc:
            log.warning("job %s failed permanently: %s", job.job_id, exc.reason)
            self.records.mark_failed(job.job_id, job.kind, "failed", exc.reason)
            return Outcome.FAILED
        except TransientJobError as exc:
            return self._transient(job, receive_count, exc.reason)
        except Exception as exc:
            log.exception("job %s raised unexpectedly", job.job_id)
            return self._transient(job, receive_count, f"{type(exc).__name__}: {exc}")
        self.records.mark_done(job.job_id, job.kind, result)
        return Outcome.DONE

    def _transient(self, job: JobMessage, receive_count: int, reason: str) -> Outcome:
        exhausted = receive_count >= self.max_receives
        log.warning(
            "job %s transient failure (receive %d/%d): %s",
            job.job_id,
            receive_count,
            self.max_receives,
            reason,
        )
        if exhausted and self.spec.quarantine_when_exhausted:
            self._quarantine(
                job, "unscannable", f"gave up after {receive_count} attempts: {reason}"
            )
            return Outcome.QUARANTINED
        return Outcome.RETRY

    def _quarantine(self, job: JobMessage, status: str, reason: str) -> None:
        target = quarantine_object(
            self.settings,
            self.clients.s3,
            job.source,
            status=status,
            detail={"reason": reason},
            remove_source=job.kind == "scan",  # later kinds read shared, deduplicated masters
        )
        event = {
            "event": f"upload-{status}",
            "reason": reason,
            "source": job.source.model_dump(mode="json"),
            "quarantine": target.model_dump(mode="json"),
            "job_id": job.job_id,
        }
        if job.kind == "scan":  # a reference added before the scan job gave up is void
            release_reference(self.settings, self.clients.s3, self.clients.dynamodb, job.source)
        publish_alert(self.settings, self.clients.sns, "warning", event)
        self.records.mark_failed(job.job_id, job.kind, "quarantined", f"{status}: {reason}")

    def _context(self, scratch: Path) -> JobContext:
        return JobContext(
            settings=self.settings,
            s3=self.clients.s3,
            scratch=scratch,
            sqs=self.clients.sqs,
            sns=self.clients.sns,
            dynamodb=self.clients.dynamodb,
        )

    def _to_dlq(self, url: str, message: dict[str, Any], reason: str) -> None:
        log.warning("poison message %s: %s", message.get("MessageId"), reason)
        if not self.settings.processing.queues[self.kind].dead_letter:
            log.error("%s queue has no DLQ (dead_letter: false): message left on it", self.kind)
            return
        try:
            dlq = queue_url(self.clients.sqs, self.settings, self.kind, dlq=True)
        except ClientError as exc:
            log.error("no DLQ for %s (%s): left for the redrive policy", self.kind, exc)
            return
        self.clients.sqs.send_message(
            QueueUrl=dlq,
            MessageBody=message.get("Body", "") or "<empty>",
            MessageAttributes={
                "poison-reason": {"DataType": "String", "StringValue": reason[:1000]},
                "source-queue": {"DataType": "String", "StringValue": url},
            },
        )
        self.clients.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


_SEVERITY = [Outcome.DONE, Outcome.DUPLICATE, Outcome.FAILED, Outcome.QUARANTINED]


def _worst(outcomes: list[Outcome]) -> Outcome:
    """The most notable outcome of a message's jobs (a message without jobs is IGNORED)."""
    return max(outcomes, key=_SEVERITY.index, default=Outcome.IGNORED)
