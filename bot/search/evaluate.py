"""Retrieval evaluation: R@1, R@5 and MRR@10 per language and overall.

A case is correct at rank r when the hit at rank r is any of its `expected` codes.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..i18n import SUPPORTED


class EvalFileError(ValueError):
    pass


@dataclass(frozen=True)
class Case:
    query: str
    lang: str
    expected: tuple[str, ...]


def read_eval_file(path: Path) -> list[Case]:
    path = Path(path)
    if not path.exists():
        raise EvalFileError(f"{path}: no such file")
    cases: list[Case] = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
            query, lang, expected = d["query"], d["lang"], d["expected"]
        except (json.JSONDecodeError, KeyError, TypeError) as e:
            raise EvalFileError(f"{path}:{lineno}: expected {{\"query\", \"lang\", \"expected\"}} ({e})") from e
        if lang not in SUPPORTED or not isinstance(expected, list) or not expected or not str(query).strip():
            raise EvalFileError(f"{path}:{lineno}: bad lang, empty query or empty expected list")
        cases.append(Case(str(query), lang, tuple(str(c) for c in expected)))
    if not cases:
        raise EvalFileError(f"{path}: no cases")
    return cases


def read_message_file(path: Path) -> list[str]:
    """Messages one per line, `#` comments and blank lines skipped (e.g. off-topic messages that ask
    for no procedure: tests/data/search_offtopic.txt)."""
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


@dataclass
class EvalResult:
    ranks: list[tuple[Case, int | None, list[str]]] = field(default_factory=list)  # rank of first right hit
    counts: dict[str, int] = field(default_factory=dict)

    @staticmethod
    def _scores(ranks: list[int | None]) -> dict[str, float]:
        n = len(ranks) or 1
        return {
            "r1": sum(1 for r in ranks if r == 1) / n,
            "r5": sum(1 for r in ranks if r is not None and r <= 5) / n,
            "mrr10": sum(1.0 / r for r in ranks if r is not None and r <= 10) / n,
        }

    def metrics(self) -> dict:
        per_lang = {}
        for lang in SUPPORTED:
            ranks = [r for c, r, _ in self.ranks if c.lang == lang]
            if ranks:
                per_lang[lang] = self._scores(ranks)
        return {"overall": self._scores([r for _, r, _ in self.ranks]), "per_lang": per_lang}

    def misses(self) -> list[dict]:
        return [{"query": c.query, "lang": c.lang, "expected": list(c.expected), "rank": r, "got": got[:3]}
                for c, r, got in self.ranks if r != 1]

    def to_record(self, service) -> dict:
        return {"metrics": self.metrics(), "embedder": service.embedder.id,
                "ranking": asdict(service.ranking), "procedures": len(service.catalogue),
                "misses": self.misses()}


def evaluate(service, cases: list[Case]) -> EvalResult:
    result = EvalResult()
    for case in cases:
        got = [h.code for h in service.search(case.query, lang=case.lang, top_k=10)]
        rank = next((i for i, code in enumerate(got, 1) if code in case.expected), None)
        result.ranks.append((case, rank, got))
        result.counts[case.lang] = result.counts.get(case.lang, 0) + 1
    return result
