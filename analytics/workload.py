"""A stated workload for the cost model, loaded from YAML (`workloads/*.yaml`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

NonNegative = Annotated[float, Field(ge=0)]
Share = Annotated[float, Field(ge=0, le=1)]
Ratio = Annotated[float, Field(gt=0, le=1)]


class WorkloadError(ValueError):
    """An invalid workload file: names the file, the key and what was expected."""


class Workload(BaseModel):
    """What the platform stores and serves per month; sizes in MB (1 GB = 1024 MB)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    catalogue_tracks: Annotated[int, Field(ge=0)]
    uploads_per_day: NonNegative
    """New tracks per day (each with a master and a cover, some with stems)."""
    plays_per_day: NonNegative
    cover_views_per_play: NonNegative = 1.0
    hit_ratio: Share = 0.95
    """Edge cache hit ratio when the CDN is on."""
    master_mb: NonNegative = 60.0
    """Average master (24-bit WAV, about 4 minutes)."""
    stem_track_share: Share = 0.2
    stems_per_track: NonNegative = 4.0
    stem_mb: NonNegative = 60.0
    """Average stem as uploaded (WAV)."""
    cover_mb: NonNegative = 4.0
    """Average cover as uploaded (PNG or high-quality JPEG)."""
    duplicate_share: Share = 0.1
    """Share of uploaded masters and covers that repeat an existing file byte for byte."""
    flac_ratio: Ratio = 0.6
    """FLAC size / WAV size of a stem."""
    derivatives_mb_per_track: NonNegative = 25.0
    """The lossy ladder and HLS of one track."""
    cover_variants_mb: NonNegative = 0.8
    """All optimised cover variants (WebP/JPEG, responsive widths) of one cover."""
    cover_view_webp_mb: NonNegative = 0.06
    """What a cover view transfers with WebP and responsive sizes (vs `cover_mb` without)."""
    play_mb: NonNegative = 4.0
    """Average bytes streamed per play."""
    catalogue_age_days: Annotated[float, Field(gt=0)] = 1825.0
    """Uploads are spread evenly over this many days (for the storage-class mix of tiers)."""
    cold_share: Share = 0.8
    """Share of masters and stems nobody reads for months (intelligent tiering archives them)."""
    days_per_month: Annotated[float, Field(gt=0)] = 30.0


def load_workload(path: Path) -> Workload:
    """Read and validate a workload YAML file."""
    try:
        data = yaml.safe_load(Path(path).read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise WorkloadError(f"{path}: {exc}") from None
    if not isinstance(data, dict):
        raise WorkloadError(f"{path}: expected a mapping of workload keys")
    try:
        return Workload.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: "
            f"{'unknown key' if err['type'] == 'extra_forbidden' else err['msg']}"
            for err in exc.errors(include_url=False)
        )
        raise WorkloadError(f"{path}: {problems}") from None
