"""EBU R128 loudness (integrated, range, true peak) in one full decode, plus ReplayGain tags.

The same decode checks integrity: decode errors or a decoded length short of the header's
duration mean a corrupt or truncated master.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from pathlib import Path

from workers.audio.ffmpeg import ffmpeg

REPLAYGAIN_REFERENCE_LUFS = -18.0
"""ReplayGain 2.0 reference level."""

_SUMMARY = re.compile(
    r"Integrated loudness:\s+I:\s+(?P<i>-?[\d.]+|-inf) LUFS.*?"
    r"Loudness range:\s+LRA:\s+(?P<lra>-?[\d.]+) LU.*?"
    r"True peak:\s+Peak:\s+(?P<tp>-?[\d.]+|-inf) dBFS",
    re.S,
)
IMAGE_DECODERS = ("[png @", "[mjpeg @", "[bmp @", "[gif @", "[webp @", "[tiff @")
"""Embedded cover art is probed too; its decode errors say nothing about the audio."""
_DECODED = re.compile(r"out_time_us=(\d+)")


@dataclass(frozen=True)
class Loudness:
    """EBU R128 measurements of a whole file."""

    integrated_lufs: float
    loudness_range_lu: float
    true_peak_dbtp: float
    decoded_seconds: float
    decode_errors: tuple[str, ...] = ()

    @property
    def replaygain_gain_db(self) -> float:
        return round(REPLAYGAIN_REFERENCE_LUFS - self.integrated_lufs, 2)

    @property
    def replaygain_peak(self) -> float:
        return round(10 ** (self.true_peak_dbtp / 20), 6)

    def replaygain_tags(self) -> dict[str, str]:
        """ReplayGain 2.0 track tags (gain to -18 LUFS, true peak as linear amplitude)."""
        return {
            "REPLAYGAIN_TRACK_GAIN": f"{self.replaygain_gain_db:.2f} dB",
            "REPLAYGAIN_TRACK_PEAK": f"{self.replaygain_peak:.6f}",
            "REPLAYGAIN_REFERENCE_LOUDNESS": f"{REPLAYGAIN_REFERENCE_LUFS:.1f} LUFS",
        }

    def as_dict(self) -> dict[str, object]:
        data = asdict(self)
        data.pop("decode_errors")
        data["replaygain_track_gain_db"] = self.replaygain_gain_db
        data["replaygain_track_peak"] = self.replaygain_peak
        return data


def _number(text: str) -> float:
    return -70.0 if text == "-inf" else float(text)


def measure(path: Path) -> Loudness:
    """Decode the first audio stream once through ebur128 (true peak on)."""
    proc = ffmpeg(
        "-loglevel", "level+info", "-nostats", "-progress", "pipe:1", "-i", path,
        "-map", "0:a:0", "-af", "ebur128=peak=true:framelog=verbose", "-f", "null", "-",
    )  # fmt: skip
    stderr = proc.stderr.decode("utf-8", "replace")
    summary = _SUMMARY.search(stderr[stderr.rfind("Summary:") :])
    if summary is None:
        raise ValueError(f"{path.name}: ebur128 printed no summary")
    decoded = [int(m) for m in _DECODED.findall(proc.stdout.decode()) if m.isdigit()]
    errors = tuple(
        line
        for line in stderr.splitlines()
        if ("[error]" in line or "[fatal]" in line) and not line.startswith(IMAGE_DECODERS)
    )
    return Loudness(
        integrated_lufs=_number(summary["i"]),
        loudness_range_lu=float(summary["lra"]),
        true_peak_dbtp=_number(summary["tp"]),
        decoded_seconds=(max(decoded) / 1e6) if decoded else 0.0,
        decode_errors=errors,
    )
