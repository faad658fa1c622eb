"""Which version was current at a point, from versions and delete markers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from drills.versions import _Version, key_at_point

T0 = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)


def _v(vid: str, seconds: int, *, latest: bool = False, marker: bool = False, order: int = 0):  # type: ignore[no-untyped-def]
    return _Version("k", vid, T0 + timedelta(seconds=seconds), latest, marker, order)


def test_overwritten_after_the_point_restores_the_older_version():
    state = key_at_point([_v("new", 10, latest=True), _v("old", 0)], T0 + timedelta(seconds=5))
    assert (state.version_id, state.current_version_id) == ("old", "new")
    assert state.needs_copy and not state.needs_delete


def test_deleted_after_the_point_is_brought_back():
    versions = [_v("dm", 10, latest=True, marker=True), _v("v1", 0)]
    state = key_at_point(versions, T0 + timedelta(seconds=5))
    assert state.version_id == "v1" and state.current_version_id is None and state.needs_copy


def test_created_after_the_point_is_deleted():
    state = key_at_point([_v("v1", 10, latest=True)], T0 + timedelta(seconds=5))
    assert state.version_id is None and state.needs_delete


def test_deleted_before_the_point_stays_absent():
    versions = [_v("dm", 3, latest=True, marker=True), _v("v1", 0)]
    state = key_at_point(versions, T0 + timedelta(seconds=5))
    assert state.version_id is None and not state.needs_delete and not state.needs_copy


def test_unchanged_key_needs_nothing():
    state = key_at_point([_v("v1", 0, latest=True)], T0 + timedelta(seconds=5))
    assert not state.needs_copy and not state.needs_delete
    assert state.last_modified == T0


def test_same_second_versions_prefer_the_latest():
    versions = [_v("a", 0), _v("b", 0, latest=True)]
    assert key_at_point(versions, T0).version_id == "b"
