"""The client's resume state file: atomic saves, parts recorded, unreadable files ignored."""

from __future__ import annotations

from pathlib import Path

from workers.uploads.resume import StateFile, UploadState


def _state(tmp_path: Path) -> UploadState:
    return UploadState(
        endpoint="http://api",
        path=str(tmp_path / "a.wav"),
        size=11,
        mtime_ns=5,
        upload_id="u1",
        key="alice/" + "0" * 32 + "/a.wav",
        part_size=5,
    )


def test_save_record_load_remove(tmp_path: Path) -> None:
    store = StateFile(tmp_path / "state", "http://api", tmp_path / "a.wav")
    assert store.load() is None
    store.save(_state(tmp_path))
    store.record_part(2, '"etag2"')
    store.record_part(1, '"etag1"')
    loaded = StateFile(tmp_path / "state", "http://api", tmp_path / "a.wav").load()
    assert loaded is not None and loaded.parts == {1: '"etag1"', 2: '"etag2"'}
    assert loaded.describes("http://api", tmp_path / "a.wav", 11, 5)
    assert not loaded.describes("http://api", tmp_path / "a.wav", 11, 6)
    assert not loaded.describes("http://other", tmp_path / "a.wav", 11, 5)
    store.remove()
    assert store.load() is None
    assert [p.name for p in (tmp_path / "state").iterdir()] == []


def test_one_file_per_endpoint_and_path(tmp_path: Path) -> None:
    a = StateFile(tmp_path, "http://api", tmp_path / "a.wav").path
    b = StateFile(tmp_path, "http://api", tmp_path / "b.wav").path
    c = StateFile(tmp_path, "http://other", tmp_path / "a.wav").path
    assert len({a, b, c}) == 3


def test_unreadable_state_is_ignored(tmp_path: Path) -> None:
    store = StateFile(tmp_path, "http://api", tmp_path / "a.wav")
    store.path.write_text("{not json")
    assert store.load() is None
    store.path.write_text('{"endpoint": "x"}')
    assert store.load() is None
