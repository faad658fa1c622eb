"""Upload roles: parsing, what each role accepts, the API's reading of Uppy's body, resume."""

from __future__ import annotations

from pathlib import Path

import pytest

from workers.pipeline.roles import (
    DEFAULT_ROLE,
    InvalidRoleError,
    RoleMismatchError,
    UploadRole,
    check_role_fits,
    parse_role,
    role_for_filename,
)
from workers.uploads import errors
from workers.uploads.api import _declared_role
from workers.uploads.resume import UploadState


@pytest.mark.parametrize("value", ["track", "stem", "cover"])
def test_the_three_roles_parse(value: str) -> None:
    assert parse_role(value) is UploadRole(value)


@pytest.mark.parametrize("value", ["Stem", "stems", "", "upload", None, 3, ["stem"], "cover "])
def test_anything_else_is_an_invalid_role(value: object) -> None:
    with pytest.raises(InvalidRoleError, match="expected one of track, stem, cover"):
        parse_role(value)


@pytest.mark.parametrize(
    ("role", "filename"),
    [
        (UploadRole.TRACK, "song.wav"),
        (UploadRole.TRACK, "song.MP3"),
        (UploadRole.STEM, "bass.flac"),
        (UploadRole.STEM, "bass.aiff"),
        (UploadRole.COVER, "front.JPG"),
        (UploadRole.COVER, "loop.gif"),
        (UploadRole.TRACK, "load.bin"),  # no known media kind: stored, never processed
        (UploadRole.STEM, "README"),
    ],
)
def test_files_that_fit_their_role(role: UploadRole, filename: str) -> None:
    check_role_fits(role, filename)


@pytest.mark.parametrize(
    ("role", "filename"),
    [
        (UploadRole.COVER, "song.wav"),
        (UploadRole.STEM, "bass.mp3"),  # lossy: a stem is kept bit-exact
        (UploadRole.STEM, "front.png"),
        (UploadRole.TRACK, "front.png"),
    ],
)
def test_a_known_kind_that_contradicts_the_role_is_refused(role: UploadRole, filename: str) -> None:
    with pytest.raises(RoleMismatchError, match=f"cannot be a {role.value}"):
        check_role_fits(role, filename)


def test_clients_declare_cover_for_images_and_track_otherwise() -> None:
    assert role_for_filename("a.webp") is UploadRole.COVER
    assert role_for_filename("a.wav") is UploadRole.TRACK
    assert role_for_filename("noext") is DEFAULT_ROLE is UploadRole.TRACK


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"filename": "a.wav"}, UploadRole.TRACK),
        ({"filename": "a.wav", "metadata": {}}, UploadRole.TRACK),
        ({"role": "stem"}, UploadRole.STEM),
        ({"metadata": {"role": "cover", "name": "a.png"}}, UploadRole.COVER),
        ({"role": "stem", "metadata": {"role": "cover"}}, UploadRole.STEM),
    ],
)
def test_the_api_reads_role_from_the_body_or_uppy_metadata(
    body: dict[str, object], expected: UploadRole
) -> None:
    assert _declared_role(body) is expected


@pytest.mark.parametrize("body", [{"role": "vocals"}, {"metadata": {"role": ""}}, {"role": 1}])
def test_the_api_refuses_an_unknown_role_as_a_400(body: dict[str, object]) -> None:
    with pytest.raises(errors.InvalidRoleRequestError) as caught:
        _declared_role(body)
    assert (caught.value.status, caught.value.code) == (400, "invalid_role")


def test_a_rerun_with_another_role_does_not_resume(tmp_path: Path) -> None:
    state = UploadState(
        endpoint="http://api", path=str(tmp_path / "a.wav"), size=10, mtime_ns=1,
        upload_id="u", key="k", part_size=5, role="stem",
    )  # fmt: skip
    same = ("http://api", tmp_path / "a.wav", 10, 1)
    assert state.describes(*same)
    assert state.describes(*same, "stem")
    assert not state.describes(*same, "track")
