"""Measured savings on a corpus: bytes stored and origin egress, with and without the
optimisations, from the real pipeline's outputs (ladder, FLAC, image optimiser, SHA-256).

Nothing in `measured` is an assumed ratio: every size is the size of a file the workers
wrote, and the edge's hits come from replaying the corpus' plays through a TTL cache with the
stack's cache rules. `projected_to_track_seconds` rescales the measured audio bytes to
full-length tracks (the one stated assumption).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from analytics.corpus import Corpus, CorpusFile, read_plays
from analytics.edge_cache import CacheReplay, Request, replay
from stacks.settings import Settings
from workers.audio.flac import encode_flac
from workers.audio.ladder import ladder
from workers.audio.render import render_track
from workers.images.optimize import optimize

PROJECTED_TRACK_SECONDS = 240.0
"""The corpus' audio is seconds long (so the pipeline runs fast): audio bytes (PCM, FLAC and
constant-bitrate encodes) grow linearly with duration, so the projection scales them to a
4-minute track while covers stay as measured. Reported separately from the measurement."""
COVER_VIEW_WIDTH = 512
"""Width a player shows a cover at (the responsive size a browser picks)."""


def _ladder_sizes(corpus: Corpus, settings: Settings, work: Path) -> dict[str, dict[str, int]]:
    """sha256 of each distinct master -> {variant name: bytes, '*': all derivative bytes}."""
    sizes: dict[str, dict[str, int]] = {}
    names = {v.filename: v.name for v in ladder(settings.audio, "track")}
    for item in corpus.of_kind("master"):
        if item.sha256 in sizes:
            continue
        root = work / "ladder" / item.sha256[:16]
        rendition = render_track(corpus.path(item), root, settings.audio)
        files = [root / output.name for output in rendition.outputs]
        entry = {names[f.name]: f.stat().st_size for f in files if f.name in names}
        entry["*"] = sum(f.stat().st_size for f in files)
        sizes[item.sha256] = entry
    return sizes


def _flac_sizes(corpus: Corpus, work: Path) -> dict[str, int]:
    """Key of each stem -> bytes of its verified FLAC."""
    out = {}
    for item in corpus.of_kind("stem"):
        result = encode_flac(corpus.path(item), work / "flac" / f"{item.sha256[:16]}.flac")
        out[item.key] = result.path.stat().st_size
    return out


def _cover_sizes(corpus: Corpus, settings: Settings, work: Path) -> dict[str, tuple[int, int]]:
    """Track -> (bytes of all optimised variants, bytes of the cover as a player fetches it)."""
    out = {}
    for item in corpus.of_kind("cover"):
        manifest = optimize(corpus.path(item), work / "images" / item.track, settings.images)
        webps = sorted((o for o in manifest.outputs if o.format == "webp"), key=lambda o: o.width)
        view = next((o for o in webps if o.width >= COVER_VIEW_WIDTH), webps[-1])
        out[item.track] = (sum(o.bytes for o in manifest.outputs), view.bytes)
    return out


def _audio_requests(
    plays: list[dict[str, Any]], audio: dict[str, dict[str, int]], ttl: float
) -> Iterator[Request]:
    for play in plays:
        track, variant = play["track"], play["variant"]
        t = datetime.fromisoformat(play["ts"]).timestamp()
        yield Request(t, f"{track}/{variant}", audio[track][variant], ttl)


def _cover_requests(
    plays: list[dict[str, Any]], covers: dict[str, int], ttl: float
) -> Iterator[Request]:
    for play in plays:
        t = datetime.fromisoformat(play["ts"]).timestamp()
        yield Request(t, f"{play['track']}/cover", covers[play["track"]], ttl)


def _egress(audio: CacheReplay, covers: CacheReplay, audio_scale: float = 1.0) -> dict[str, Any]:
    requests = audio.requests + covers.requests
    return {
        "requests": requests,
        "edge_hit_ratio": round((audio.hits + covers.hits) / requests, 4) if requests else 0.0,
        "delivered": round(audio.bytes_total * audio_scale + covers.bytes_total),
        "from_origin": round(audio.bytes_from_origin * audio_scale + covers.bytes_from_origin),
    }


def _stored_totals(stored: dict[str, int], audio_scale: float) -> tuple[float, float]:
    audio_without = stored["masters"] + stored["derivatives"] + stored["stems_wav"]
    audio_with = (
        stored["masters_deduplicated"] + stored["derivatives_deduplicated"] + stored["stems_flac"]
    )
    covers = stored["covers_original"]
    return (
        audio_without * audio_scale + covers,
        audio_with * audio_scale + covers + stored["cover_variants"],
    )


def _summary(
    stored: dict[str, int], replays: dict[str, tuple[CacheReplay, CacheReplay]], scale: float
) -> dict[str, Any]:
    without, with_all = _stored_totals(stored, scale)
    egress = {name: _egress(audio, covers, scale) for name, (audio, covers) in replays.items()}
    return {
        "stored_without_optimisations": round(without),
        "stored_with_optimisations": round(with_all),
        "stored_saving_percent": round(100 * (1 - with_all / without), 2),
        "origin_egress": egress,
        "origin_egress_saving_percent": round(
            100 * (1 - egress["webp+cdn"]["from_origin"] / egress["none"]["from_origin"]), 2
        ),
    }


def measure(corpus: Corpus, settings: Settings, work: Path) -> dict[str, Any]:
    """Run the pipeline over the corpus into `work` and return the measured bytes."""
    started = time.perf_counter()
    ladders = _ladder_sizes(corpus, settings, work)
    flacs = _flac_sizes(corpus, work)
    covers = _cover_sizes(corpus, settings, work)
    pipeline_seconds = time.perf_counter() - started

    masters = corpus.of_kind("master")
    unique: dict[str, CorpusFile] = {}
    for item in masters:
        unique.setdefault(item.sha256, item)
    stems = corpus.of_kind("stem")
    cover_files = {item.track: item for item in corpus.of_kind("cover")}
    stored = {
        "masters": sum(m.bytes for m in masters),
        "masters_deduplicated": sum(m.bytes for m in unique.values()),
        "derivatives": sum(ladders[m.sha256]["*"] for m in masters),
        "derivatives_deduplicated": sum(ladders[sha]["*"] for sha in unique),
        "stems_wav": sum(s.bytes for s in stems),
        "stems_flac": sum(flacs.values()),
        "covers_original": sum(c.bytes for c in cover_files.values()),
        "cover_variants": sum(size for size, _ in covers.values()),
    }
    audio_by_track = {m.track: ladders[m.sha256] for m in unique.values()}
    plays = read_plays(corpus.root)
    ttl = (
        float(settings.delivery.rule_for("audio").edge_ttl_seconds),
        float(settings.delivery.rule_for("images").edge_ttl_seconds),
    )
    originals = {track: c.bytes for track, c in cover_files.items()}
    webp = {track: view for track, (_, view) in covers.items()}
    audio_none = replay(_audio_requests(plays, audio_by_track, 0.0))
    audio_cdn = replay(_audio_requests(plays, audio_by_track, ttl[0]))
    replays = {
        "none": (audio_none, replay(_cover_requests(plays, originals, 0.0))),
        "webp": (audio_none, replay(_cover_requests(plays, webp, 0.0))),
        "cdn": (audio_cdn, replay(_cover_requests(plays, originals, ttl[1]))),
        "webp+cdn": (audio_cdn, replay(_cover_requests(plays, webp, ttl[1]))),
    }
    scale = PROJECTED_TRACK_SECONDS / corpus.seconds
    return {
        "corpus": {
            "size": corpus.size, "seed": corpus.seed, "files": len(corpus.files),
            "bytes": sum(f.bytes for f in corpus.files), "plays": len(plays),
            "days": corpus.days, "track_seconds": corpus.seconds,
        },
        "pipeline_seconds": round(pipeline_seconds, 2),
        "stored_bytes": {
            **stored,
            "by_optimisation": {
                "dedup": stored["masters"] - stored["masters_deduplicated"]
                + stored["derivatives"] - stored["derivatives_deduplicated"],
                "flac": stored["stems_wav"] - stored["stems_flac"],
                "webp_variants_added": -stored["cover_variants"],
            },
        },
        "cdn_ttl_seconds": {"audio": ttl[0], "images": ttl[1]},
        "measured": _summary(stored, replays, 1.0),
        "projected_to_track_seconds": {
            "track_seconds": PROJECTED_TRACK_SECONDS,
            "audio_bytes_scale": scale,
            **_summary(stored, replays, scale),
        },
    }  # fmt: skip
