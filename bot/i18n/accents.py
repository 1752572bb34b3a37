"""Vietnamese diacritic restoration ("lam giay khai sinh o dau" -> "làm giấy khai sinh ở đâu"): a
syllable bigram model, Rasa-free so that both the NLU (bot.nlu.accents) and search (bot.search.accents)
use it.

- The model is built from the project's own Vietnamese text (procedure files, catalogue names, and for
  the NLU the accented training examples); nothing is downloaded and `../shared` is not used. English
  word counts keep English messages out.
- Each plain syllable can become any accented syllable of the corpus that strips to it (and stays as
  it is when the corpus has it unaccented); Viterbi picks the sequence with the best interpolated
  bigram/unigram score.
- Words the model does not know (English words, codes, numbers) are left alone and cut the context.
- Messages with any diacritic or an English apostrophe ("that's"), messages where fewer than
  `min_known` of the words are known syllables, and messages whose words are on the whole more
  frequent in the English text than (unaccented) in the Vietnamese text are returned unchanged.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

from ..yamlfiles import read_yaml
from .script import HAN, HANGUL, KANA, has_vietnamese_marks, strip_diacritics

_WORD = re.compile(r"[^\W\d_]+")
# A sentence break for the bigram counts: punctuation other than spaces, apostrophes and hyphens.
_BREAK = re.compile(r"[.,;:!?()\[\]{}\"“”/|\n\t•–—]+")
_APOSTROPHE = re.compile(r"[^\W\d_]['’][^\W\d_]")
_OTHER_SCRIPT = re.compile(rf"[{HAN}{KANA}{HANGUL}]")
_START = "<s>"
_END = "</s>"


def _plain(word: str) -> str:
    return strip_diacritics(word)


def _sentences(text: str) -> Iterable[List[str]]:
    text = unicodedata.normalize("NFC", text).lower()
    for part in _BREAK.split(text):
        words = _WORD.findall(part)
        if words:
            yield words


def corpus_from_procedures(folder: Path) -> Tuple[List[str], List[str]]:
    """The procedure files' accented strings (any field: names, aliases, sections, facts) and their
    English strings (fields under an `en` key)."""
    vi: List[str] = []
    en: List[str] = []

    def walk(node, english: bool = False) -> None:
        if isinstance(node, str):
            if english:
                en.append(node)
            elif has_vietnamese_marks(node):
                vi.append(node)
        elif isinstance(node, dict):
            for key, value in node.items():
                walk(value, english or key == "en")
        elif isinstance(node, list):
            for value in node:
                walk(value, english)

    for path in sorted(Path(folder).glob("*.yml")):
        walk(read_yaml(path))
    return vi, en


class AccentRestorer:
    """A syllable bigram model over accented Vietnamese text, decoded with Viterbi."""

    def __init__(self, unigrams: Dict[str, int], bigrams: Dict[str, int], english: Dict[str, int] = None,
                 min_known: float = 0.6, weight: float = 0.6):
        self.unigrams = dict(unigrams)
        self.english = dict(english or {})  # word -> count in the project's English text
        self.bigrams = dict(bigrams)  # "w1 w2" -> count
        self.min_known = min_known
        self.weight = weight  # the bigram's share in the interpolation
        self.total = sum(self.unigrams.values()) or 1
        self.candidates: Dict[str, List[str]] = {}
        for word in self.unigrams:
            if word not in (_START, _END):
                self.candidates.setdefault(_plain(word), []).append(word)
        # Only plain keys that have at least one accented form are worth restoring or count as Vietnamese.
        self.candidates = {k: v for k, v in self.candidates.items() if any(w != k for w in v)}
        plain: Counter = Counter()
        for word, n in self.unigrams.items():
            if word not in (_START, _END):
                plain[_plain(word)] += n
        words = set(plain) | set(self.english)
        vi_total = sum(plain.values()) + 0.5 * len(words)
        en_total = sum(self.english.values()) + 0.5 * len(words)
        # How much likelier a plain word is in the Vietnamese text than in the English text (> 0: Vietnamese).
        self._lean = {w: math.log((plain.get(w, 0) + 0.5) / vi_total) - math.log((self.english.get(w, 0) + 0.5) / en_total)
                      for w in words}
        self._context: Dict[str, int] = Counter()
        for pair, n in self.bigrams.items():
            self._context[pair.split(" ", 1)[0]] += n

    @classmethod
    def build(cls, texts: Iterable[str], english_texts: Iterable[str] = (), **kwargs) -> "AccentRestorer":
        unigrams: Counter = Counter()
        bigrams: Counter = Counter()
        for text in texts:
            if not has_vietnamese_marks(text):
                continue  # unaccented text would teach the model to leave words unaccented
            for words in _sentences(text):
                unigrams.update(words)
                seq = [_START] + words + [_END]
                bigrams.update(f"{a} {b}" for a, b in zip(seq, seq[1:]))
        english = Counter(w for text in english_texts if not has_vietnamese_marks(text)
                          for w in _WORD.findall(text.lower()))
        return cls(unigrams, bigrams, english, **kwargs)

    def to_json(self) -> str:
        return json.dumps({"unigrams": self.unigrams, "bigrams": self.bigrams, "english": self.english,
                           "min_known": self.min_known, "weight": self.weight}, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> "AccentRestorer":
        data = json.loads(text)
        return cls(data["unigrams"], data["bigrams"], data.get("english"), data.get("min_known", 0.6),
                   data.get("weight", 0.6))

    # -- decoding -------------------------------------------------------------------------------

    def _logp(self, prev: str, word: str) -> float:
        vocab = len(self.unigrams) + 1
        uni = (self.unigrams.get(word, 0) + 0.1) / (self.total + 0.1 * vocab)
        ctx = self._context.get(prev, 0)
        bi = self.bigrams.get(f"{prev} {word}", 0) / ctx if ctx else 0.0
        return math.log(self.weight * bi + (1 - self.weight) * uni)

    def _decode(self, words: Sequence[str]) -> List[str]:
        """The best accented sequence for a run of known plain syllables (lower case)."""
        beams: List[Tuple[float, List[str]]] = [(0.0, [_START])]
        for word in words:
            options = self.candidates[word]
            nxt: Dict[str, Tuple[float, List[str]]] = {}
            for cand in options:
                best = max(((score + self._logp(path[-1], cand), path) for score, path in beams),
                           key=lambda x: x[0])
                nxt[cand] = (best[0], best[1] + [cand])
            beams = list(nxt.values())
        return max(beams, key=lambda x: x[0] + self._logp(x[1][-1], _END))[1][1:]

    def looks_vietnamese(self, text: str) -> bool:
        words = [w.lower() for w in _WORD.findall(text)]
        if not words or has_vietnamese_marks(text) or _APOSTROPHE.search(text):
            return False  # accents already there, or English ("don't", "that's")
        # Each word leans Vietnamese or English by its frequency in the project's Vietnamese text (plain
        # forms) against its English text; unknown words lean neither way.
        lean = sum(self._lean.get(w, 0.0) for w in words)
        known = sum(w in self.candidates or w in self.unigrams for w in words)
        return lean > 0 and any(w in self.candidates for w in words) and known / len(words) >= self.min_known

    def restore(self, text: str) -> str:
        """`text` with accents restored, or `text` itself (any mark already there, or not Vietnamese)."""
        if not text or not self.looks_vietnamese(text):
            return text
        # Runs of known syllables separated only by spaces are decoded together; anything else
        # (an unknown word, punctuation) starts a new context.
        runs: List[List[re.Match]] = [[]]
        for m in _WORD.finditer(text):
            if m.group().lower() not in self.candidates:
                runs.append([])
                continue
            if runs[-1] and text[runs[-1][-1].end():m.start()].strip():
                runs.append([])
            runs[-1].append(m)
        out: List[str] = []
        pos = 0
        for run in runs:
            if not run:
                continue
            for m, new in zip(run, self._decode([m.group().lower() for m in run])):
                out.append(text[pos:m.start()])
                out.append(_case_like(m.group(), new))
                pos = m.end()
        out.append(text[pos:])
        return "".join(out)


def _case_like(original: str, new: str) -> str:
    if original.isupper() and len(original) > 1:
        return new.upper()
    if original[:1].isupper():
        return new[:1].upper() + new[1:]
    return new


def build_restorer(procedures: Optional[Path], examples: Iterable[str] = (), example_weight: int = 3,
                   extra: Iterable[str] = (), **kwargs) -> AccentRestorer:
    """The model from the procedure files (if the folder exists), the training examples and `extra`
    Vietnamese text (counted once, as the procedure files).

    Accented examples are Vietnamese text (counted `example_weight` times: closer to chat than the
    procedure texts). The English word counts come from the procedures' English fields, then from the
    examples without any mark that a first model (English from the procedures only) does not take
    for Vietnamese: "hi", "thanks", "can you help me" teach it chat English.
    """
    vi: List[str] = []
    en: List[str] = []
    if procedures is not None and Path(procedures).is_dir():
        vi, en = corpus_from_procedures(Path(procedures))
    examples = [e for e in examples if e]
    accented = [e for e in examples if has_vietnamese_marks(e)]
    texts = vi + list(extra) + accented * max(example_weight, 1)
    first = AccentRestorer.build(texts, en, **kwargs)
    latin = [e for e in examples if not has_vietnamese_marks(e) and _WORD.search(e)
             and not _OTHER_SCRIPT.search(e) and not first.looks_vietnamese(e)]
    return AccentRestorer.build(texts, en + latin, **kwargs)


_ANNOTATION = re.compile(r"\[([^\]]*)\]\([^)]*\)|\[([^\]]*)\]\{[^}]*\}")


def nlu_examples(folder: Path) -> List[str]:
    """The example texts of Rasa NLU files (`*.yml` in `folder`), entity annotations removed
    ("[1.004194](procedure_code)" -> "1.004194"), read without Rasa."""
    texts: List[str] = []
    for path in sorted(Path(folder).glob("*.yml")) if Path(folder).is_dir() else []:
        data = read_yaml(path) or {}
        for block in data.get("nlu") or []:
            if "intent" not in block:
                continue  # regex and lookup blocks hold patterns, not messages
            for line in str(block.get("examples") or "").splitlines():
                line = line.strip()
                if line.startswith("- "):
                    texts.append(_ANNOTATION.sub(lambda m: m.group(1) or m.group(2) or "", line[2:]).strip())
    return [t for t in texts if t]
