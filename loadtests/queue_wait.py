"""Scenario: processing queue wait — upload a track, time until its derivatives are ready.

A short WAV (a unique tone, so deduplication cannot skip it) goes in through the uploads
API; the derivatives bucket is then polled over the S3 API for `audio/<sha256>/manifest.json`,
which the audio worker writes last, as the commit of a track's derivatives. The time from the
completed upload to that object is the `queue_wait` sample (scan, dedup, transcode).
"""

from __future__ import annotations

import hashlib
import io
import os
import random
import time
import uuid
import wave

import boto3
import numpy as np
from locust import task

from loadtests.upload import bearer_token, multipart_upload
from loadtests.users import MediaUser

POLL_S = 0.5
READY_NAME = "manifest.json"
SAMPLE_RATE = 44100


def tone_wav(seconds: float, rng: random.Random) -> bytes:
    """A 16-bit stereo WAV of a random tone with a little noise (unique content)."""
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    signal = 0.3 * np.sin(2 * np.pi * rng.uniform(200, 2000) * t)
    signal += np.random.default_rng(rng.getrandbits(32)).normal(0, 0.01, t.size)
    pcm = (np.clip(signal, -1, 1) * 32767).astype("<i2")
    stereo = np.repeat(pcm[:, None], 2, axis=1)
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes(stereo.tobytes())
    return buffer.getvalue()


class ProcessingUser(MediaUser):
    weight = 1
    fixed_count = 1

    def on_start(self) -> None:
        options = self.environment.parsed_options
        self.user_id = f"load-{uuid.uuid4().hex[:12]}"
        self.token = bearer_token(options, self.user_id)
        endpoint = getattr(options, "aws_endpoint", "") or None
        settings = self.harness.settings
        self.bucket = getattr(options, "derivatives_bucket", "") or settings.bucket_name(
            "derivatives"
        )
        self.enabled = bool(getattr(options, "uploads_url", "")) and self.token is not None
        extra = {}
        if endpoint and not os.environ.get("AWS_ACCESS_KEY_ID"):
            extra = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
        self.s3 = boto3.client("s3", endpoint_url=endpoint, region_name=settings.region, **extra)
        self.rng = random.Random()

    def _ready(self, prefix: str) -> bool:
        listing = self.s3.list_objects_v2(Bucket=self.bucket, Prefix=f"{prefix}{READY_NAME}")
        return any(obj["Key"] == f"{prefix}{READY_NAME}" for obj in listing.get("Contents", []))

    @task
    def upload_and_wait(self) -> None:
        if not self.enabled or self.token is None:
            self.stop()
            return
        body = tone_wav(2.0, self.rng)
        if not multipart_upload(self, self.token, body, "tone.wav", "audio/wav", sample=False):
            return
        uploaded = time.perf_counter()
        prefix = f"audio/{hashlib.sha256(body).hexdigest()}/"
        timeout = float(getattr(self.environment.parsed_options, "queue_wait_timeout", 120.0))
        while time.perf_counter() - uploaded < timeout:
            if self._ready(prefix):
                self.harness.recorder.sample("queue_wait", (time.perf_counter() - uploaded) * 1000)
                return
            time.sleep(POLL_S)
        self.harness.recorder.sample("queue_wait", 0.0, failed=True)
