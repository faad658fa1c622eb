"""Render a master into its outputs in a local folder: ladder + HLS for tracks, FLAC for stems.

Used by the job handler (which then uploads) and by `mediainfra audio transcode`.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stacks.settings import AudioSettings
from workers.audio import hls, loudness, manifest
from workers.audio.ffmpeg import UnsupportedMediaError
from workers.audio.flac import encode_flac
from workers.audio.ladder import CODEC_NAMES, Role, Variant, ladder
from workers.audio.probe import AudioInfo, probe
from workers.audio.tags import Tags, read_tags, write_tags
from workers.audio.transcode import encode_cost, encode_variant

TRUNCATION_TOLERANCE_SECONDS = 0.1
HLS_DIR = "hls"
STEM_NAME = "stem.flac"


@dataclass
class Rendition:
    """What rendering produced: the source's facts, its loudness and the output files."""

    role: Role
    source: AudioInfo
    tags: Tags
    loudness: loudness.Loudness
    outputs: list[manifest.OutputFile] = field(default_factory=list)
    hls_master: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def manifest(self, root: Path, key_prefix: str = "") -> dict[str, Any]:
        """The result manifest (outputs with size and sha256 read from `root`)."""
        return {
            "manifest_version": manifest.MANIFEST_VERSION,
            "role": self.role,
            "source": {
                "codec": self.source.codec,
                "sample_rate": self.source.sample_rate,
                "channels": self.source.channels,
                "bits": self.source.bits,
                "duration_seconds": round(self.source.duration, 3),
            },
            "tags": self.tags.text() | {"cover": self.tags.cover is not None},
            "loudness": self.loudness.as_dict(),
            "hls_master": None if self.hls_master is None else f"{key_prefix}{self.hls_master}",
            "outputs": [manifest.output_entry(root, o, key_prefix) for o in self.outputs],
            **self.extra,
        }


def check_integrity(src: Path, info: AudioInfo, measured: loudness.Loudness) -> None:
    """Raise UnsupportedMediaError when the full decode hit errors or ended early."""
    if measured.decode_errors:
        raise UnsupportedMediaError(
            f"{src.name}: corrupt audio ({measured.decode_errors[0].split('] ')[-1]})"
        )
    if measured.decoded_seconds < info.duration - TRUNCATION_TOLERANCE_SECONDS:
        raise UnsupportedMediaError(
            f"{src.name}: truncated: decodes to {measured.decoded_seconds:.2f} s "
            f"of the {info.duration:.2f} s its header declares"
        )


def _variant_output(path: Path, variant: Variant, root: Path) -> manifest.OutputFile:
    info = probe(path)
    return manifest.OutputFile(
        name=path.relative_to(root).as_posix(),
        kind="variant",
        codec=CODEC_NAMES[variant.codec],
        bitrate_kbps=variant.bitrate_kbps,
        duration=info.duration,
    )


def _hls_outputs(package: hls.HlsPackage, root: Path) -> list[manifest.OutputFile]:
    durations = {r.playlist: r.duration for r in package.renditions}
    outputs = []
    for path in package.files:
        kind = {".m3u8": "hls-playlist", ".mp4": "hls-init"}.get(path.suffix, "hls-segment")
        if path == package.master:
            kind = "hls-master"
        outputs.append(
            manifest.OutputFile(
                name=path.relative_to(root).as_posix(),
                kind=kind,
                codec="aac" if kind != "hls-master" else None,
                duration=durations.get(path),
            )
        )
    return outputs


def _encode_with_loudness(
    src: Path, root: Path, variants: tuple[Variant, ...], info: AudioInfo, parallel: int
) -> tuple[dict[Variant, Path], loudness.Loudness]:
    """Run the encodes and the loudness/integrity decode in one pool, longest first."""
    with ThreadPoolExecutor(max_workers=max(1, parallel)) as pool:
        measured: Future[loudness.Loudness] = pool.submit(loudness.measure, src)
        futures = {
            v: pool.submit(encode_variant, src, root, v, info)
            for v in sorted(variants, key=encode_cost, reverse=True)
        }
        encoded = {v: f.result().path for v, f in futures.items()}
        return encoded, measured.result()


def render_track(
    src: Path, root: Path, settings: AudioSettings, *, role: Role = "track"
) -> Rendition:
    """Ladder (per the lossy policy), ReplayGain-tagged, plus HLS when the track is long enough."""
    info = probe(src)
    tags = read_tags(src, info.tags)
    root.mkdir(parents=True, exist_ok=True)
    variants = ladder(settings, role)
    encoded, measured = _encode_with_loudness(src, root, variants, info, settings.parallel_encodes)
    check_integrity(src, info, measured)
    rendition = Rendition(role=role, source=info, tags=tags, loudness=measured)
    aac = [(v, encoded[v]) for v in sorted(variants) if v.codec == "m4a"]
    if role == "track" and aac and info.duration > settings.hls_min_duration_seconds:
        package = hls.package_hls(aac, root / HLS_DIR, segment_seconds=settings.hls_segment_seconds)
        rendition.outputs += _hls_outputs(package, root)
        rendition.hls_master = package.master.relative_to(root).as_posix()
    for variant in variants:
        write_tags(encoded[variant], tags, measured.replaygain_tags())
        rendition.outputs.append(_variant_output(encoded[variant], variant, root))
    rendition.outputs.sort(key=lambda o: o.name)
    return rendition


def render_stem(src: Path, root: Path, settings: AudioSettings) -> Rendition:
    """Bit-exact FLAC (verified by decoded-PCM md5) plus any lossy variants the policy keeps."""
    info = probe(src)
    measured = loudness.measure(src)
    check_integrity(src, info, measured)
    tags = read_tags(src, info.tags)
    result = encode_flac(src, root / STEM_NAME, info=info)
    write_tags(result.path, tags, measured.replaygain_tags())
    rendition = render_track(src, root, settings, role="stem") if ladder(settings, "stem") else None
    stem = Rendition(role="stem", source=info, tags=tags, loudness=measured)
    stem.outputs.append(
        manifest.OutputFile(name=STEM_NAME, kind="stem", codec="flac", duration=result.duration)
    )
    if rendition is not None:
        stem.outputs += rendition.outputs
    stem.extra["lossless"] = {"bits": result.bits, "pcm_md5": result.pcm_md5}
    return stem


def render(src: Path, root: Path, settings: AudioSettings, role: Role) -> Rendition:
    """Render a master for its role."""
    return render_stem(src, root, settings) if role == "stem" else render_track(src, root, settings)
