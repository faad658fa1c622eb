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


@dataclass
class _Finished:
    outputs: list[manifest.OutputFile]
    hls_master: str | None


def _render_outputs(
    src: Path, root: Path, settings: AudioSettings, role: Role, info: AudioInfo, tags: Tags
) -> tuple[_Finished, loudness.Loudness]:
    """Encodes, loudness/integrity decode, tagging and HLS in one pool, longest first.

    An MP3/OGG task tags its variant as soon as it is encoded. The AAC encodes (the longest,
    so started first) are remuxed into HLS untagged by a last task, which then tags them:
    the tail of the job overlaps the last encodes. Each task waits only on tasks submitted
    before it, so no wait can starve the pool.
    """
    variants = ladder(settings, role)

    def finish(variant: Variant, path: Path) -> manifest.OutputFile:
        write_tags(path, tags, measured.result().replaygain_tags())
        return _variant_output(path, variant, root)

    def encode_and_finish(variant: Variant) -> manifest.OutputFile:
        return finish(variant, encode_variant(src, root, variant, info).path)

    with ThreadPoolExecutor(max_workers=max(1, settings.parallel_encodes)) as pool:
        measured: Future[loudness.Loudness] = pool.submit(loudness.measure, src)
        order = sorted(variants, key=encode_cost, reverse=True)
        aac = {
            v: pool.submit(encode_variant, src, root, v, info) for v in order if v.codec == "m4a"
        }
        others = [pool.submit(encode_and_finish, v) for v in order if v.codec != "m4a"]

        def hls_then_tag_aac() -> _Finished:
            finished = _Finished([], None)
            encoded = [(v, aac[v].result().path) for v in sorted(aac)]
            hls_due = role == "track" and info.duration > settings.hls_min_duration_seconds
            if encoded and hls_due:
                package = hls.package_hls(
                    encoded, root / HLS_DIR, segment_seconds=settings.hls_segment_seconds
                )
                finished.outputs += _hls_outputs(package, root)
                finished.hls_master = package.master.relative_to(root).as_posix()
            finished.outputs += [finish(v, path) for v, path in encoded]
            return finished

        finished = pool.submit(hls_then_tag_aac).result()
        finished.outputs += [f.result() for f in others]
        return finished, measured.result()


def render_track(
    src: Path, root: Path, settings: AudioSettings, *, role: Role = "track"
) -> Rendition:
    """Ladder (per the lossy policy), ReplayGain-tagged, plus HLS when the track is long enough."""
    info = probe(src)
    tags = read_tags(src, info.tags)
    root.mkdir(parents=True, exist_ok=True)
    finished, measured = _render_outputs(src, root, settings, role, info, tags)
    check_integrity(src, info, measured)
    rendition = Rendition(role=role, source=info, tags=tags, loudness=measured)
    rendition.outputs = sorted(finished.outputs, key=lambda o: o.name)
    rendition.hls_master = finished.hls_master
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
