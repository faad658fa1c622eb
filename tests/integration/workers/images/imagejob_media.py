"""Generated test media for the image integration tests."""

from __future__ import annotations

import numpy as np
import pyvips


def jpeg_bytes(width: int = 1600, height: int = 1000, seed: int = 0) -> bytes:
    """A smooth generated photo as JPEG bytes."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width]
    rgb = np.stack(
        [128 + 100 * np.sin(x / 90.0), 128 + 100 * np.cos(y / 70.0), (x + y) % 256], axis=-1
    )
    rgb = np.clip(rgb + rng.normal(0, 2, rgb.shape), 0, 255).astype(np.uint8)
    image = pyvips.Image.new_from_array(rgb).copy(interpretation="srgb")
    return image.jpegsave_buffer(Q=90)
