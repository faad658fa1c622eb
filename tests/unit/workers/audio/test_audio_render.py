"""A tagged master becomes a tagged, ReplayGain-ed ladder and a valid HLS tree."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import m3u8
import pytest
from audio_media import make_audio
from mutagen.flac import FLAC
from mutagen.id3 import ID3
from mutagen.mp4 import MP4
from mutagen.oggvorbis import OggVorbis

from stacks.settings import AudioSettings
from workers.audio.hls import peak_bit_rate
from workers.audio.render import Rendition, render
from workers.audio.tags import Tags, read_tags


def ffprobe(path: Path) -> dict:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-print_format", "json", "-show_format", "-show_streams",
         str(path)],
        capture_output=True, check=True,
    )  # fmt: skip
    return json.loads(out.stdout)


@pytest.fixture(scope="module")
def rendered(
    tagged_master: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, Rendition]:
    root = tmp_path_factory.mktemp("out")
    settings = AudioSettings(hls_min_duration_seconds=5)
    return root, render(tagged_master, root, settings, "track")


def test_nine_variants_with_codec_bitrate_duration_channels(
    rendered: tuple[Path, Rendition],
) -> None:
    root, rendition = rendered
    variants = [o for o in rendition.outputs if o.kind == "variant"]
    assert len(variants) == 9
    for output in variants:
        probe = ffprobe(root / output.name)
        stream = next(s for s in probe["streams"] if s["codec_type"] == "audio")
        assert stream["codec_name"] == output.codec
        assert stream["channels"] == 2
        assert abs(float(probe["format"]["duration"]) - 12.0) <= 0.05, output.name
        audio_bytes = (root / output.name).stat().st_size
        measured_kbps = audio_bytes * 8 / 12.0 / 1000
        assert measured_kbps == pytest.approx(output.bitrate_kbps, rel=0.10), output.name


def test_every_variant_carries_tags_cover_and_replaygain(
    rendered: tuple[Path, Rendition], sample_tags: Tags
) -> None:
    root, rendition = rendered
    for output in (o for o in rendition.outputs if o.kind == "variant"):
        path = root / output.name
        tags = read_tags(path)
        assert tags.text() == sample_tags.text(), output.name
        assert tags.cover is not None and tags.cover.data == sample_tags.cover.data
        gain = {
            ".mp3": lambda p: ID3(p).getall("TXXX:REPLAYGAIN_TRACK_GAIN")[0].text[0],
            ".ogg": lambda p: OggVorbis(p)["REPLAYGAIN_TRACK_GAIN"][0],
            ".m4a": lambda p: bytes(MP4(p)["----:com.apple.iTunes:replaygain_track_gain"][0]),
        }[path.suffix](path)
        assert str(rendition.loudness.replaygain_gain_db) in str(gain)
    # the cover reaches players in each container's own form
    assert ID3(root / "mp3-320.mp3").getall("APIC")
    assert MP4(root / "m4a-320.m4a")["covr"]
    assert OggVorbis(root / "ogg-320.ogg")["METADATA_BLOCK_PICTURE"]


def test_hls_tree_is_valid_and_covers_the_track(rendered: tuple[Path, Rendition]) -> None:
    root, rendition = rendered
    assert rendition.hls_master == "hls/master.m3u8"
    master = m3u8.load(str(root / rendition.hls_master))
    assert master.is_variant and len(master.playlists) == 3
    bandwidths = []
    for playlist_ref in master.playlists:
        info = playlist_ref.stream_info
        assert info.codecs == "mp4a.40.2"
        media_path = root / "hls" / playlist_ref.uri
        media = m3u8.load(str(media_path))
        assert media.playlist_type == "vod" and media.is_endlist
        assert media.target_duration == 6
        assert media.segment_map and (media_path.parent / media.segment_map[0].uri).exists()
        total = sum(s.duration for s in media.segments)
        assert abs(total - 12.0) <= 0.05
        full_segment_rates = []
        for segment in media.segments:
            seg_path = media_path.parent / segment.uri
            assert segment.duration <= 6.1
            if segment.duration >= 3.0:  # RFC 8216: runs of 0.5-1.5 target durations
                full_segment_rates.append(seg_path.stat().st_size * 8 / segment.duration)
            init = (media_path.parent / media.segment_map[0].uri).read_bytes()
            joined = seg_path.with_suffix(".joined.mp4")
            joined.write_bytes(init + seg_path.read_bytes())
            stream = ffprobe(joined)["streams"][0]
            joined.unlink()
            assert stream["codec_name"] == "aac"
        assert info.bandwidth >= max(full_segment_rates)
        assert info.bandwidth == pytest.approx(max(full_segment_rates), rel=0.02)
        assert info.average_bandwidth <= info.bandwidth
        bandwidths.append(info.bandwidth)
    assert bandwidths == sorted(bandwidths)


def test_hls_master_plays_through_ffmpeg(rendered: tuple[Path, Rendition]) -> None:
    root, rendition = rendered
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0",
         str(root / rendition.hls_master)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert abs(float(out.stdout) - 12.0) <= 0.05


def test_peak_bit_rate_follows_rfc_8216() -> None:
    # a lone 0.02 s tail segment is judged together with its neighbour
    assert peak_bit_rate([6000, 6000, 200], [6.0, 6.0, 0.02], 6.0) == pytest.approx(6200 * 8 / 6.02)
    assert peak_bit_rate([6000, 9000], [6.0, 6.0], 6.0) == pytest.approx(12000)
    assert peak_bit_rate([500], [1.0], 6.0) == pytest.approx(4000)


def test_manifest_lists_every_file_with_size_and_sha256(rendered: tuple[Path, Rendition]) -> None:
    root, rendition = rendered
    manifest = rendition.manifest(root)
    listed = {o["key"] for o in manifest["outputs"]}
    on_disk = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}
    assert listed == on_disk
    for entry in manifest["outputs"]:
        assert entry["size"] == (root / entry["key"]).stat().st_size
        assert len(entry["sha256"]) == 64
    assert manifest["loudness"]["integrated_lufs"] < 0


def test_short_track_gets_no_hls(tagged_master: Path, tmp_path: Path) -> None:
    settings = AudioSettings(lossy_policy={"track": ("m4a-128",)}, hls_min_duration_seconds=60)
    rendition = render(tagged_master, tmp_path, settings, "track")
    assert rendition.hls_master is None
    assert [o.name for o in rendition.outputs] == ["m4a-128.m4a"]


@pytest.mark.parametrize(
    ("name", "rate", "channels", "codec_args"),
    [
        ("a.wav", 44100, 1, ("-c:a", "pcm_s16le")),
        ("b.aiff", 96000, 2, ("-c:a", "pcm_s24be")),
        ("c.flac", 88200, 6, ("-c:a", "flac", "-sample_fmt", "s32")),
        ("d.mp3", 44100, 2, ("-c:a", "libmp3lame", "-b:a", "192k")),
        ("e.m4a", 48000, 2, ("-c:a", "aac", "-b:a", "192k")),
        ("f.ogg", 32000, 1, ("-c:a", "libvorbis", "-b:a", "96k")),
    ],
)
def test_any_supported_master_renders(
    tmp_path: Path, name: str, rate: int, channels: int, codec_args: tuple[str, ...]
) -> None:
    src = make_audio(tmp_path / name, seconds=3.0, rate=rate, channels=channels,
                     codec_args=codec_args)  # fmt: skip
    settings = AudioSettings(lossy_policy={"track": ("mp3-128", "ogg-128")})
    rendition = render(src, tmp_path / "out", settings, "track")
    for output in rendition.outputs:
        stream = ffprobe(tmp_path / "out" / output.name)["streams"][0]
        assert stream["channels"] == 2
        assert int(stream["sample_rate"]) in (44100, 48000)
        assert abs(output.duration - 3.0) <= 0.05


def test_stem_role_gives_verified_flac(tagged_master: Path, tmp_path: Path) -> None:
    rendition = render(tagged_master, tmp_path, AudioSettings(), "stem")
    assert [o.name for o in rendition.outputs] == ["stem.flac"]
    assert rendition.extra["lossless"]["bits"] == 24
    assert FLAC(tmp_path / "stem.flac")["ISRC"] == ["USRC17607839"]


def test_wav_master_with_id3_chunk_passes_its_tags_on(tmp_path: Path, sample_tags: Tags) -> None:
    from mutagen.id3 import APIC, TALB, TIT2, TPE1, TPUB, TRCK, TSRC
    from mutagen.wave import WAVE

    src = make_audio(tmp_path / "tagged.wav", seconds=2.0)
    wave = WAVE(src)
    wave.add_tags()
    for frame in (TIT2(text=["Night Drive"]), TPE1(text=["The Testers"]), TALB(text=["S"]),
                  TRCK(text=["3"]), TSRC(text=["USRC17607839"]), TPUB(text=["Lavfi Records"]),
                  APIC(mime="image/jpeg", type=3, data=sample_tags.cover.data)):  # fmt: skip
        wave.tags.add(frame)
    wave.save()
    settings = AudioSettings(lossy_policy={"track": ("m4a-128", "ogg-128")})
    rendition = render(src, tmp_path / "out", settings, "track")
    for output in rendition.outputs:
        tags = read_tags(tmp_path / "out" / output.name)
        assert (tags.title, tags.isrc, tags.label) == (
            "Night Drive",
            "USRC17607839",
            "Lavfi Records",
        )
        assert tags.cover is not None and tags.cover.data == sample_tags.cover.data
