"""Generate the reference corpus into a folder: media files, `manifest.json`, `plays.jsonl`.

Layout: `<out>/masters/<user>/<track>/master.wav`, `.../cover.png`,
`<out>/stems/<user>/<track>/stems/<stem>.wav`, `<out>/manifest.json` (one entry per
upload with its size and SHA-256) and `<out>/plays.jsonl` (the access pattern).
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from analytics.access_pattern import AccessParams, generate_plays
from analytics.corpus_media import render_item
from analytics.corpus_plan import PlannedItem, SizeProfile, plan_corpus, profile
from workers.dedup.hashing import hash_file

MANIFEST = "manifest.json"
PLAYS = "plays.jsonl"


@dataclass(frozen=True)
class CorpusFile:
    """One rendered upload as the manifest records it."""

    key: str
    kind: str
    bucket_role: str
    user: str
    track: str
    created_day: int
    path: str
    """Relative to the corpus root."""
    bytes: int
    sha256: str
    duplicate_of: str | None


@dataclass(frozen=True)
class Corpus:
    """A generated corpus: where it lives and what it holds."""

    root: Path
    size: str
    seed: int
    days: int
    files: tuple[CorpusFile, ...]
    plays: int
    seconds: float
    """Duration of every master and stem."""

    def of_kind(self, kind: str) -> list[CorpusFile]:
        return [f for f in self.files if f.kind == kind]

    def path(self, item: CorpusFile) -> Path:
        return self.root / item.path


def generate(
    size: str, out: Path, seed: int = 7, workers: int = 2, prof: SizeProfile | None = None
) -> Corpus:
    """Render the preset `size` (or an explicit profile) into `out`, with manifest and plays."""
    prof = prof or profile(size)
    items = plan_corpus(prof, seed)
    out.mkdir(parents=True, exist_ok=True)
    originals = [item for item in items if item.duplicate_of is None]
    duplicates = [item for item in items if item.duplicate_of is not None]

    def render(item: PlannedItem) -> CorpusFile:
        path = render_item(item, out, prof.seconds, prof.cover_pixels)
        digest = hash_file(path)
        return CorpusFile(
            item.key, item.kind, item.bucket_role, item.user, item.track, item.created_day,
            str(path.relative_to(out)), digest.size, digest.sha256, item.duplicate_of,
        )  # fmt: skip

    with ThreadPoolExecutor(max_workers=workers) as pool:
        files = list(pool.map(render, originals))
    files += [render(item) for item in duplicates]

    releases: dict[str, int] = {}
    for item in originals:
        if item.kind == "master":
            releases[item.track] = item.created_day
    params = AccessParams(plays_per_day=prof.plays_per_day, days=prof.days)
    plays = 0
    with (out / PLAYS).open("w") as stream:
        for play in generate_plays(list(releases), list(releases.values()), params, seed):
            stream.write(json.dumps(play.as_dict()) + "\n")
            plays += 1
    corpus = Corpus(out, size.upper(), seed, prof.days, tuple(files), plays, prof.seconds)
    (out / MANIFEST).write_text(json.dumps(_manifest(corpus), indent=1))
    return corpus


def _manifest(corpus: Corpus) -> dict[str, Any]:
    return {
        "size": corpus.size,
        "seed": corpus.seed,
        "days": corpus.days,
        "plays": corpus.plays,
        "seconds": corpus.seconds,
        "files": [asdict(f) for f in corpus.files],
    }


def load(root: Path) -> Corpus:
    """Read a generated corpus back from its manifest; FileNotFoundError names the folder."""
    path = root / MANIFEST
    if not path.is_file():
        raise FileNotFoundError(f"{root}: no {MANIFEST}; run `mediainfra corpus generate` first")
    data = json.loads(path.read_text())
    files = tuple(CorpusFile(**entry) for entry in data["files"])
    return Corpus(
        root, data["size"], data["seed"], data["days"], files, data["plays"], data["seconds"]
    )


def read_plays(root: Path) -> list[dict[str, Any]]:
    """The corpus' plays as dicts (ts, day, listener, track, variant)."""
    with (root / PLAYS).open() as stream:
        return [json.loads(line) for line in stream if line.strip()]
