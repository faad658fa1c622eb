"""Sample media for the demo, generated on the spot (ffmpeg lavfi): nothing binary in git.

Two tagged tracks over three minutes with an embedded cover (FLAC), a cover image, two
short stems (WAV) and the EICAR test file, assembled at runtime from two halves so the
repository never holds the signature.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

EICAR_HEAD = "X5O!P%@AP[4\\PZX54(P^)7CC)7}$"
EICAR_TAIL = "EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"


class MediaGenerationError(RuntimeError):
    """ffmpeg failed to generate a sample (names the command and its last stderr line)."""


@dataclass(frozen=True)
class SampleMedia:
    """The generated files, by what they are."""

    tracks: tuple[Path, ...]
    cover: Path
    stems: tuple[Path, ...]
    eicar: Path


def _ffmpeg(*args: str) -> None:
    argv = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", *args]
    result = subprocess.run(argv, capture_output=True, check=False)  # noqa: S603
    if result.returncode != 0:
        lines = result.stderr.decode(errors="replace").strip().splitlines() or ["(no output)"]
        raise MediaGenerationError(f"{' '.join(argv)}: {lines[-1]}")


def cover_image(path: Path, size: int = 1400, pattern: str = "testsrc2") -> Path:
    _ffmpeg(
        "-f", "lavfi", "-i", f"{pattern}=size={size}x{size}:rate=1", "-frames:v", "1", str(path)
    )
    return path


def track(path: Path, cover: Path, *, title: str, seconds: float, tones: tuple[int, int]) -> Path:
    """A stereo 44.1 kHz FLAC (two tones, tremolo) with tags and an attached cover picture."""
    left, right = tones
    _ffmpeg(
        "-f", "lavfi", "-i", f"sine=frequency={left}:sample_rate=44100:duration={seconds}",
        "-f", "lavfi", "-i", f"sine=frequency={right}:sample_rate=44100:duration={seconds}",
        "-i", str(cover),
        "-filter_complex", "[0:a][1:a]amerge=inputs=2,tremolo=f=2:d=0.4,volume=0.5[a]",
        "-map", "[a]", "-map", "2:v",
        "-c:a", "flac", "-sample_fmt", "s16",
        "-c:v", "copy", "-disposition:v:0", "attached_pic",
        "-metadata", f"title={title}",
        "-metadata", "artist=media-infra demo",
        "-metadata", "album=Local Stack Sessions",
        "-metadata", "date=2026",
        "-metadata", "ISRC=XX0002600001",
        str(path),
    )  # fmt: skip
    return path


def stem(path: Path, *, seconds: float, source: str) -> Path:
    _ffmpeg(
        "-f",
        "lavfi",
        "-i",
        f"{source}:d={seconds}",
        "-ac",
        "2",
        "-ar",
        "44100",
        "-c:a",
        "pcm_s16le",
        str(path),
    )
    return path


def eicar(path: Path) -> Path:
    path.write_text(EICAR_HEAD + EICAR_TAIL)
    return path


def generate(
    folder: Path, *, track_seconds: float = 185.0, stem_seconds: float = 8.0
) -> SampleMedia:
    """Generate every sample into `folder` (reused when already there)."""
    folder.mkdir(parents=True, exist_ok=True)
    cover = folder / "cover.png"
    if not cover.exists():
        cover_image(cover)
    art = folder / "art.png"
    if not art.exists():
        cover_image(art, size=600, pattern="mandelbrot")
    tones = {"first-light": (220, 330), "second-wind": (196, 294)}
    tracks = []
    for index, (name, tone) in enumerate(tones.items()):
        path = folder / f"{name}.flac"
        if not path.exists():
            track(
                path,
                art,
                title=name.replace("-", " ").title(),
                seconds=track_seconds + 5 * index,
                tones=tone,
            )
        tracks.append(path)
    stems = []
    for name, source in (
        ("drums", "anoisesrc=color=pink:amplitude=0.3"),
        ("bass", "sine=frequency=55"),
    ):
        path = folder / f"stem-{name}.wav"
        if not path.exists():
            stem(path, seconds=stem_seconds, source=source)
        stems.append(path)
    return SampleMedia(tuple(tracks), cover, tuple(stems), eicar(folder / "invoice.pdf"))
