"""Animated GIF/WebP sources: animated WebP outputs, first-frame JPEGs, the frames limit."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import pyvips
from imagegen import animated_gif, gif_bomb, read_rgb
from PIL import Image

from stacks.settings import ImageSettings
from workers.images.errors import ImageTooLargeError, UnsupportedImageError
from workers.images.manifest import ImageManifest
from workers.images.optimize import optimize
from workers.images.probe import read_header

REPO = Path(__file__).resolve().parents[4]
COLOURS = [(200, 30, 30), (30, 200, 30), (30, 30, 200)]
DELAYS = [80, 160, 240]


def frames_of(path: Path) -> pyvips.Image:
    return pyvips.Image.new_from_file(str(path), n=-1)


def frame_colours(image: pyvips.Image) -> list[np.ndarray]:
    """The mean colour of each frame's top rows (below them the moving white bar)."""
    page = int(image.get("page-height"))
    pixels = image.numpy()
    return [pixels[i * page : i * page + page // 4, :, :3].mean(axis=(0, 1)) for i in range(
        image.height // page
    )]  # fmt: skip


@pytest.fixture
def gif(tmp_path: Path) -> Path:
    return animated_gif(tmp_path / "loop.gif", COLOURS, DELAYS, size=(600, 400))


def test_an_animated_gif_gives_animated_webps_at_every_size(gif: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    manifest = optimize(gif, out, ImageSettings())

    source = manifest.source
    assert (source.animated, source.pages, source.delays_ms) == (True, 3, tuple(DELAYS))
    assert (source.width, source.height) == (600, 400)
    webps = [o for o in manifest.outputs if o.format == "webp"]
    assert [(o.role, o.width) for o in webps] == [("full", 600), ("responsive", 256), (
        "responsive", 512
    )]  # fmt: skip
    for item in webps:
        written = frames_of(out / item.name)
        assert written.get("n-pages") == item.frames == 3
        assert (written.width, int(written.get("page-height"))) == (item.width, item.height)
        assert item.height == round(item.width * 400 / 600)
        assert list(written.get("delay")) == DELAYS
        assert written.get("loop") == source.loop == 0
        assert not item.from_first_frame
        for got, want in zip(frame_colours(written), COLOURS, strict=True):
            assert np.abs(got - np.array(want)).max() < 12  # frames kept, in order
        pillow = Image.open(out / item.name)
        assert (pillow.n_frames, pillow.size) == (3, (item.width, item.height))


def test_jpegs_of_an_animation_are_progressive_first_frames(gif: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    manifest = optimize(gif, out, ImageSettings())

    jpegs = [o for o in manifest.outputs if o.format == "jpeg"]
    assert [o.width for o in jpegs] == [600, 256, 512]
    for item in jpegs:
        assert (item.frames, item.from_first_frame) == (1, True)
        data = (out / item.name).read_bytes()
        assert b"\xff\xc2" in data  # SOF2: progressive
        pixels = read_rgb(data)
        assert pixels.shape == (item.height, item.width, 3)
        top = pixels[: item.height // 4].mean(axis=(0, 1))
        assert np.abs(top - np.array(COLOURS[0])).max() < 12
    on_disk = ImageManifest.read(out / "manifest.json")
    assert on_disk == manifest and on_disk.animated_policy == "animate"


def test_an_animated_webp_source_keeps_its_frames_and_delays(gif: Path, tmp_path: Path) -> None:
    src = tmp_path / "loop.webp"
    frames_of(gif).webpsave(str(src), lossless=True)
    manifest = optimize(src, tmp_path / "out", ImageSettings())

    assert (manifest.source.format, manifest.source.pages) == ("webp", 3)
    full = frames_of(tmp_path / "out" / "loop-full.webp")
    assert (full.width, full.get("page-height"), full.get("n-pages")) == (600, 400, 3)
    assert list(full.get("delay")) == DELAYS


def test_a_gif_that_loops_twice_still_loops_twice(tmp_path: Path) -> None:
    src = animated_gif(tmp_path / "twice.gif", COLOURS[:2], DELAYS[:2], size=(300, 200), loop=2)
    manifest = optimize(src, tmp_path / "out", ImageSettings())
    looped = frames_of(tmp_path / "out" / "twice-full.webp").get("loop")
    assert manifest.source.loop == looped == frames_of(src).get("loop") != 0


def test_first_frame_policy_makes_stills_that_say_so(gif: Path, tmp_path: Path) -> None:
    manifest = optimize(gif, tmp_path / "out", ImageSettings(animated="first-frame"))
    assert manifest.animated_policy == "first-frame"
    for item in manifest.outputs:
        assert (item.frames, item.from_first_frame) == (1, True)
    still = Image.open(tmp_path / "out" / "loop-full.webp")
    assert (still.size, getattr(still, "n_frames", 1)) == ((600, 400), 1)


def test_refuse_policy_refuses_with_a_typed_error(gif: Path, tmp_path: Path) -> None:
    with pytest.raises(UnsupportedImageError, match="animated gif with 3 frames is refused"):
        optimize(gif, tmp_path / "out", ImageSettings(animated="refuse"))
    assert not (tmp_path / "out" / "manifest.json").exists()


def test_stills_are_untouched_by_the_animation_fields(tmp_path: Path) -> None:
    src = tmp_path / "still.png"
    Image.new("RGB", (300, 200), (10, 120, 200)).save(src)
    manifest = optimize(src, tmp_path / "out", ImageSettings())
    assert (manifest.source.animated, manifest.source.delays_ms, manifest.source.loop) == (
        False, (), None,
    )  # fmt: skip
    assert all((o.frames, o.from_first_frame) == (1, False) for o in manifest.outputs)


def test_frames_times_pixels_over_the_limit_is_refused_from_the_header(
    gif: Path, tmp_path: Path
) -> None:
    limit = 600 * 400 * 3 - 1  # one pixel short of the whole animation
    settings = ImageSettings(max_animation_pixels=limit)
    with pytest.raises(ImageTooLargeError, match="600x400 x 3 frames") as refused:
        optimize(gif, tmp_path / "out", settings)
    assert "before decoding" in refused.value.reason
    assert not (tmp_path / "out").exists()
    # only the first frame is decoded under "first-frame": the frames limit does not apply
    still = settings.model_copy(update={"animated": "first-frame"})
    assert optimize(gif, tmp_path / "still", still).source.pages == 3


def test_a_gif_bomb_of_many_full_canvas_frames_is_refused_before_decoding(
    tmp_path: Path,
) -> None:
    bomb = gif_bomb(tmp_path / "bomb.gif", 2000, 2000, 1000)  # 4 Gpx in ~22 KB
    assert bomb.stat().st_size < 30_000
    settings = ImageSettings()
    assert settings.max_pixels >= 2000 * 2000  # each frame alone is acceptable
    with pytest.raises(ImageTooLargeError, match="x 1000 frames"):
        read_header(bomb.read_bytes(), settings)
    with pytest.raises(ImageTooLargeError, match="before decoding"):
        optimize(bomb, tmp_path / "out", settings)
    assert not (tmp_path / "out").exists()


GIF_BOMB_SCRIPT = """
import json, re, sys
from pathlib import Path
from stacks.settings import ImageSettings
from workers.images.optimize import optimize
def peak_kib():
    return int(re.search(r"VmHWM:\\s+(\\d+) kB", Path("/proc/self/status").read_text()).group(1))
before = peak_kib()
try:
    optimize(Path(sys.argv[1]), Path(sys.argv[2]), ImageSettings())
    outcome = "accepted"
except Exception as exc:
    outcome = type(exc).__name__
print(json.dumps({"outcome": outcome, "grew_kib": peak_kib() - before}))
"""


def test_the_gif_bomb_refusal_keeps_peak_memory_low(tmp_path: Path) -> None:
    """Decoding 1000 frames of 2000x2000 needs 16 GB; the refusal must not grow the peak RSS."""
    bomb = gif_bomb(tmp_path / "bomb.gif", 2000, 2000, 1000)
    run = subprocess.run(
        [sys.executable, "-c", GIF_BOMB_SCRIPT, str(bomb), str(tmp_path / "out")],
        capture_output=True,
        check=False,
        cwd=REPO,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout.strip().splitlines()[-1])
    assert report["outcome"] == "ImageTooLargeError"
    assert report["grew_kib"] < 32 * 1024


def test_manifests_written_before_animation_support_still_read() -> None:
    old = {
        "version": 1,
        "source": {"name": "a.png", "format": "png", "width": 2, "height": 2, "pages": 1,
                   "orientation": 1, "bytes": 10, "sha256": "0" * 64},
        "animated_policy": "first-frame",
        "outputs": [{"name": "a-full.webp", "role": "full", "format": "webp",
                     "content_type": "image/webp", "width": 2, "height": 2, "bytes": 5,
                     "sha256": "1" * 64}],
    }  # fmt: skip
    manifest = ImageManifest.model_validate_json(json.dumps(old))
    assert manifest.outputs[0].frames == 1 and not manifest.source.animated
