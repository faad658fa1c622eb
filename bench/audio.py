"""Audio benchmark: our ladder + HLS against same-run baselines, ratios written as JSON.

    python bench/audio.py [--seconds 240] [--out bench/results/audio.json]
    python bench/audio.py --watermark [--clips 12] [--out bench/results/audio_watermark.json]

Ladder (default): on a generated 24-bit stereo 48 kHz master (4 minutes, tagged, with cover),
1. ours: `workers.audio.render.render_track` with the default settings (9 variants in
   `parallel_encodes` processes, longest first; HLS remuxed from the AAC encodes; tags,
   covers, ReplayGain; one extra decode for loudness and integrity);
2. naive: one ffmpeg run per variant, one after the other, with the same encoder options,
   plus a separate HLS encode of the three AAC renditions;
3. limit: the CPU time of the nine distinct encodes (measured in the naive run) / cores.
Prints naive/ours (target >= 2.5 on 2 cores) and ours/limit (target <= 1.15).

Watermark (`--watermark`): for each of `--clips` generated songs, embed a random 32-bit
payload at the default strength, cut a 30 s excerpt at a random offset, encode it to MP3
128 kbps and detect; reports the payload recovery rate, the raw coded-bit error rate before
error correction, and false positives on the unmarked excerpts and with a wrong key, plus a
sweep of `--fp-trials` further unmarked 30 s excerpts (songs and white noise).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from stacks.settings import AudioSettings
from workers.audio.hls import rendition_name
from workers.audio.ladder import Variant, ladder
from workers.audio.pcm import read_pcm, write_pcm
from workers.audio.render import render_track
from workers.audio.tags import Cover, Tags, write_tags
from workers.audio.watermark import coding
from workers.audio.watermark.payload import MIN_CONFIDENCE, detect, embed

RESULTS = Path(__file__).resolve().parent / "results"


def cpu_seconds() -> float:
    """CPU of this process and its finished children (ffmpeg runs), user + system."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def measured(action: Callable[[], Any]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of `action`."""
    cpu, wall = cpu_seconds(), time.perf_counter()
    action()
    return time.perf_counter() - wall, cpu_seconds() - cpu


def run_ffmpeg(*args: str | Path) -> None:
    argv = ["ffmpeg", "-nostdin", "-v", "error", "-y", *(str(a) for a in args)]
    proc = subprocess.run(argv, capture_output=True, check=False)  # noqa: S603
    if proc.returncode != 0:
        raise RuntimeError(f"ffmpeg failed: {proc.stderr.decode().strip().splitlines()[-1:]}")


def make_master(path: Path, seconds: float) -> Path:
    """Pink noise + a chord, 24-bit 48 kHz stereo FLAC, tagged, with a cover."""
    graph = (
        f"anoisesrc=d={seconds}:c=pink:a=0.2:r=48000:seed=5[n];"
        f"sine=f=220:d={seconds}:r=48000[a];sine=f=277:d={seconds}:r=48000[b];"
        "[n][a][b]amix=inputs=3,aformat=channel_layouts=stereo"
    )
    run_ffmpeg("-filter_complex", graph, "-c:a", "flac", "-sample_fmt", "s32", path)
    cover = path.with_suffix(".jpg")
    run_ffmpeg("-f", "lavfi", "-i", "testsrc=s=600x600:d=1", "-frames:v", "1", cover)
    tags = Tags(title="Bench", artist="Bench", album="Bench", track="1", isrc="XXBEN2600001",
                label="Bench", comment="bench", cover=Cover(cover.read_bytes()))  # fmt: skip
    write_tags(path, tags)
    return path


def naive(master: Path, out: Path, variants: tuple[Variant, ...]) -> dict[str, float]:
    """Sequential ffmpeg runs, one per variant, then a separate HLS encode; CPU per encode."""
    out.mkdir(parents=True, exist_ok=True)
    cpu: dict[str, float] = {}
    for variant in variants:
        argv = ["-i", master, "-map", "0:a:0", "-ar", "48000", "-ac", "2",
                *variant.ffmpeg_args(), out / variant.filename]  # fmt: skip
        _, cpu[variant.name] = measured(lambda argv=argv: run_ffmpeg(*argv))
    aac = [v for v in variants if v.codec == "m4a"]
    hls_args: list[str] = []
    for index, variant in enumerate(aac):
        hls_args += ["-map", "0:a:0", f"-c:a:{index}", "aac", f"-b:a:{index}",
                     f"{variant.bitrate_kbps}k"]  # fmt: skip
        if variant.bitrate_kbps >= 256:
            hls_args += [f"-aac_ms:a:{index}", "0"]
    streams = " ".join(f"a:{i},name:{rendition_name(v)}" for i, v in enumerate(aac))
    (out / "hls").mkdir(exist_ok=True)
    hls_argv = [
        "-i", master, *hls_args, "-f", "hls", "-hls_time", "6", "-hls_playlist_type", "vod",
        "-hls_segment_type", "fmp4", "-hls_segment_filename", out / "hls/%v/seg_%05d.m4s",
        "-master_pl_name", "master.m3u8", "-var_stream_map", streams, out / "hls/%v/index.m3u8",
    ]  # fmt: skip
    _, cpu["hls-encode"] = measured(lambda: run_ffmpeg(*hls_argv))
    return cpu


def ladder_bench(seconds: float) -> dict[str, Any]:
    settings = AudioSettings()
    variants = ladder(settings, "track")
    cores = os.cpu_count() or 1
    with tempfile.TemporaryDirectory(prefix="bench-audio-") as tmp:
        root = Path(tmp)
        master = make_master(root / "master.flac", seconds)
        results: dict[str, Any] = {}
        ours_wall, ours_cpu = measured(
            lambda: results.update(rendition=render_track(master, root / "ours", settings))
        )
        hls_made = results["rendition"].hls_master is not None
        naive_cpu: dict[str, float] = {}
        naive_wall, naive_total_cpu = measured(
            lambda: naive_cpu.update(naive(master, root / "naive", variants))
        )
    distinct_cpu = sum(cpu for name, cpu in naive_cpu.items() if name != "hls-encode")
    limit = distinct_cpu / cores
    return {
        "master": {"seconds": seconds, "rate": 48000, "bits": 24, "channels": 2},
        "variants": [v.name for v in variants],
        "hls": hls_made,
        "cores": cores,
        "parallel_encodes": settings.parallel_encodes,
        "ours": {"wall_s": round(ours_wall, 2), "cpu_s": round(ours_cpu, 2)},
        "naive": {
            "wall_s": round(naive_wall, 2),
            "cpu_s": round(naive_total_cpu, 2),
            "cpu_per_run_s": {k: round(v, 2) for k, v in naive_cpu.items()},
        },
        "limit": {"wall_s": round(limit, 2), "distinct_encode_cpu_s": round(distinct_cpu, 2)},
        "speedup_vs_naive": round(naive_wall / ours_wall, 2),
        "ratio_to_limit": round(ours_wall / limit, 2),
        "targets": {"speedup_vs_naive": ">= 2.5", "ratio_to_limit": "<= 1.15"},
        "cpu_speedup_vs_naive": round(naive_total_cpu / ours_cpu, 2),
        "ours_cpu_over_distinct_encode_cpu": round(ours_cpu / distinct_cpu, 2),
        "load_average_at_end": os.getloadavg(),
    }


def song(seconds: float, rate: int, rng: np.random.Generator) -> np.ndarray:
    """Synthetic music: chords of harmonic notes with decays, a bass line, hi-hats and a
    quiet noise floor (room tone), stereo float."""
    n = int(seconds * rate)
    out = rng.normal(0, 0.002, (2, n))
    scale = 110.0 * 2 ** (np.array([0, 2, 3, 5, 7, 8, 10]) / 12)
    beat = int(rate * rng.uniform(0.2, 0.35))
    for start in range(0, n, beat):
        length = min(n - start, beat * int(rng.integers(1, 5)))
        t = np.arange(length) / rate
        for root in rng.choice(scale, size=int(rng.integers(1, 4))):
            f = root * rng.choice([1, 2, 4])
            note = sum(np.sin(2 * np.pi * f * k * t) / k**1.2 for k in range(1, 9) if f * k < 15000)
            note *= np.exp(-t * rng.uniform(1.5, 6)) * 0.15
            pan = rng.uniform(0.2, 0.8)
            out[0, start : start + length] += note * pan
            out[1, start : start + length] += note * (1 - pan)
        hat = min(n - start, rate // 30)
        out[:, start : start + hat] += rng.normal(0, 0.04, (2, hat)) * np.exp(
            -np.arange(hat) / (rate / 300)
        )
    return out / np.max(np.abs(out)) * 0.9


def watermark_bench(clips: int, settings: AudioSettings, fp_trials: int) -> dict[str, Any]:
    rng = np.random.default_rng(2026)
    recovered, coded_errors, coded_total = 0, 0, 0
    false_unmarked, false_wrong_key, confidences, unmarked_conf = 0, 0, [], []
    with tempfile.TemporaryDirectory(prefix="bench-wm-") as tmp:
        root = Path(tmp)
        for clip in range(clips):
            audio = song(45.0, 44100, rng)
            payload = rng.bytes(4)
            marked = embed(audio, 44100, payload, settings.watermark_key,
                           settings.watermark_strength)  # fmt: skip
            start = float(rng.uniform(0, 14))
            for name, signal_ in (("marked", marked), ("clean", audio)):
                wav = write_pcm(root / f"{name}{clip}.wav", signal_, 44100)
                mp3 = root / f"{name}{clip}.mp3"
                run_ffmpeg("-ss", f"{start:.3f}", "-i", wav, "-t", "30", "-b:a", "128k", mp3)
                mono = read_pcm(mp3, rate=44100, mono=True)[0][0]
                if name == "marked":
                    found = detect(mono, settings.watermark_key)
                    recovered += found.payload == payload
                    expected = coding.encode(payload).astype(bool)
                    coded_errors += int(np.sum((found.soft_bits > 0) != expected))
                    coded_total += expected.size
                    confidences.append(round(found.confidence, 1))
                    false_wrong_key += detect(mono, "a-different-key").found
                else:
                    clean = detect(mono, settings.watermark_key)
                    false_unmarked += clean.found
                    unmarked_conf.append(round(clean.confidence, 1))
    fp_found, fp_max = 0, 0.0
    for trial in range(fp_trials):
        clip = song(30.0, 44100, rng) if trial % 2 else rng.normal(0, 0.1, (2, 30 * 44100))
        clean = detect(clip.mean(axis=0), settings.watermark_key)
        fp_found += clean.found
        fp_max = max(fp_max, clean.confidence)
    return {
        "clips": clips,
        "fp_sweep": {
            "unmarked_excerpts": fp_trials,
            "detections": fp_found,
            "max_confidence": round(fp_max, 2),
            "threshold": MIN_CONFIDENCE,
        },
        "excerpt_seconds": 30,
        "codec": "mp3 128k (libmp3lame)",
        "strength": settings.watermark_strength,
        "payload_recovery_rate": recovered / clips,
        "raw_coded_bit_error_rate": round(coded_errors / coded_total, 4),
        "confidence_marked": confidences,
        "confidence_unmarked": unmarked_conf,
        "false_positives_unmarked": f"{false_unmarked}/{clips}",
        "false_positives_wrong_key": f"{false_wrong_key}/{clips}",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=240.0)
    parser.add_argument("--watermark", action="store_true")
    parser.add_argument("--clips", type=int, default=12)
    parser.add_argument("--strength", type=float, default=None)
    parser.add_argument("--fp-trials", type=int, default=100)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    meta = {"when": datetime.now(UTC).isoformat(timespec="seconds"), "host": platform.node(),
            "load_average_at_start": os.getloadavg()}  # fmt: skip
    if args.watermark:
        settings = AudioSettings()
        if args.strength:
            settings = settings.model_copy(update={"watermark_strength": args.strength})
        result = {**meta, **watermark_bench(args.clips, settings, args.fp_trials)}
        out = args.out or RESULTS / "audio_watermark.json"
        print(f"payload recovery after MP3 128k: {result['payload_recovery_rate']:.0%}, "
              f"raw BER {result['raw_coded_bit_error_rate']:.2%}, false positives "
              f"{result['false_positives_unmarked']} unmarked, "
              f"{result['false_positives_wrong_key']} wrong key")  # fmt: skip
    else:
        result = {**meta, **ladder_bench(args.seconds)}
        out = args.out or RESULTS / "audio.json"
        print(
            f"ours {result['ours']['wall_s']} s wall / {result['ours']['cpu_s']} s CPU; "
            f"naive {result['naive']['wall_s']} s; limit {result['limit']['wall_s']} s"
        )
        print(f"speedup vs naive: {result['speedup_vs_naive']}x (target >= 2.5)")
        print(f"ratio to limit:   {result['ratio_to_limit']}x (target <= 1.15)")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
