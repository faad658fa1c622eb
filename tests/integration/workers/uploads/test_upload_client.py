"""`upload_file` against a live API and moto: parallel parts, retries, resume, bad input."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from unittest.mock import patch

import pytest
from uploads_harness import FaultInjector, UploadStack, object_sha256, write_random_file

from workers.uploads.client import EmptyFileError, UploadRejectedError, _Uploader, upload_file
from workers.uploads.resume import StateFile

pytestmark = pytest.mark.integration
MIB = 1024 * 1024


def test_parallel_upload_stores_the_exact_bytes(upload_stack: UploadStack, tmp_path: Path) -> None:
    source = tmp_path / "take 1.wav"
    digest = write_random_file(source, 17 * MIB + 7)
    result = upload_file(
        source,
        endpoint=upload_stack.url,
        token=upload_stack.token("uma"),
        parallel=3,
        progress=False,
        state_dir=tmp_path / "state",
    )
    assert (result.parts_total, result.parts_sent, result.parts_resumed) == (4, 4, 0)
    assert result.key.startswith("uma/") and result.key.endswith("/take_1.wav")
    assert result.bucket == upload_stack.bucket
    assert object_sha256(upload_stack.s3, upload_stack.bucket, result.key) == digest
    assert list((tmp_path / "state").iterdir()) == []


def test_file_over_100_mb(upload_stack: UploadStack, tmp_path: Path) -> None:
    source = tmp_path / "long-mix.flac"
    size = 120 * 1000 * 1000
    digest = write_random_file(source, size)
    result = upload_file(
        source,
        endpoint=upload_stack.url,
        token=upload_stack.token("vic"),
        parallel=4,
        progress=False,
        state_dir=tmp_path / "state",
    )
    assert result.size == size
    assert result.parts_total == -(-size // (5 * MIB)) == 23
    assert object_sha256(upload_stack.s3, upload_stack.bucket, result.key) == digest
    usage = upload_stack.app.state.service.quotas.usage("vic")
    assert (usage.used_bytes, usage.reserved_bytes) == (size, 0)


def test_5xx_answers_are_retried(
    start_upload_stack: Callable[..., UploadStack], tmp_path: Path
) -> None:
    faults: list[FaultInjector] = []

    def wrap(app: object) -> FaultInjector:
        faults.append(FaultInjector(app, r"^/s3/multipart", times=2, every=2))
        return faults[0]

    stack = start_upload_stack(wrap=wrap)
    source = tmp_path / "flaky.wav"
    digest = write_random_file(source, 11 * MIB)
    result = upload_file(
        source,
        endpoint=stack.url,
        token=stack.token("wes"),
        parallel=2,
        progress=False,
        state_dir=tmp_path / "state",
    )
    assert faults[0].injected == 2  # the batch signing and the completion each failed once
    assert object_sha256(stack.s3, stack.bucket, result.key) == digest


def test_a_failed_run_resumes_sending_only_missing_parts(
    upload_stack: UploadStack, tmp_path: Path
) -> None:
    source = tmp_path / "album.wav"
    digest = write_random_file(source, 16 * MIB)
    state_dir = tmp_path / "state"
    kwargs = {"endpoint": upload_stack.url, "token": upload_stack.token("xia")}
    original = _Uploader.send_part
    sent: list[int] = []

    def part_three_refused(self, state, urls, fd, number, limiter):  # type: ignore[no-untyped-def]
        if number == 3:
            raise UploadRejectedError(400, "injected", "part 3 refused")
        sent.append(number)
        return original(self, state, urls, fd, number, limiter)

    with (
        patch.object(_Uploader, "send_part", part_three_refused),
        pytest.raises(UploadRejectedError, match="part 3 refused"),
    ):
        upload_file(source, parallel=1, progress=False, state_dir=state_dir, **kwargs)
    saved = StateFile(state_dir, upload_stack.url, source.resolve()).load()
    assert saved is not None and {1, 2} <= set(saved.parts) and 3 not in sent
    listed = upload_stack.s3.list_parts(
        Bucket=upload_stack.bucket, Key=saved.key, UploadId=saved.upload_id
    )["Parts"]
    stored = {part["PartNumber"] for part in listed}
    assert {1, 2} <= stored and 3 not in stored  # part 4 may have gone out before the stop

    with patch.object(_Uploader, "send_part", autospec=True, side_effect=original) as spy:
        result = upload_file(source, parallel=2, progress=False, state_dir=state_dir, **kwargs)
    resent = sorted(call.args[4] for call in spy.call_args_list)
    assert resent == sorted({1, 2, 3, 4} - stored)
    assert (result.parts_sent, result.parts_resumed) == (len(resent), len(stored))
    assert result.upload_id == saved.upload_id
    assert object_sha256(upload_stack.s3, upload_stack.bucket, result.key) == digest


def test_a_changed_file_starts_over_and_aborts_the_old_upload(
    upload_stack: UploadStack, tmp_path: Path
) -> None:
    source = tmp_path / "draft.wav"
    write_random_file(source, 6 * MIB)
    state_dir = tmp_path / "state"
    store = StateFile(state_dir, upload_stack.url, source.resolve())
    with upload_stack.client("yan") as api:
        created = api.post(
            "/s3/multipart", json={"filename": "draft.wav", "size": 6 * MIB - 1}
        ).json()
    from workers.uploads.resume import UploadState

    store.save(
        UploadState(
            endpoint=upload_stack.url,
            path=str(source.resolve()),
            size=6 * MIB - 1,
            mtime_ns=1,
            upload_id=created["uploadId"],
            key=created["key"],
            part_size=created["partSize"],
        )
    )
    digest = write_random_file(source, 6 * MIB)
    result = upload_file(
        source,
        endpoint=upload_stack.url,
        token=upload_stack.token("yan"),
        progress=False,
        state_dir=state_dir,
    )
    assert result.upload_id != created["uploadId"] and result.parts_resumed == 0
    assert upload_stack.multipart_uploads() == []
    assert object_sha256(upload_stack.s3, upload_stack.bucket, result.key) == digest
    usage = upload_stack.app.state.service.quotas.usage("yan")
    assert (usage.used_bytes, usage.reserved_bytes) == (6 * MIB, 0)


def test_empty_file_fails_before_any_request(tmp_path: Path) -> None:
    empty = tmp_path / "empty.wav"
    empty.touch()
    with pytest.raises(EmptyFileError, match="empty"):
        upload_file(empty, endpoint="http://127.0.0.1:9", token="t", state_dir=tmp_path)


def test_over_quota_is_reported_with_the_servers_message(
    start_upload_stack: Callable[..., UploadStack], tmp_path: Path
) -> None:
    stack = start_upload_stack(quota_bytes=1000)
    source = tmp_path / "big.wav"
    write_random_file(source, 2000)
    with pytest.raises(UploadRejectedError, match="quota exceeded") as failure:
        upload_file(
            source,
            endpoint=stack.url,
            token=stack.token("zoe"),
            progress=False,
            state_dir=tmp_path / "state",
        )
    assert failure.value.status == 413
    assert stack.multipart_uploads() == []
