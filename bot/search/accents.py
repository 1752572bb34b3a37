"""The accent restorer search uses for Vietnamese questions typed without any accent.

e5 reads "lam giay khai sinh" far from "làm giấy khai sinh", and BM25 loses the accented name words:
on the dev set's Vietnamese questions stripped of their accents, R@1 fell from 0.85 to 0.65; restored
first, 0.83 (`bench/accent_search.py`). The assistant's NLU restores messages itself and the actions
search with that text; this restorer serves every other caller of `SearchService.search` (the CLI,
`thutuc eval retrieval`) the same way.

Its corpus is the NLU's (the curated procedure files and the training examples of data/nlu, built the
same way, bot.i18n.accents.build_restorer) plus the Vietnamese name of every procedure in the
catalogue (imported ones included). Building it takes a few seconds, so it is kept in the index folder
(`accents.json`) under a fingerprint of its inputs and of the restorer's code, and rebuilt only when
one of them changed.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path

from ..catalogue import Catalogue
from ..config import Settings
from ..i18n import accents
from ..i18n.accents import AccentRestorer, build_restorer, nlu_examples

log = logging.getLogger(__name__)
FILE = "accents.json"


def _fingerprint(folders: list[Path], names: list[str]) -> str:
    digest = hashlib.sha256(Path(accents.__file__).read_bytes())
    for folder in folders:
        for path in sorted(folder.glob("*.yml")) if folder.is_dir() else []:
            digest.update(f"{folder.name}/{path.name}".encode())
            digest.update(path.read_bytes())
    for name in names:
        digest.update(name.encode())
        digest.update(b"\0")
    return digest.hexdigest()


def load_search_restorer(settings: Settings, catalogue: Catalogue) -> AccentRestorer:
    """The restorer of this catalogue: read from the index folder when its inputs are unchanged, else
    built and saved there (a folder that cannot be written only costs the rebuild next time)."""
    procedures_dir = Path(settings.procedures_dir)
    nlu_dir = Path(settings.home) / "data" / "nlu"
    names = sorted({p.name.get("vi", "") for p in catalogue} - {""})
    fingerprint = _fingerprint([procedures_dir, nlu_dir], names)
    path = Path(settings.index_dir) / FILE
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
        if stored.get("fingerprint") == fingerprint:
            return AccentRestorer.from_json(stored["model"])
    except (OSError, ValueError, KeyError, TypeError):
        pass  # missing or damaged: rebuilt below
    restorer = build_restorer(procedures_dir if procedures_dir.is_dir() else None, nlu_examples(nlu_dir), extra=names)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"fingerprint": fingerprint, "model": restorer.to_json()}, ensure_ascii=False),
                       encoding="utf-8")
        os.replace(tmp, path)
    except OSError as e:
        log.warning("search accent restorer not saved (%s): it is rebuilt at the next start", e)
    return restorer
