"""Names and search aliases of imported procedures in five languages (`data/names/*.yml`).

The national catalogue is Vietnamese only, so a foreign resident's question could reach the ~2,500
imported procedures only through the multilingual embedding of their Vietnamese names, and nobody
types an official name anyway. The project writes their names in English, Chinese, Korean and
Japanese (`part-*.yml`) and, for those served in the province or commune, everyday wordings in all five
languages (`aliases-*.yml`); the curated core has much more (summaries, documents, steps). Each entry
keeps the official Vietnamese name it was written from: when an import renames a procedure, the entry
no longer says the same thing, so it is not used until someone updates it (`thutuc catalogue issues`
lists such entries as `stale_translation`).

File format, a YAML list of entries with names, aliases or both:

    - code: "1.001601"        # quoted: unquoted it would be read as a number
      vi: "<official name, exactly as imported>"
      en: "..."               # the names: all four or none
      zh: "..."
      ko: "..."
      ja: "..."
      aliases: {vi: ["..."], en: ["..."], zh: ["..."], ko: ["..."], ja: ["..."]}
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Iterable, Mapping

from .curated import CODE_RE, CatalogueFileError, Problem, iter_files, load_yaml, readable_files
from .model import LANGS, Procedure

FOREIGN = ("en", "zh", "ko", "ja")


@dataclass(frozen=True)
class NameTranslation:
    """One entry: the names in en/zh/ko/ja, search aliases per language, or both."""

    code: str
    vi: str  # the official name the entry was written from
    names: Mapping[str, str]  # en/zh/ko/ja, or empty
    aliases: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # lang -> everyday wordings
    path: str = ""


def _same_name(a: str, b: str) -> bool:
    def norm(s: str) -> str:
        return re.sub(r"\s+", " ", unicodedata.normalize("NFC", s)).strip()

    return norm(a) == norm(b)


def _read(path: Path) -> list:
    data = load_yaml(path)
    if data is None:
        return []
    if not isinstance(data, list):
        raise CatalogueFileError(f"{path}: expected a list of entries (code, vi, en/zh/ko/ja and/or aliases)")
    return data


def _entry_problems(entry, where: str) -> list[str]:
    if not isinstance(entry, dict):
        return [f"{where}: expected a mapping with code, vi and en/zh/ko/ja and/or aliases"]
    out = []
    code = entry.get("code")
    if not isinstance(code, str):
        out.append(f"{where}: code must be a quoted string, got {code!r}")
    elif not CODE_RE.match(code):
        out.append(f"{where}: code {code!r} is not of the form 1.234567")
    if not isinstance(entry.get("vi"), str) or not entry["vi"].strip():
        out.append(f"{where}: vi is missing")
    given = [lang for lang in FOREIGN if lang in entry]
    if given or "aliases" not in entry:  # names are all or nothing; an entry has names or aliases
        for lang in FOREIGN:
            if not isinstance(entry.get(lang), str) or not entry[lang].strip():
                out.append(f"{where}: {lang} is missing")
    if "aliases" in entry:
        aliases = entry["aliases"]
        if not isinstance(aliases, dict) or not aliases:
            out.append(f"{where}: aliases must map languages to lists of wordings")
        else:
            for lang, terms in aliases.items():
                if lang not in LANGS:
                    out.append(f"{where}: aliases.{lang}: not one of {', '.join(LANGS)}")
                elif not isinstance(terms, list) or not terms or not all(isinstance(t, str) and t.strip() for t in terms):
                    out.append(f"{where}: aliases.{lang} must be a non-empty list of wordings")
    unknown = set(entry) - {"code", "vi", "aliases", *FOREIGN}
    if unknown:
        out.append(f"{where}: unknown key(s) {', '.join(sorted(map(str, unknown)))}")
    return out


def _entry(entry: dict, path: Path) -> NameTranslation:
    return NameTranslation(
        entry["code"], entry["vi"].strip(),
        {lang: entry[lang].strip() for lang in FOREIGN if lang in entry},
        {lang: tuple(t.strip() for t in terms) for lang, terms in (entry.get("aliases") or {}).items()},
        str(path))


def validate_names(directory: Path | None, curated_codes: Iterable[str] = ()) -> list[Problem]:
    """Schema problems, codes given twice, and codes the curated core already names."""
    problems: list[Problem] = []
    curated = set(curated_codes)
    seen: dict[tuple[str, str], str] = {}
    for path, entries in readable_files(directory, _read, problems):
        for i, entry in enumerate(entries, 1):
            found = _entry_problems(entry, f"entry {i}")
            problems += [Problem(str(path), msg) for msg in found]
            if found:
                continue
            t = _entry(entry, path)
            if t.code in curated:
                problems.append(Problem(str(path), f"entry {i}: {t.code} is curated; its names live in its own file"))
            for kind, present in (("names", t.names), ("aliases", t.aliases)):
                if not present:
                    continue
                if (kind, t.code) in seen:
                    problems.append(Problem(str(path), f"entry {i}: {kind} of {t.code} also in {seen[kind, t.code]}"))
                seen[kind, t.code] = str(path)
    return problems


def load_names(directory: Path | None) -> list[NameTranslation]:
    """Every well-formed entry, file by file. A broken file raises CatalogueFileError (the catalogue
    would otherwise silently lose names); malformed entries are skipped here and reported by validate."""
    return [_entry(entry, path) for path in iter_files(directory) for entry in _read(path)
            if not _entry_problems(entry, "")]


def apply_names(procedures: Mapping[str, Procedure], entries: Iterable[NameTranslation]
                ) -> tuple[dict[str, Procedure], list[tuple[NameTranslation, str]]]:
    """Procedures with their translated names and aliases; (entry, current official name) of stale ones.

    Curated procedures keep their own texts; an entry written for another official name is not used."""
    out = dict(procedures)
    stale: list[tuple[NameTranslation, str]] = []
    for t in entries:
        p = out.get(t.code)
        if p is None or p.curated:
            continue
        if not _same_name(t.vi, p.name["vi"]):
            stale.append((t, p.name["vi"]))
            continue
        if t.names:
            p = replace(p, name={"vi": p.name["vi"], **t.names})
        if t.aliases:
            merged = {lang: tuple(dict.fromkeys((*p.aliases.get(lang, ()), *t.aliases.get(lang, ()))))
                      for lang in LANGS if p.aliases.get(lang) or t.aliases.get(lang)}
            p = replace(p, aliases=merged)
        out[t.code] = p
    return out, stale
