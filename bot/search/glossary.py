"""Cross-lingual query expansion with an operator-edited glossary (`data/glossary.yml`).

The national catalogue is Vietnamese only; e5-small alone matches a Korean or English question to a
Vietnamese-only procedure name poorly. Administrative vocabulary is small and stable, so a glossary
of domain terms ("building permit" / "建筑许可" / "건축허가" / "建築許可" → "giấy phép xây dựng") lets a
foreign question also search with the Vietnamese words the procedure names use.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ..i18n.script import clean, has_vietnamese_marks, strip_diacritics
from ..yamlfiles import read_yaml

FOREIGN = ("en", "zh", "ko", "ja")
# Everyday Vietnamese ("sổ đỏ", "cà vẹt", "bằng lái") for the official words of procedure names: citizens
# rarely type the names' wording, and the national import has no aliases of its own.
COLLOQUIAL = "colloquial"


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


def _space(lang: str) -> str:
    """Which form of the question an entry of this kind is matched on."""
    if lang in ("en", COLLOQUIAL):
        return "text"
    return "plain" if lang == "plain" else "squashed"


def _english_pattern(term: str) -> str:
    """An English term with the inflections people type on its last word ("extend" also meets "extends",
    "extended", "extending"; "issue" meets "issuing"), between ASCII word edges, so "TRC" is still found
    inside "TRCの更新" or "IRC변경". Short words only take a plural ("id" must not meet "idea")."""
    head, _, last = term.rpartition(" ")
    forms = [rf"{re.escape(last)}(?:s|es)?"]
    if last.isalpha() and len(last) >= 4:
        forms.append(rf"{re.escape(last)}(?:ed|d|ing)")
        if last.endswith("e"):
            forms.append(rf"{re.escape(last[:-1])}(?:ing|ed)")
    prefix = re.escape(f"{head} ") if head else ""
    return rf"(?<![a-z0-9]){prefix}(?:{'|'.join(forms)})(?![a-z0-9])"


def _english_anchor(term: str) -> str:
    """The part of an English term every inflected match contains: all of it but the last word's tail."""
    head, _, last = term.rpartition(" ")
    stem = last[:3] if last.isalpha() and len(last) >= 4 else last
    return f"{head} {stem}" if head else stem


def _words(text: str) -> list[str]:
    """Words between spaces and commas: a needle (" term " or " term,") can only be in a text that
    holds the needle's first word as one of these."""
    return [w for w in re.split(r"[\s,]+", text) if w]


def _heads(text: str) -> set[str]:
    """Every one- and two-character piece of `text`: a term can only occur where its head does."""
    return {*text, *(text[i:i + 2] for i in range(len(text) - 1))}


@dataclass(frozen=True)
class Glossary:
    # (kind, regex source or squashed term, Vietnamese terms, literal every match contains, index in `raw`)
    entries: tuple[tuple[str, str, tuple[str, ...], str, int], ...] = ()
    # (Vietnamese terms, {language: foreign terms}) as written in the file
    raw: tuple[tuple[tuple[str, ...], dict], ...] = ()
    fingerprint: str = ""
    # For foreign_terms: (" term " / " term," needles of the Vietnamese terms, foreign terms in order).
    # Precomputed: the index build asks this of every procedure name.
    needles: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = ()
    # (space, head) -> indices into `entries` whose literal starts with that head, space being the text
    # an entry is matched on ("text", "plain", "squashed"). A query only tries the entries whose head it
    # contains: trying all ~5,600 entries was about 1.7 ms of every search.
    heads: dict = field(default=None, compare=False, repr=False)  # type: ignore[assignment]
    # For foreign_terms: first word of a needle -> indices into `needles` (a name only tries the entries
    # whose first word it holds: trying all of them for every procedure was 1.6 s of each index build).
    needle_heads: dict = field(default=None, compare=False, repr=False)  # type: ignore[assignment]
    # Regexes compiled on first use: compiling all ~2,400 at load was 0.8 s of every process start.
    _compiled: dict = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        heads: dict[tuple[str, str], list[int]] = {}
        for i, (lang, _, _, anchor, _) in enumerate(self.entries):
            if anchor:
                heads.setdefault((_space(lang), anchor[:2]), []).append(i)
        object.__setattr__(self, "heads", heads)
        needle_heads: dict[str, list[int]] = {}
        for i, (needles, _) in enumerate(self.needles):
            for first in {_words(n)[0] for n in needles if _words(n)}:
                needle_heads.setdefault(first, []).append(i)
        object.__setattr__(self, "needle_heads", needle_heads)

    def _matcher(self, i: int) -> re.Pattern:
        pattern = self._compiled.get(i)
        if pattern is None:
            pattern = self._compiled[i] = re.compile(self.entries[i][1])
        return pattern

    @property
    def texts(self) -> list[str]:
        """The text each entry of `raw` expands a question with: its Vietnamese terms, as `expand` joins
        them. The index embeds these once (`group_vectors`), so a search never runs the model on them."""
        return [" ".join(vi) for vi, _ in self.raw]

    @classmethod
    def load(cls, path: Path) -> "Glossary":
        path = Path(path)
        if not path.exists():
            return cls()
        try:
            data = read_yaml(path) or []
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
            group = len(raw)
            raw.append((vi, {lang: tuple(str(t) for t in entry.get(lang) or ()) for lang in (*FOREIGN, COLLOQUIAL)}))
            for term in entry.get(COLLOQUIAL) or ():
                term = clean(str(term)).lower()
                if not term:
                    continue
                entries.append((COLLOQUIAL, rf"(?<!\w){re.escape(term)}(?!\w)", vi, term, group))
                plain = strip_diacritics(term)
                # The unaccented form meets only a query typed without any diacritics, and only for
                # words of two syllables or more ("mờ" unaccented is also the "mo" of "xe mo to").
                if plain != term and " " in term:
                    entries.append(("plain", rf"(?<!\w){re.escape(plain)}(?!\w)", vi, plain, group))
            for lang in FOREIGN:
                for term in entry.get(lang) or ():
                    term = clean(str(term)).lower()
                    if not term:
                        continue
                    if lang == "en":
                        entries.append((lang, _english_pattern(term), vi, _english_anchor(term), group))
                    else:
                        entries.append((lang, _squash(term), vi, _squash(term), group))
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        needles = tuple((tuple(n for t in vi for n in (f" {t.lower()} ", f" {t.lower()},")),
                         tuple(t for terms in foreign.values() for t in terms)) for vi, foreign in raw)
        return cls(tuple(entries), tuple(raw), digest, needles)

    def expand(self, query: str) -> list[str]:
        """Vietnamese terms for the foreign or colloquial Vietnamese terms found in `query`.

        The longest match wins: a term found only inside a longer matched term ("임시" and "거주" inside
        "임시거주증", "temporary" inside "temporary residence card") adds nothing of its own, so the
        pieces of a compound do not pull the search towards other procedures."""
        return self.terms_of(self.expand_groups(query))

    def terms_of(self, groups: list[int]) -> list[str]:
        """The Vietnamese terms of the entries `groups` (from `expand_groups`), each once, in order."""
        out: list[str] = []
        for group in groups:
            out += [t for t in self.raw[group][0] if t not in out]
        return out

    def expand_groups(self, query: str) -> list[int]:
        """The entries of `raw` whose terms `query` holds (as `expand` reads them), in file order."""
        text = clean(query).lower()
        squashed = _squash(text)
        # Same length as `text` (one letter per letter), so spans of both live in one space.
        plain = strip_diacritics(text) if not has_vietnamese_marks(text) else None
        targets = {"text": text, "squashed": squashed, "plain": plain}
        candidates: list[int] = []
        for space, target in targets.items():
            if target:
                for head in _heads(target):
                    candidates += self.heads.get((space, head), ())
        found: list[tuple[str, list[tuple[int, int]], int]] = []
        for i in sorted(set(candidates)):
            lang, matcher, _, anchor, group = self.entries[i]
            space = _space(lang)
            target = targets[space]
            # The literal test first: a regex per entry on every search cost milliseconds.
            if anchor not in target:
                continue
            if space == "squashed":
                spans = _occurrences(matcher, squashed)
            else:
                spans = [m.span() for m in self._matcher(i).finditer(target)]
                space = "text"  # `plain` is `text` without its marks: the same positions
            if spans:
                found.append((space, spans, group))
        out: list[int] = []
        for space, spans, group in found:
            def covered(span: tuple[int, int]) -> bool:
                return any(sp == space and o[0] <= span[0] and span[1] <= o[1] and o[1] - o[0] > span[1] - span[0]
                           for sp, others, _ in found for o in others)
            if all(covered(span) for span in spans):
                continue
            if group not in out:
                out.append(group)
        return out

    def foreign_terms(self, vietnamese: str) -> list[str]:
        """Foreign and colloquial equivalents of the glossary terms found in a Vietnamese text (index-time
        expansion: lets a question in English, Chinese, Korean, Japanese or everyday Vietnamese meet a
        Vietnamese-only procedure)."""
        text = f" {clean(vietnamese).lower()} "
        out: list[str] = []
        seen: set[str] = set()
        candidates = sorted({i for w in set(_words(text)) for i in self.needle_heads.get(w, ())})
        for needles, foreign in (self.needles[i] for i in candidates):
            if any(n in text for n in needles):
                for t in foreign:
                    if t not in seen:
                        seen.add(t)
                        out.append(t)
        return out


def load_glossary(settings) -> Glossary:
    return Glossary.load(Path(settings.home) / "data" / "glossary.yml")
