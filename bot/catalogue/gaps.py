"""Topics the catalogue does not hold (`data/gaps.yml`, an operator file).

Search always returns the nearest procedures, and for a topic the national crawl lacks the nearest one
is something else: "外国人怎么申请工作许可证" (a work permit) found the permit to enter border areas
with high confidence. A question that names such a topic is told that the assistant has no procedure
for it, and where to ask.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..i18n.script import clean, plain_words
from ..yamlfiles import read_yaml
from .model import LANGS

_SPACED = ("vi", "en")  # matched as whole words; the other languages as substrings


class GapFileError(ValueError):
    """data/gaps.yml is malformed."""


@dataclass(frozen=True)
class Gap:
    id: str
    name: dict[str, str]
    where: dict[str, str] | None

    def name_in(self, lang: str) -> str:
        return self.name.get(lang) or self.name["vi"]

    def where_in(self, lang: str) -> str | None:
        return (self.where or {}).get(lang) or (self.where or {}).get("vi")


def _words(text: str) -> str:
    return plain_words(clean(text))


def gaps_file(home: Path) -> Path:
    """Where the operator keeps the topics: data/gaps.yml of the project home."""
    return Path(home) / "data" / "gaps.yml"


class Gaps:
    def __init__(self, topics: list[tuple[Gap, list[str], list[str]]]):
        self._topics = topics  # (gap, whole-word terms as _words, substrings)

    def __len__(self) -> int:
        return len(self._topics)

    def match(self, text: str) -> Gap | None:
        """The first topic whose term the text holds, in any of the five languages."""
        words, plain = _words(text), clean(text).lower()
        for gap, spaced, substrings in self._topics:
            if any(term in words for term in spaced) or any(term in plain for term in substrings):
                return gap
        return None

    @classmethod
    def load(cls, path: Path) -> "Gaps":
        """The topics of `path` (none when the file does not exist); a malformed file raises GapFileError."""
        if not Path(path).exists():
            return cls([])
        data = read_yaml(path) or {}
        topics = []
        for i, item in enumerate(data.get("topics") or []):
            where = f"{path}: topic {i + 1}"
            if not isinstance(item, dict) or not item.get("id"):
                raise GapFileError(f"{where}: needs an id")
            name, terms, place = item.get("name") or {}, item.get("terms") or {}, item.get("where")
            missing = [lang for lang in LANGS if not (isinstance(name, dict) and name.get(lang))]
            if missing:
                raise GapFileError(f"{where} ({item['id']}): name missing in {', '.join(missing)}")
            if not isinstance(terms, dict) or not any(terms.values()):
                raise GapFileError(f"{where} ({item['id']}): needs terms")
            if place is not None and not isinstance(place, dict):
                raise GapFileError(f"{where} ({item['id']}): where must be null or one text per language")
            spaced = [_words(t) for lang in _SPACED for t in terms.get(lang) or () if _words(t).strip()]
            substrings = [clean(t).lower() for lang, ts in terms.items() if lang not in _SPACED for t in ts or ()]
            gap = Gap(str(item["id"]), {k: str(v) for k, v in name.items()},
                      {k: str(v) for k, v in place.items()} if place else None)
            topics.append((gap, spaced, [s for s in substrings if s]))
        return cls(topics)
