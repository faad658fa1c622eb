"""HLS packaging by remuxing the AAC encodes (`-c copy`) into fMP4 segments: no second encode.

ffmpeg writes the per-rendition VOD playlists and segments; the master playlist is written
here from the segments actually produced: BANDWIDTH is the peak segment bit rate and
AVERAGE-BANDWIDTH the mean (init segment included), as RFC 8216 defines them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import m3u8

from workers.audio.ffmpeg import BITEXACT_ARGS, ffmpeg
from workers.audio.ladder import Variant

AAC_LC_CODECS = "mp4a.40.2"
MASTER_NAME = "master.m3u8"
PLAYLIST_NAME = "index.m3u8"


@dataclass(frozen=True)
class HlsRendition:
    """One rendition's playlist and the bit rates measured from its segments."""

    variant: Variant
    playlist: Path
    peak_bps: int
    average_bps: int
    duration: float


@dataclass(frozen=True)
class HlsPackage:
    """An HLS tree: master playlist, renditions and every file in it."""

    root: Path
    master: Path
    renditions: tuple[HlsRendition, ...]
    files: tuple[Path, ...]


def rendition_name(variant: Variant) -> str:
    return f"aac-{variant.bitrate_kbps}"


def peak_bit_rate(sizes: Sequence[int], durations: Sequence[float], target: float) -> float:
    """RFC 8216 §4.3.4.2: the largest bit rate of any run of contiguous segments lasting
    0.5 to 1.5 target durations (a lone short tail segment does not count on its own)."""
    best = 0.0
    for start in range(len(sizes)):
        total_bytes, total_seconds = 0, 0.0
        for end in range(start, len(sizes)):
            total_bytes += sizes[end]
            total_seconds += durations[end]
            if total_seconds > 1.5 * target:
                break
            if total_seconds >= 0.5 * target:
                best = max(best, total_bytes * 8 / total_seconds)
    if best == 0.0:  # the whole stream is shorter than half a target duration
        best = sum(sizes) * 8 / max(sum(durations), 1e-9)
    return best


def _measure(variant: Variant, playlist_path: Path) -> HlsRendition:
    playlist = m3u8.load(str(playlist_path))
    init = playlist.segment_map[0].uri if playlist.segment_map else None
    init_size = (playlist_path.parent / init).stat().st_size if init else 0
    sizes = [(playlist_path.parent / s.uri).stat().st_size for s in playlist.segments]
    durations = [float(s.duration) for s in playlist.segments]
    total_seconds = sum(durations)
    return HlsRendition(
        variant=variant,
        playlist=playlist_path,
        peak_bps=math.ceil(peak_bit_rate(sizes, durations, float(playlist.target_duration))),
        average_bps=math.ceil((init_size + sum(sizes)) * 8 / total_seconds),
        duration=total_seconds,
    )


def write_master(root: Path, renditions: Sequence[HlsRendition]) -> Path:
    """Write `master.m3u8` listing the renditions, lowest bandwidth first."""
    lines = ["#EXTM3U", "#EXT-X-VERSION:7", "#EXT-X-INDEPENDENT-SEGMENTS"]
    for rendition in sorted(renditions, key=lambda r: r.peak_bps):
        lines.append(
            f"#EXT-X-STREAM-INF:BANDWIDTH={rendition.peak_bps},"
            f'AVERAGE-BANDWIDTH={rendition.average_bps},CODECS="{AAC_LC_CODECS}"'
        )
        lines.append(rendition.playlist.relative_to(root).as_posix())
    master = root / MASTER_NAME
    master.write_text("\n".join(lines) + "\n")
    return master


def package_hls(
    aac_encodes: Sequence[tuple[Variant, Path]], root: Path, *, segment_seconds: int
) -> HlsPackage:
    """Remux AAC M4A files into an fMP4 HLS tree under `root` (one folder per rendition)."""
    if not aac_encodes:
        raise ValueError("HLS needs at least one AAC encode")
    root.mkdir(parents=True, exist_ok=True)
    inputs: list[str] = []
    maps: list[str] = []
    streams: list[str] = []
    for index, (variant, path) in enumerate(aac_encodes):
        inputs += ["-i", str(path)]
        maps += ["-map", f"{index}:a:0"]
        streams.append(f"a:{index},name:{rendition_name(variant)}")
    ffmpeg(
        *inputs, *maps, "-c", "copy", *BITEXACT_ARGS, "-f", "hls",
        "-hls_time", str(segment_seconds), "-hls_playlist_type", "vod",
        "-hls_segment_type", "fmp4", "-hls_fmp4_init_filename", "init.mp4",
        "-hls_segment_filename", str(root / "%v" / "seg_%05d.m4s"),
        "-master_pl_name", "ffmpeg-master.m3u8", "-var_stream_map", " ".join(streams),
        str(root / "%v" / PLAYLIST_NAME),
    )  # fmt: skip
    (root / "ffmpeg-master.m3u8").unlink(missing_ok=True)
    renditions = tuple(
        _measure(variant, root / rendition_name(variant) / PLAYLIST_NAME)
        for variant, _ in aac_encodes
    )
    master = write_master(root, renditions)
    files = tuple(sorted(p for p in root.rglob("*") if p.is_file()))
    return HlsPackage(root=root, master=master, renditions=renditions, files=files)
