"""`MessageVectorCache`: the e5 vectors of recently parsed message texts, so a text many users send
("cảm ơn", "lệ phí bao nhiêu?", "감사합니다", "ok") is embedded once, not once per message.

Why: the e5 embedding is most of Rasa's CPU per message (py-spy under 20 concurrent senders: 57% of the
process, about 16 ms a message), and chat traffic repeats its short messages — thanks, yes/no, the
follow-up questions after an answer card. A vector depends only on the text (same model, same role,
same cleaning), so a hit returns exactly what the model would.

- Keyed by the cleaned text the model reads (`clean(text)[:max_chars]`), not by sender: nothing
  personal beyond the text Rasa already holds; bounded (least recently used entries go first).
- `size` 0 turns it off (THUTUC_NLU_VECTOR_CACHE=0: every message embedded, e.g. to measure the
  worst case). Hits and misses are counted for the benchmark.
- Thread-safe: Rasa's NLU runs in one dedicated thread (bot/nlu/launcher.py) but tests and training
  may call from others.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Callable, Sequence

import numpy as np

DEFAULT_SIZE = 4096  # 4096 × 384 float32 = 6 MB


class MessageVectorCache:
    def __init__(self, size: int = DEFAULT_SIZE):
        if size < 0:
            raise ValueError(f"the message vector cache size must be 0 or more, not {size}")
        self.size = size
        self.hits = 0
        self.misses = 0
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._vectors)

    def embed(self, keys: Sequence[str], embed: Callable[[list[str]], np.ndarray]) -> np.ndarray:
        """Vectors for `keys` (the texts as the model reads them): cached ones as they are, the others
        from one `embed(missing_keys)` call, then remembered."""
        if self.size == 0:
            self.misses += len(keys)
            return embed(list(keys))
        found: dict[str, np.ndarray] = {}
        with self._lock:
            for key in keys:
                vector = self._vectors.get(key)
                if vector is not None:
                    self._vectors.move_to_end(key)
                    found[key] = vector
        missing = list(dict.fromkeys(k for k in keys if k not in found))
        if missing:
            fresh = embed(missing)
            with self._lock:
                for key, vector in zip(missing, fresh):
                    vector = np.array(vector, dtype=np.float32)  # our own copy, never a view into a batch
                    vector.setflags(write=False)  # shared by every caller that hits it
                    found[key] = self._vectors[key] = vector
                while len(self._vectors) > self.size:
                    self._vectors.popitem(last=False)
        self.hits += len(keys) - len(missing)
        self.misses += len(missing)
        return np.stack([found[k] for k in keys]) if keys else np.zeros((0, 0), dtype=np.float32)
