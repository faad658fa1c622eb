"""The job contract between the queue runner and the workers.

A message on a processing queue is a JSON `JobMessage`. The runner (`workers.runner`)
parses it, builds a `JobContext` and calls the handler registered for its kind; handlers
raise the typed errors of `workers.errors` and return a JSON-able result manifest.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from stacks.settings import Settings


class ObjectRef(BaseModel):
    """An object in a bucket."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    bucket: str
    key: str
    version_id: str | None = None


class OutputRef(BaseModel):
    """Where a job writes: a bucket and a key prefix (outputs go to deterministic keys below it)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    bucket: str
    prefix: str


class JobMessage(BaseModel):
    """One unit of work on a processing queue."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    job_id: str = Field(min_length=1, max_length=200)
    kind: Literal["scan", "audio", "image"]
    role: Literal["track", "stem", "cover", "upload"] = "upload"
    source: ObjectRef
    output: OutputRef | None = None
    content_hash: str | None = None
    user_id: str | None = None
    attributes: dict[str, str] = {}


@dataclass(frozen=True)
class JobContext:
    """What a handler gets besides the message: clients, settings and a private scratch dir."""

    settings: Settings
    s3: Any
    """A boto3 S3 client."""
    scratch: Path
    """An empty directory owned by this job; removed by the runner afterwards."""
    sqs: Any = None
    sns: Any = None
    dynamodb: Any = None


class JobHandler(Protocol):
    """A worker's entry point for one job kind."""

    def __call__(self, job: JobMessage, ctx: JobContext) -> dict[str, Any]: ...
