"""Image generators (numpy -> pyvips / Pillow) and image metrics shared by the image tests."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import numpy as np
import pyvips
from PIL import Image
from scipy.ndimage import gaussian_filter


def photo_array(width: int, height: int, seed: int = 1) -> np.ndarray:
    """A smooth, photo-like RGB image: gradients, discs and mild texture (uint8)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    r = 128 + 100 * np.sin(x / width * 3.1 + 0.5)
    g = 128 + 100 * np.cos(y / height * 2.7)
    b = 128 + 90 * np.sin((x + y) / (width + height) * 5.0)
    image = np.stack([r, g, b], axis=-1)
    for _ in range(6):
        cx, cy = rng.uniform(0, width), rng.uniform(0, height)
        radius = rng.uniform(0.05, 0.2) * min(width, height)
        disc = (x - cx) ** 2 + (y - cy) ** 2 < radius**2
        image[disc] = rng.uniform(20, 235, size=3)
    image = gaussian_filter(image, sigma=(1.0, 1.0, 0))
    image += rng.normal(0, 3, size=image.shape)
    return np.clip(image, 0, 255).astype(np.uint8)


def to_vips(array: np.ndarray) -> pyvips.Image:
    return pyvips.Image.new_from_array(array).copy(interpretation="srgb")


def write_jpeg(path: Path, array: np.ndarray, quality: int = 92) -> Path:
    to_vips(array).jpegsave(str(path), Q=quality, keep="none")
    return path


def write_png(path: Path, array: np.ndarray) -> Path:
    to_vips(array).pngsave(str(path), keep="none")
    return path


def write_jpeg_with_exif(path: Path, stored: np.ndarray, orientation: int, gps: bool) -> Path:
    """A JPEG whose EXIF carries an orientation tag and (optionally) a GPS position."""
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "TestCamera"
    if gps:
        exif[0x8825] = {1: "N", 2: (52.0, 31.0, 12.0), 3: "E", 4: (13.0, 24.0, 36.0)}
    Image.fromarray(stored).save(path, "JPEG", quality=95, exif=exif)
    return path


def bomb_png(path: Path, width: int = 50_000, height: int = 50_000) -> Path:
    """A PNG whose header declares width x height; only a few rows of data follow.

    Cheap to make (3 KB): a header-only check refuses it, a decoder would try to
    allocate width x height pixels.
    """

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    rows = zlib.compress(b"\x00" * (width + 1) * 16, 9)
    png = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
        + chunk(b"IDAT", rows)
        + chunk(b"IEND", b"")
    )
    path.write_bytes(png)
    return path


def read_rgb(data_or_path: bytes | Path) -> np.ndarray:
    """Decode an image (bytes or file) to an RGB uint8 array with Pillow."""
    source = io.BytesIO(data_or_path) if isinstance(data_or_path, bytes) else data_or_path
    with Image.open(source) as image:
        return np.asarray(image.convert("RGB"))


def ssim(a: np.ndarray, b: np.ndarray) -> float:
    """Mean SSIM over the luma of two same-sized RGB images (Gaussian window, sigma 1.5)."""
    weights = np.array([0.299, 0.587, 0.114])
    x = a.astype(np.float64) @ weights
    y = b.astype(np.float64) @ weights
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    mx, my = gaussian_filter(x, 1.5), gaussian_filter(y, 1.5)
    vx = gaussian_filter(x * x, 1.5) - mx * mx
    vy = gaussian_filter(y * y, 1.5) - my * my
    cov = gaussian_filter(x * y, 1.5) - mx * my
    num = (2 * mx * my + c1) * (2 * cov + c2)
    den = (mx * mx + my * my + c1) * (vx + vy + c2)
    return float(np.mean(num / den))


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float("inf") if mse == 0 else float(10 * np.log10(255.0**2 / mse))


def animated_gif(
    path: Path,
    colours: list[tuple[int, int, int]],
    durations_ms: list[int],
    size: tuple[int, int] = (600, 400),
    loop: int = 0,
) -> Path:
    """An animated GIF (Pillow): one flat frame per colour, a white bar that moves."""
    width, height = size
    frames = []
    for index, colour in enumerate(colours):
        array = np.empty((height, width, 3), np.uint8)
        array[:] = colour
        left = index * width // len(colours)
        array[height // 3 : height // 2, left : left + width // 8] = 255
        frames.append(Image.fromarray(array))
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=durations_ms, loop=loop)
    return path


def gif_bomb(path: Path, width: int, height: int, frames: int) -> Path:
    """A GIF declaring `frames` full-canvas frames of width x height, each with no pixel data.

    A few bytes per frame on disk; decoded, width x height x frames pixels.
    """
    out = bytearray(b"GIF89a")
    out += struct.pack("<HHBBB", width, height, 0x80, 0, 0)  # 2-entry global colour table
    out += b"\x00\x00\x00\xff\xff\xff"
    out += b"\x21\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00"  # loop forever
    for _ in range(frames):
        out += b"\x21\xf9\x04\x00\x0a\x00\x00\x00"  # graphic control: 100 ms
        out += b"\x2c" + struct.pack("<HHHHB", 0, 0, width, height, 0)  # image descriptor
        out += b"\x02\x01\x2c\x00"  # LZW (min code size 2): clear, end of information
    out += b"\x3b"
    path.write_bytes(bytes(out))
    return path
