"""Fit the search ranking weights (learning to rank) on the dev set, and estimate them honestly.

Usage: .venv/bin/python bench/fit_ranking.py [--l2 L2] [--grid] [--write] [--cache FILE.pkl] [FILE.jsonl ...]
(about 2 minutes: most of it computing the features; `--cache` keeps them for the next run, delete the
file after any change to the index, the glossary or the features.)

For each dev question the service's candidates and their features (bot.search.engine.FEATURES: each
ranked list's reciprocal rank and raw score, the glossary terms in the name, the share of the
question's words the procedure holds, and the priors) are computed once. A linear score w · features is fitted with a listwise logistic loss (softmax over all the question's candidates, the
right ones as the target; several right codes share the probability), L2-regularised on standardised
features, with each weight's sign fixed to the direction its feature was designed for (a list's
evidence and a bonus count for, a penalty against): with a few hundred questions that keeps the fit
from learning accidents of the dev set. The L2 strength (DEFAULT_L2) was chosen by cross-validation
(`--grid`); the printed weights are fitted on all questions.

Printed: 5-fold cross-validated R@1 / R@5 per language for the hand-set weights and the learned ones
(the folds group questions by procedure, so the parallel questions about one procedure in five
languages never sit on both sides), then the weights fitted on all questions. `--write` puts those in
LEARNED_WEIGHTS in bot/search/engine.py. Then refit the confidence: bench/calibrate.py.

Never give it the held-out set (bench/retrieval_holdout.jsonl): that one only checks the result.
"""

from __future__ import annotations

import argparse
import pickle
import re
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
from scipy.optimize import minimize
from scipy.special import logsumexp

from bot.config import PROJECT_ROOT, Settings
from bot.i18n import SUPPORTED
from bot.search import SearchService
from bot.search.engine import FEATURES
from bot.search.evaluate import read_eval_file

DEV = PROJECT_ROOT / "tests" / "data" / "retrieval_dev.jsonl"
ENGINE = PROJECT_ROOT / "bot" / "search" / "engine.py"
DEFAULT_L2 = 3.0
FOLDS = 5
# Features that can only count against a candidate; all others only for it.
PENALTIES = {"citizen_twin", "unasked_action", "first_time_unasked"}


class Query:
    """One question: its language, candidates, feature rows and which candidates are right."""

    def __init__(self, lang: str, codes: list[str], x: np.ndarray, expected: tuple[str, ...]):
        self.lang, self.codes, self.x = lang, codes, x
        self.right = np.array([c in expected for c in codes], dtype=bool)


def collect(service: SearchService, paths: list[Path]) -> tuple[list[Query], list[tuple[str, ...]]]:
    queries, expected = [], []
    for path in paths:
        for case in read_eval_file(path):
            codes, x = service.features(case.query, case.lang)
            queries.append(Query(case.lang, codes, x, case.expected))
            expected.append(case.expected)
    return queries, expected


def procedure_groups(expected: list[tuple[str, ...]]) -> np.ndarray:
    """A group id per question: questions sharing any expected code are one group (union-find)."""
    parent: dict[str, str] = {}

    def find(c: str) -> str:
        while parent.setdefault(c, c) != c:
            parent[c] = parent[parent[c]]
            c = parent[c]
        return c

    for codes in expected:
        for c in codes[1:]:
            parent[find(c)] = find(codes[0])
    roots = [find(codes[0]) for codes in expected]
    ids = {r: i for i, r in enumerate(dict.fromkeys(roots))}
    return np.array([ids[r] for r in roots])


def folds(groups: np.ndarray, k: int = FOLDS) -> list[np.ndarray]:
    """Questions split into k folds of whole groups, balanced by size (deterministic: largest first)."""
    sizes = np.bincount(groups)
    load, fold_of = np.zeros(k), {}
    for g in sorted(range(len(sizes)), key=lambda g: (-sizes[g], g)):
        f = int(np.argmin(load))
        fold_of[g] = f
        load[f] += sizes[g]
    of = np.array([fold_of[g] for g in groups])
    return [np.flatnonzero(of == f) for f in range(k)]


def fit(queries: list[Query], l2: float = DEFAULT_L2) -> np.ndarray:
    """Weights (in the features' own units) minimising the listwise logistic loss plus l2 · |w|² / 2 on
    standardised features. Questions whose right procedure is no candidate teach nothing and are skipped."""
    train = [q for q in queries if q.right.any()]
    rows = np.vstack([q.x for q in train])
    std = rows.std(axis=0)
    std[std == 0] = 1.0
    xs = [q.x / std for q in train]
    rights = [q.right for q in train]

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        total, grad = 0.5 * l2 * float(w @ w), l2 * w
        for x, right in zip(xs, rights):
            s = x @ w
            p_all = np.exp(s - logsumexp(s))
            p_right = np.exp(s[right] - logsumexp(s[right]))
            total += logsumexp(s) - logsumexp(s[right])
            grad = grad + p_all @ x - p_right @ x[right]
        return total, grad

    bounds = [(None, 0.0) if f in PENALTIES else (0.0, None) for f in FEATURES]
    start = np.zeros(len(FEATURES))
    result = minimize(loss, start, jac=True, method="L-BFGS-B", bounds=bounds)
    return result.x / std


def ranks(queries: list[Query], w: np.ndarray) -> list[int | None]:
    """The rank of each question's first right candidate under weights `w` (None: not a candidate)."""
    out = []
    for q in queries:
        order = np.argsort(-(q.x @ w), kind="stable")
        hit = np.flatnonzero(q.right[order])
        out.append(int(hit[0]) + 1 if len(hit) else None)
    return out


def table(queries: list[Query], got: list[int | None]) -> dict[str, tuple[float, float]]:
    out = {}
    for lang in (*SUPPORTED, "all"):
        r = [g for q, g in zip(queries, got) if lang in ("all", q.lang)]
        if r:
            out[lang] = (sum(g == 1 for g in r) / len(r), sum(g is not None and g <= 5 for g in r) / len(r))
    return out


def show(title: str, metrics: dict[str, tuple[float, float]]) -> None:
    cells = "  ".join(f"{lang} {r1:.3f}/{r5:.3f}" for lang, (r1, r5) in metrics.items())
    print(f"{title:28s} {cells}")


def cross_validate(queries: list[Query], groups: np.ndarray, l2: float) -> list[int | None]:
    got: list[int | None] = [None] * len(queries)
    for test in folds(groups):
        held = set(test.tolist())
        w = fit([q for i, q in enumerate(queries) if i not in held], l2)
        for i, r in zip(test, ranks([queries[i] for i in test], w)):
            got[i] = r
    return got


def write_weights(w: np.ndarray, path: Path = ENGINE) -> None:
    rounded = [float(f"{v:.6g}") + 0.0 for v in w]  # six digits; + 0.0 turns -0.0 into 0.0
    body = "".join(f"    (\"{f}\", {v!r}),\n" for f, v in zip(FEATURES, rounded))
    block = f"LEARNED_WEIGHTS: tuple[tuple[str, float], ...] = (\n{body})\n"
    text = path.read_text(encoding="utf-8")
    pattern = re.compile(r"(# BEGIN weights fitted by bench/fit_ranking\.py[^\n]*\n).*?(# END weights fitted)", re.S)
    if not pattern.search(text):
        sys.exit(f"{path}: no LEARNED_WEIGHTS block")
    path.write_text(pattern.sub(lambda m: m.group(1) + block + m.group(2), text), encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("files", nargs="*", type=Path, default=[DEV])
    ap.add_argument("--l2", type=float, default=DEFAULT_L2)
    ap.add_argument("--grid", action="store_true", help="cross-validate a few L2 strengths too")
    ap.add_argument("--write", action="store_true", help="write the weights into bot/search/engine.py")
    ap.add_argument("--cache", type=Path, help="reuse / save the computed features (a pickle)")
    args = ap.parse_args()
    if any("holdout" in p.name for p in args.files):
        sys.exit("never fit on the held-out set")

    if args.cache and args.cache.exists():
        rows, expected = pickle.loads(args.cache.read_bytes())
        queries = [Query(lang, codes, x, exp) for (lang, codes, x), exp in zip(rows, expected)]
    else:
        # Features do not depend on the weights, except that the hand-set ones switch every list on.
        service = SearchService(Settings.from_env())
        service = SearchService(service.settings, catalogue=service.catalogue, embedder=service.embedder,
                                ranking=replace(service.ranking, learned=()))
        queries, expected = collect(service, args.files)
        if args.cache:
            rows = [(q.lang, q.codes, q.x) for q in queries]
            args.cache.write_bytes(pickle.dumps((rows, expected)))
    groups = procedure_groups(expected)
    hand = _hand_weights()
    print(f"{len(queries)} questions, {groups.max() + 1} procedure groups, {FOLDS} folds")
    show("hand-set (tuned on all dev)", table(queries, ranks(queries, hand)))
    for l2 in sorted({args.l2, *((0.1, 0.3, 1.0, 3.0, 10.0) if args.grid else ())}):
        show(f"learned, {FOLDS}-fold CV, l2={l2:g}", table(queries, cross_validate(queries, groups, l2)))
    w = fit(queries, args.l2)
    show("learned, fitted on all dev", table(queries, ranks(queries, w)))
    for f, v in zip(FEATURES, w):
        print(f"  {f:20s} {v: .6g}")
    if args.write:
        write_weights(w)
        print(f"written to {ENGINE.relative_to(PROJECT_ROOT)}; now refit the confidence: bench/calibrate.py")


def _hand_weights() -> np.ndarray:
    from bot.search import Ranking

    return Ranking(learned=()).weights()


if __name__ == "__main__":
    main()
