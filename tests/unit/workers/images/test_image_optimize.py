"""optimize(): variants, dimensions, formats, orientation, metadata, colour, quality."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
import pyvips
from imagegen import (
    photo_array,
    psnr,
    read_rgb,
    ssim,
    to_vips,
    write_jpeg,
    write_jpeg_with_exif,
    write_png,
)
from PIL import Image

from stacks.settings import ImageSettings
from workers.errors import PermanentJobError
from workers.images.formats import sniff
from workers.images.manifest import ImageManifest
from workers.images.optimize import optimize

SMALL = ImageSettings(sizes=(64, 128, 256))


@pytest.fixture(scope="module")
def photo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("photo")
    return write_jpeg(folder / "Cover Art.jpg", photo_array(2100, 1400))


@pytest.fixture(scope="module")
def small_photo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("small")
    return write_jpeg(folder / "small.jpg", photo_array(400, 300))


def test_variant_set_names_dimensions_and_formats(
    photo: Path, tmp_path: Path, image_settings: ImageSettings
) -> None:
    out = tmp_path / "out"
    manifest = optimize(photo, out, image_settings)

    by_name = {item.name: item for item in manifest.outputs}
    expected = {"Cover-Art-full.webp", "Cover-Art-full.jpg"} | {
        f"Cover-Art-{w}.{ext}" for w in (256, 512, 1024, 2048) for ext in ("webp", "jpg")
    }
    assert set(by_name) == expected
    for item in manifest.outputs:
        data = (out / item.name).read_bytes()
        assert sniff(data) == item.format
        assert item.bytes == len(data)
        assert item.sha256 == hashlib.sha256(data).hexdigest()
        decoded = pyvips.Image.new_from_buffer(data, "")
        assert (decoded.width, decoded.height) == (item.width, item.height)
    assert (by_name["Cover-Art-full.webp"].width, by_name["Cover-Art-full.webp"].height) == (
        2100,
        1400,
    )
    assert (by_name["Cover-Art-512.webp"].width, by_name["Cover-Art-512.webp"].height) == (
        512,
        341,
    )
    on_disk = ImageManifest.model_validate(json.loads((out / "manifest.json").read_text()))
    assert on_disk == manifest
    assert manifest.source.width == 2100 and manifest.source.format == "jpeg"


def test_outputs_are_deterministic(small_photo: Path, tmp_path: Path) -> None:
    first = optimize(small_photo, tmp_path / "a", SMALL)
    second = optimize(small_photo, tmp_path / "b", SMALL)
    assert first == second


def test_never_upscales(tmp_path: Path, image_settings: ImageSettings) -> None:
    src = write_png(tmp_path / "small.png", photo_array(600, 400))
    manifest = optimize(src, tmp_path / "out", image_settings)
    widths = sorted({item.width for item in manifest.outputs})
    assert widths == [256, 512, 600]


def test_jpeg_outputs_are_progressive(small_photo: Path, tmp_path: Path) -> None:
    manifest = optimize(small_photo, tmp_path / "out", SMALL)
    jpegs = [item for item in manifest.outputs if item.format == "jpeg"]
    assert jpegs
    for item in jpegs:
        with Image.open(tmp_path / "out" / item.name) as image:
            assert image.info.get("progressive") == 1, item.name
        assert pyvips.Image.new_from_file(str(tmp_path / "out" / item.name)).get("interlaced")


def test_exif_orientation_applied_and_gps_stripped(tmp_path: Path) -> None:
    upright = photo_array(480, 320, seed=7)
    upright[:60, :90] = (255, 0, 0)  # a red block marks the top-left corner as displayed
    # Orientation 6 = display rotated 90 deg clockwise, so store it rotated counter-clockwise.
    stored = np.ascontiguousarray(np.rot90(upright, k=1))
    src = write_jpeg_with_exif(tmp_path / "phone.jpg", stored, orientation=6, gps=True)
    with Image.open(src) as original:
        assert original.getexif().get_ifd(0x8825), "the test image must carry GPS"

    manifest = optimize(src, tmp_path / "out", ImageSettings())
    assert (manifest.source.width, manifest.source.height) == (480, 320)
    assert manifest.source.orientation == 6
    full = tmp_path / "out" / "phone-full.jpg"
    pixels = read_rgb(full)
    assert pixels.shape == (320, 480, 3)
    assert pixels[:50, :80].mean(axis=(0, 1)) == pytest.approx((255, 0, 0), abs=25)
    assert psnr(pixels, upright) > 30

    for item in manifest.outputs:
        with Image.open(tmp_path / "out" / item.name) as image:
            exif = image.getexif()
            assert not exif.get_ifd(0x8825), f"GPS left in {item.name}"
            assert 0x0112 not in exif and 0x010F not in exif, f"EXIF left in {item.name}"
            assert "xmp" not in image.info and "XML:com.adobe.xmp" not in image.info


def test_resized_output_matches_reference_resize(tmp_path: Path) -> None:
    source = photo_array(1200, 900, seed=3)
    src = write_png(tmp_path / "ref.png", source)
    optimize(src, tmp_path / "out", ImageSettings())
    reference = np.asarray(Image.fromarray(source).resize((512, 384), Image.Resampling.LANCZOS))
    for name in ("ref-512.jpg", "ref-512.webp"):
        output = read_rgb(tmp_path / "out" / name)
        assert output.shape == reference.shape
        assert ssim(output, reference) > 0.9, name
        assert psnr(output, reference) > 28, name


def test_embedded_p3_profile_converted_to_srgb(tmp_path: Path) -> None:
    srgb = np.zeros((200, 300, 3), np.uint8)
    srgb[:, :100] = (230, 30, 30)
    srgb[:, 100:200] = (30, 200, 40)
    srgb[:, 200:] = (20, 60, 220)
    p3 = to_vips(srgb).icc_transform("p3", input_profile="srgb")
    assert p3.get_typeof("icc-profile-data") != 0
    src = tmp_path / "wide.png"
    p3.pngsave(str(src))
    p3_values = read_rgb(src)
    assert np.abs(p3_values.astype(int) - srgb).mean() > 10, "P3 values must differ from sRGB"

    optimize(src, tmp_path / "out", ImageSettings())
    output = read_rgb(tmp_path / "out" / "wide-full.jpg")
    assert np.abs(output.astype(int) - srgb).mean() < 4


def test_cmyk_and_16_bit_sources_become_8_bit_srgb(tmp_path: Path) -> None:
    cmyk = pyvips.Image.new_from_array(np.full((120, 160, 4), (0, 200, 200, 0), np.uint8))
    cmyk.copy(interpretation="cmyk").jpegsave(str(tmp_path / "print.jpg"))
    deep = (photo_array(160, 120).astype(np.uint16) * 257).astype(np.uint16)
    pyvips.Image.new_from_array(deep).copy(interpretation="rgb16").pngsave(
        str(tmp_path / "deep.png")
    )
    for stem in ("print", "deep"):
        src = next(tmp_path.glob(f"{stem}.*"))
        optimize(src, tmp_path / stem, ImageSettings())
        decoded = pyvips.Image.new_from_file(str(tmp_path / stem / f"{stem}-full.webp"))
        assert decoded.bands == 3 and decoded.format == "uchar"
    red = read_rgb(tmp_path / "print" / "print-full.jpg").mean(axis=(0, 1))
    assert red[0] > 180 and red[1] < 90 and red[2] < 110  # 0% cyan, magenta + yellow = red


@pytest.mark.parametrize("suffix", ["gif", "webp"])
def test_animated_image_gives_its_first_frame(tmp_path: Path, suffix: str) -> None:
    frames = [np.full((90, 120, 3), colour, np.uint8) for colour in ((250, 0, 0), (0, 0, 250))]
    strip = to_vips(np.concatenate(frames, axis=0)).copy()
    strip.set_type(pyvips.GValue.gint_type, "page-height", 90)
    src = tmp_path / f"anim.{suffix}"
    strip.write_to_file(str(src))
    assert pyvips.Image.new_from_file(str(src), n=-1).height == 180

    manifest = optimize(src, tmp_path / "out", ImageSettings())
    assert manifest.source.pages == 2
    assert (manifest.source.width, manifest.source.height) == (120, 90)
    first = read_rgb(tmp_path / "out" / "anim-full.jpg")
    assert first.shape == (90, 120, 3)
    assert first.mean(axis=(0, 1))[0] > 200

    with pytest.raises(PermanentJobError, match="animated"):
        optimize(src, tmp_path / "refused", ImageSettings(animated="refuse"))
    assert not (tmp_path / "refused" / "manifest.json").exists()
