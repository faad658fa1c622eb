"""`mediainfra audio ...`: transcode, watermark, fingerprint and loudness on local files."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, Literal

import typer

from stacks.settings import AudioSettings, SettingsError, load_stack
from workers.audio import fingerprint as fingerprints
from workers.audio import loudness as loudness_module
from workers.audio.ffmpeg import ToolError, UnsupportedMediaError
from workers.audio.flac import LosslessMismatchError
from workers.audio.manifest import MANIFEST_NAME, manifest_bytes
from workers.audio.render import render
from workers.audio.tags import TagError
from workers.audio.watermark.audible import trial_preview
from workers.audio.watermark.payload import detect_file, embed_file

app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__)
watermark_app = typer.Typer(add_completion=False, no_args_is_help=True, help="Watermarks.")
app.add_typer(watermark_app, name="watermark")

EXPECTED_ERRORS = (
    UnsupportedMediaError, TagError, LosslessMismatchError, ToolError, SettingsError, ValueError,
    OSError,
)  # fmt: skip

Stack = Annotated[str, typer.Option("--stack", help="Stack whose audio settings apply.")]
ExistingFile = Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)]


@contextmanager
def one_line_errors() -> Iterator[None]:
    """Turn expected failures into a one-line reason on stderr and exit status 1.

    SystemExit rather than typer.Exit: `mediainfra` hosts this app in a plain Click group,
    which does not know typer 0.29's own Exit class.
    """
    try:
        yield
    except EXPECTED_ERRORS as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        typer.echo(f"error: {reason}", err=True)
        raise SystemExit(1) from None


def audio_settings(stack: str) -> AudioSettings:
    return load_stack(stack).audio


def echo_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, sort_keys=True))


@app.command()
def transcode(
    src: ExistingFile,
    out: Annotated[Path, typer.Option("--out", help="Output directory.")],
    stack: Stack = "local",
    role: Annotated[str, typer.Option(help="track (ladder + HLS) or stem (FLAC).")] = "track",
) -> None:
    """Render SRC into OUT: the ladder, the HLS tree when due, and manifest.json."""
    with one_line_errors():
        if role not in ("track", "stem"):
            raise ValueError(f"role must be 'track' or 'stem', not {role!r}")
        chosen: Literal["track", "stem"] = "stem" if role == "stem" else "track"
        rendition = render(src, out, audio_settings(stack), chosen)
        manifest = rendition.manifest(out)
        (out / MANIFEST_NAME).write_bytes(manifest_bytes(manifest))
    for entry in manifest["outputs"]:
        if entry["kind"] in ("variant", "stem"):
            typer.echo(f"{entry['key']}\t{entry['codec']}\t{entry['size']} bytes")
    if manifest["hls_master"]:
        typer.echo(f"{manifest['hls_master']}\tHLS master playlist")
    typer.echo(f"{MANIFEST_NAME}\t{len(manifest['outputs'])} outputs")


def _payload(hex_text: str) -> bytes:
    try:
        payload = bytes.fromhex(hex_text)
    except ValueError:
        raise ValueError(f"payload {hex_text!r} is not hexadecimal") from None
    if len(payload) != 4:
        raise ValueError(f"payload must be 32 bits (8 hex digits), got {len(payload) * 8}")
    return payload


@watermark_app.command("embed")
def watermark_embed(
    src: ExistingFile,
    payload: Annotated[str, typer.Option("--payload", help="32-bit payload, 8 hex digits.")],
    out: Annotated[Path, typer.Option("--out", help="Output file (codec by extension).")],
    stack: Stack = "local",
) -> None:
    """Embed an invisible 32-bit payload into SRC."""
    with one_line_errors():
        embed_file(src, out, _payload(payload), audio_settings(stack))
    typer.echo(f"{out}\tpayload {payload.lower()}")


@watermark_app.command("detect")
def watermark_detect(file: ExistingFile, stack: Stack = "local") -> None:
    """Print the payload found in FILE and a confidence; exit 1 when there is none."""
    with one_line_errors():
        detection = detect_file(file, audio_settings(stack))
    result = {
        "payload": detection.payload.hex() if detection.payload else None,
        "confidence": round(detection.confidence, 2),
        "offset_seconds": round(detection.offset_seconds, 3),
    }
    echo_json(result)
    if detection.payload is None:
        raise SystemExit(1)


@watermark_app.command("trial")
def watermark_trial(
    src: ExistingFile,
    out: Annotated[Path, typer.Option("--out", help="Output file (codec by extension).")],
    stack: Stack = "local",
) -> None:
    """Mix the audible trial tag into SRC at the configured interval and level."""
    with one_line_errors():
        settings = audio_settings(stack)
        times = trial_preview(
            src, out, interval_seconds=settings.trial_interval_seconds,
            gain_db=settings.trial_gain_db,
        )  # fmt: skip
    echo_json({"out": str(out), "tags_at_seconds": [round(t, 3) for t in times]})


@app.command()
def fingerprint(
    file: ExistingFile,
    compare: Annotated[
        Path | None, typer.Option(exists=True, dir_okay=False, help="Compare with this file.")
    ] = None,
) -> None:
    """Print FILE's Chromaprint fingerprint, or its similarity to --compare."""
    with one_line_errors():
        first = fingerprints.fingerprint(file)
        if compare is None:
            echo_json({"duration": first.duration, "fingerprint": list(first.items)})
            return
        second = fingerprints.fingerprint(compare)
    score = fingerprints.similarity(first, second)
    echo_json(
        {
            "similarity": round(score, 4),
            "near_duplicate": fingerprints.is_near_duplicate(first, second),
        }
    )


@app.command()
def loudness(file: ExistingFile) -> None:
    """Print FILE's EBU R128 loudness, true peak and ReplayGain values."""
    run_and_print(lambda: loudness_module.measure(file).as_dict())


def run_and_print(action: Callable[[], dict[str, Any]]) -> None:
    with one_line_errors():
        echo_json(action())
