"""Pure transform logic: option parsing and output-size planning (hypothesis)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stacks.settings import ImageSettings
from workers.images.transform.options import (
    Crop,
    OptionsError,
    ProcessingOptions,
    encode_source,
    expand_presets,
    parse_path,
)
from workers.images.transform.render import offset, plan_size

PRESETS = {"thumb": "rs:fill:256:256/g:sm/q:80", "small": "pr:thumb/w:64"}
SETTINGS = ImageSettings(max_output_dimension=1000)

sides = st.integers(min_value=1, max_value=5000)
wants = st.integers(min_value=0, max_value=6000)


def test_parse_options_and_plain_source() -> None:
    options, source = parse_path(
        "/rs:fill:300:200:1/g:noea/c:100:50:sm/q:70/wm:0.5:sowe/plain/derivatives/a%20b.jpg@webp",
        PRESETS,
    )
    assert options == ProcessingOptions(
        resize_type="fill",
        width=300,
        height=200,
        enlarge=True,
        gravity="noea",
        crop=Crop(100, 50, "sm"),
        quality=70,
        format="webp",
        watermark_opacity=0.5,
        watermark_position="sowe",
    )
    assert source == "derivatives/a b.jpg"


def test_base64_source_split_and_extension() -> None:
    encoded = encode_source("masters/covers/x.png", "jpg")
    split = encoded[:6] + "/" + encoded[6:]
    options, source = parse_path(f"/w:10/{split}", PRESETS)
    assert (options.width, options.format, source) == (10, "jpeg", "masters/covers/x.png")


def test_presets_expand_in_order_and_nest() -> None:
    options, _ = parse_path("/pr:small/plain/derivatives/a.jpg", PRESETS)
    assert (options.resize_type, options.width, options.height, options.quality) == (
        "fill",
        64,
        256,
        80,
    )
    later_wins, _ = parse_path("/pr:thumb/q:30/plain/derivatives/a.jpg", PRESETS)
    assert later_wins.quality == 30
    assert set(expand_presets(ImageSettings().presets)) == {"thumb", "cover", "avatar"}


@pytest.mark.parametrize(
    "path",
    [
        "/rs:fit:10:10",
        "/rs:fit:10:10/",
        "/rs:zoom:10:10/plain/x",
        "/rs/plain/x",
        "/q:101/plain/x",
        "/w:-1/plain/x",
        "/w:1e3/plain/x",
        "/f:bmp/plain/x",
        "/g:up/plain/x",
        "/wm:2/plain/x",
        "/pr:missing/plain/x",
        "/el:maybe/plain/x",
        "/w:10/!!!notbase64",
    ],
)
def test_malformed_paths_raise(path: str) -> None:
    with pytest.raises(OptionsError):
        parse_path(path, PRESETS)


def test_recursive_presets_are_refused() -> None:
    with pytest.raises(OptionsError, match="deeply"):
        parse_path("/pr:loop/plain/x", {"loop": "pr:loop"})


@given(sides, sides, st.sampled_from(["fit", "fill", "force"]), wants, wants, st.booleans())
def test_plan_size_invariants(
    width: int, height: int, kind: str, want_w: int, want_h: int, enlarge: bool
) -> None:
    options = ProcessingOptions(resize_type=kind, width=want_w, height=want_h, enlarge=enlarge)
    try:
        scaled, final = plan_size(width, height, options, SETTINGS)
    except OptionsError:
        assert kind == "fill"
        return
    assert max(final) <= SETTINGS.max_output_dimension
    assert min(final) >= 1
    assert final[0] <= scaled[0] and final[1] <= scaled[1]
    assert scaled[0] * scaled[1] <= SETTINGS.max_pixels
    if not enlarge:
        assert scaled[0] <= width and scaled[1] <= height
    if kind == "fit":
        if want_w:
            assert final[0] <= max(want_w, 1)
        if want_h:
            assert final[1] <= max(want_h, 1)
        if min(final) > 20:
            assert final[0] / final[1] == pytest.approx(width / height, rel=0.1)
    if kind == "fill" and want_w and want_h and enlarge and max(want_w, want_h) <= 1000:
        assert final == (want_w, want_h)


def test_fill_with_extreme_aspect_refused_not_allocated() -> None:
    options = ProcessingOptions(resize_type="fill", width=1000, height=1, enlarge=True)
    with pytest.raises(OptionsError, match="pixel limit"):
        plan_size(1, 5000, options, SETTINGS)


def test_offsets_by_gravity() -> None:
    assert offset("ce", 10, 20) == (5, 10)
    assert offset("nowe", 10, 20) == (0, 0)
    assert offset("soea", 10, 20) == (10, 20)
    assert offset("no", 10, 20) == (5, 0)
    assert offset("we", 10, 20) == (0, 10)
