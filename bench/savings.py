"""Measured savings on the reference corpus: bytes stored and origin egress, with and without
the optimisations (dedup, FLAC stems, WebP + responsive covers, CDN), from the real
pipeline's outputs.

    python bench/savings.py [--size SMALL] [--corpus DIR] [--stack local]
                            [--out bench/results/savings.json]

Generates the corpus (unless --corpus names one), renders every distinct master's ladder,
encodes every stem to verified FLAC, optimises every cover, hashes for dedup, replays the
plays through a TTL edge cache with the stack's cache rules, and writes the JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from analytics.corpus import generate, load
from analytics.savings import measure
from stacks.settings import load_stack

RESULTS = Path(__file__).resolve().parent / "results"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="SMALL")
    parser.add_argument("--corpus", type=Path, default=None)
    parser.add_argument("--stack", default="local")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=RESULTS / "savings.json")
    args = parser.parse_args()
    settings = load_stack(args.stack)
    with tempfile.TemporaryDirectory(prefix="savings-") as scratch:
        started = time.perf_counter()
        if args.corpus is not None:
            corpus = load(args.corpus)
        else:
            corpus = generate(args.size, Path(scratch) / "corpus", seed=args.seed)
        generated = time.perf_counter() - started
        result = measure(corpus, settings, Path(scratch) / "work")
    result = {
        "benchmark": "savings",
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "stack": args.stack,
        "corpus_seconds": round(generated, 2),
        **result,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    for name in ("measured", "projected_to_track_seconds"):
        part = result[name]
        egress = part["origin_egress"]
        print(
            f"{name}: stored {part['stored_without_optimisations']:,} -> "
            f"{part['stored_with_optimisations']:,} bytes (-{part['stored_saving_percent']}%); "
            f"origin egress {egress['none']['from_origin']:,} -> "
            f"{egress['webp+cdn']['from_origin']:,} bytes "
            f"(-{part['origin_egress_saving_percent']}%), edge hit ratio "
            f"{egress['webp+cdn']['edge_hit_ratio']:.1%}"
        )
    print(f"-> {args.out}")


if __name__ == "__main__":
    main()
