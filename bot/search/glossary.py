"""Cross-lingual query expansion with an operator-edited glossary (`data/glossary.yml`).

The national catalogue is Vietnamese only; e5-small alone matches a Korean or English question to a
Vietnamese-only procedure name poorly. Administrative vocabulary is small and stable, so a glossary
of domain terms ("building permit" / "建筑许可" / "건축허가" / "建築許可" → "giấy phép xây dựng") lets a
foreign question also search with the Vietnamese words the procedure names use.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from ..i18n.script import clean

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
FOREIGN = ("en", "zh", "ko", "ja")


class GlossaryError(ValueError):
    pass


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text.lower())


def _occurrences(term: str, text: str) -> list[tuple[int, int]]:
    # str.find, not re.finditer(re.escape(term)): a regex per glossary term overflowed re's cache and
    # recompiled hundreds of patterns on every search (py-spy: most of the action server's CPU).
    spans, start = [], text.find(term)
    while start >= 0:
        spans.append((start, start + len(term)))
        start = text.find(term, start + 1)
    return spans


@dataclass(frozen=True)
class Glossary:
    # (language, pattern or squashed term, Vietnamese terms)
    entries: tuple[tuple[str, object, tuple[str, ...]], ...] = ()
    # (Vietnamese terms, {language: foreign terms}) as written in the file
    raw: tuple[tuple[tuple[str, ...], dict], ...] = ()
    fingerprint: str = ""

    @classmethod
    def load(cls, path: Path) -> "Glossary":
        path = Path(path)
        if not path.exists():
            return cls()
        try:
            data = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader) or []
        except yaml.YAMLError as e:
            raise GlossaryError(f"{path}: not valid YAML ({e})") from e
        if not isinstance(data, list):
            raise GlossaryError(f"{path}: expected a list of entries")
        entries = []
        raw = []
        for i, entry in enumerate(data, 1):
            if not isinstance(entry, dict) or not entry.get("vi"):
                raise GlossaryError(f"{path}: entry {i} needs a 'vi' list")
            vi = tuple(str(t) for t in entry["vi"])
            raw.append((vi, {lang: tuple(str(t) for t in entry.get(lang) or ()) for lang in FOREIGN}))
            for lang in FOREIGN:
                for term in entry.get(lang) or ():
                    term = clean(str(term)).lower()
                    if not term:
                        continue
                    if lang == "en":
                        # ASCII word edges, so "TRC" is still found inside "TRCの更新" or "IRC변경".
                        entries.append((lang, re.compile(rf"(?<![a-z0-9]){re.escape(term)}s?(?![a-z0-9])"), vi))
                    else:
                        entries.append((lang, _squash(term), vi))
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        return cls(tuple(entries), tuple(raw), digest)

    def expand(self, query: str) -> list[str]:
        """Vietnamese terms for the foreign terms found in `query` (any foreign language).

        The longest match wins: a term found only inside a longer matched term ("임시" and "거주" inside
        "임시거주증", "temporary" inside "temporary residence card") adds nothing of its own, so the
        pieces of a compound do not pull the search towards other procedures."""
        text = clean(query).lower()
        squashed = _squash(text)
        found: list[tuple[str, list[tuple[int, int]], tuple[str, ...]]] = []
        for lang, matcher, vi in self.entries:
            if lang == "en":
                spans = [m.span() for m in matcher.finditer(text)] if matcher.search(text) else []
                space = "en"
            else:
                spans = _occurrences(matcher, squashed) if matcher and matcher in squashed else []
                space = "squashed"
            if spans:
                found.append((space, spans, vi))
        out: list[str] = []
        for space, spans, vi in found:
            def covered(span: tuple[int, int]) -> bool:
                return any(sp == space and o[0] <= span[0] and span[1] <= o[1] and o[1] - o[0] > span[1] - span[0]
                           for sp, others, _ in found for o in others)
            if all(covered(span) for span in spans):
                continue
            out += [t for t in vi if t not in out]
        return out

    def foreign_terms(self, vietnamese: str) -> list[str]:
        """Foreign equivalents of the glossary terms found in a Vietnamese text (index-time expansion:
        lets a question in English, Chinese, Korean or Japanese meet a Vietnamese-only procedure)."""
        text = f" {clean(vietnamese).lower()} "
        out: list[str] = []
        for vi, foreign in self.raw:
            if any(f" {t.lower()} " in text or f" {t.lower()}," in text for t in vi):
                for terms in foreign.values():
                    out += [t for t in terms if t not in out]
        return out


def load_glossary(settings) -> Glossary:
    return Glossary.load(Path(settings.home) / "data" / "glossary.yml")
