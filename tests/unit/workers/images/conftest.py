"""Fixtures of the image worker tests."""

from __future__ import annotations

import pytest

from stacks.settings import ImageSettings


@pytest.fixture
def image_settings() -> ImageSettings:
    return ImageSettings()
