"""The variant table is a pure function of the settings."""

from __future__ import annotations

import pytest

from stacks.settings import AudioSettings
from workers.audio.ladder import Variant, full_ladder, ladder, output_sample_rate


def test_default_ladder_is_nine_variants_of_three_codecs() -> None:
    variants = ladder(AudioSettings(), "track")
    assert len(variants) == 9
    assert {v.codec for v in variants} == {"mp3", "ogg", "m4a"}
    assert {v.bitrate_kbps for v in variants} == {128, 256, 320}
    assert ladder(AudioSettings(), "stem") == ()


@pytest.mark.parametrize(
    ("patterns", "expected"),
    [
        (("mp3-*",), {"mp3-320", "mp3-256", "mp3-128"}),
        (("*-320",), {"mp3-320", "ogg-320", "m4a-320"}),
        (("m4a-128", "ogg-256"), {"m4a-128", "ogg-256"}),
        (("*",), {v.name for v in full_ladder(AudioSettings())}),
        ((), set()),
    ],
)
def test_lossy_policy_selects_variants(patterns: tuple[str, ...], expected: set[str]) -> None:
    settings = AudioSettings(lossy_policy={"track": patterns, "stem": ()})
    assert {v.name for v in ladder(settings, "track")} == expected


def test_bad_policy_pattern_is_rejected() -> None:
    with pytest.raises(ValueError, match="bad variant pattern"):
        AudioSettings(lossy_policy={"track": ("flac-900",)})


def test_aac_high_bitrates_disable_mid_side() -> None:
    assert "-aac_ms" in Variant("m4a", 320).ffmpeg_args()
    assert "-aac_ms" not in Variant("m4a", 128).ffmpeg_args()


@pytest.mark.parametrize(
    ("source", "expected"),
    [(44100, 44100), (48000, 48000), (88200, 44100), (96000, 48000), (22050, 44100),
     (32000, 48000)],
)  # fmt: skip
def test_output_sample_rate(source: int, expected: int) -> None:
    assert output_sample_rate(source) == expected


def test_vorbis_rate_management_is_opt_in() -> None:
    plain = {v.name: v for v in ladder(AudioSettings(), "track")}
    managed = {v.name: v for v in ladder(AudioSettings(vorbis_rate_managed=True), "track")}
    assert "-minrate" not in plain["ogg-320"].ffmpeg_args()
    assert "-minrate" in managed["ogg-320"].ffmpeg_args()
    assert "-minrate" not in managed["mp3-320"].ffmpeg_args()
