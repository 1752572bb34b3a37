"""Search for Vietnamese typed without accents: as typed vs with the accents the NLU restores.

Usage: .venv/bin/python bench/accent_search.py [FILE.jsonl]   (default: the dev set's Vietnamese questions)

Every Vietnamese question is stripped of its accents, then searched as typed (stripped), as the NLU
restores it (the restorer built as training builds it: data/procedures and the training examples of
data/nlu; the actions search with that text, parse data `thutuc_accented_text`) and through
`SearchService.search`, which restores with its own restorer (bot.search.accents: the NLU's corpus
plus the catalogue's names) and searches the typed and the restored text together (the CLI and
`thutuc eval retrieval`). Prints R@1 / R@5 for each, and for the accented original.
"""

from __future__ import annotations

import sys
from pathlib import Path

from bot.config import PROJECT_ROOT, Settings
from bot.i18n.accents import build_restorer, nlu_examples
from bot.i18n.script import strip_diacritics
from bot.search import SearchService
from bot.search.evaluate import read_eval_file


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else PROJECT_ROOT / "tests" / "data" / "retrieval_dev.jsonl"
    restorer = build_restorer(PROJECT_ROOT / "data" / "procedures", nlu_examples(PROJECT_ROOT / "data" / "nlu"))
    service = SearchService(Settings.from_env())
    cases = [c for c in read_eval_file(path) if c.lang == "vi"]
    hits = {"accented": [0, 0], "stripped": [0, 0], "NLU": [0, 0], "search()": [0, 0]}
    changed = 0
    for case in cases:
        stripped = strip_diacritics(case.query)
        restored = restorer.restore(stripped)
        changed += restored != stripped
        tops = {kind: [code for code, _ in service.rank(query, "vi")[:5]]  # rank(): no restoring of its own
                for kind, query in (("accented", case.query), ("stripped", stripped), ("NLU", restored))}
        tops["search()"] = [h.code for h in service.search(stripped, lang="vi", top_k=5)]
        for kind, top in tops.items():
            hits[kind][0] += top[0] in case.expected
            hits[kind][1] += any(code in case.expected for code in top)
    print(f"{len(cases)} Vietnamese questions from {path.name}; the restorer changed {changed} stripped ones")
    for kind, (r1, r5) in hits.items():
        print(f"{kind:9s} R@1 {r1 / len(cases):.3f}  R@5 {r5 / len(cases):.3f}")


if __name__ == "__main__":
    main()
