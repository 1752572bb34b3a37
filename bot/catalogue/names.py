"""Names of imported procedures in English, Chinese, Korean and Japanese (`data/names/*.yml`).

The national catalogue is Vietnamese only, so a foreign resident's question could reach the ~2,500
imported procedures only through the multilingual embedding of their Vietnamese names. The project
writes their names in the four other languages (the curated core has much more: aliases, summaries,
documents). Each entry keeps the official Vietnamese name it was translated from: when an import
renames a procedure, its translation no longer says the same thing, so it is not used until someone
updates it (`thutuc catalogue issues` lists such entries as `stale_translation`).

File format, a YAML list:

    - code: "1.001601"        # quoted: unquoted it would be read as a number
      vi: "<official name, exactly as imported>"
      en: "..."
      zh: "..."
      ko: "..."
      ja: "..."
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Iterable, Mapping

from .curated import CODE_RE, CatalogueFileError, Problem, load_yaml
from .model import Procedure

FOREIGN = ("en", "zh", "ko", "ja")


@dataclass(frozen=True)
class NameTranslation:
    code: str
    vi: str  # the official name the translation was made from
    names: Mapping[str, str]  # en/zh/ko/ja
    path: str = ""


def _same_name(a: str, b: str) -> bool:
    def norm(s: str) -> str:
        return re.sub(r"\s+", " ", unicodedata.normalize("NFC", s)).strip()

    return norm(a) == norm(b)


def _files(directory: Path | None) -> list[Path]:
    return sorted(Path(directory).glob("*.yml")) if directory and Path(directory).is_dir() else []


def _read(path: Path) -> list:
    data = load_yaml(path)
    if data is None:
        return []
    if not isinstance(data, list):
        raise CatalogueFileError(f"{path}: expected a list of {{code, vi, en, zh, ko, ja}} entries")
    return data


def _entry_problems(entry, where: str) -> list[str]:
    if not isinstance(entry, dict):
        return [f"{where}: expected a mapping with code, vi, en, zh, ko, ja"]
    out = []
    code = entry.get("code")
    if not isinstance(code, str):
        out.append(f"{where}: code must be a quoted string, got {code!r}")
    elif not CODE_RE.match(code):
        out.append(f"{where}: code {code!r} is not of the form 1.234567")
    for lang in ("vi",) + FOREIGN:
        if not isinstance(entry.get(lang), str) or not entry[lang].strip():
            out.append(f"{where}: {lang} is missing")
    unknown = set(entry) - {"code", "vi", *FOREIGN}
    if unknown:
        out.append(f"{where}: unknown key(s) {', '.join(sorted(map(str, unknown)))}")
    return out


def validate_names(directory: Path | None, curated_codes: Iterable[str] = ()) -> list[Problem]:
    """Schema problems, codes given twice, and codes the curated core already names."""
    problems: list[Problem] = []
    curated = set(curated_codes)
    seen: dict[str, str] = {}
    for path in _files(directory):
        try:
            entries = _read(path)
        except CatalogueFileError as e:
            problems.append(Problem(str(path), str(e)))
            continue
        for i, entry in enumerate(entries, 1):
            found = _entry_problems(entry, f"entry {i}")
            problems += [Problem(str(path), msg) for msg in found]
            if found:
                continue
            code = entry["code"]
            if code in seen:
                problems.append(Problem(str(path), f"entry {i}: code {code} also in {seen[code]}"))
            if code in curated:
                problems.append(Problem(str(path), f"entry {i}: {code} is curated; its names live in its own file"))
            seen[code] = str(path)
    return problems


def load_names(directory: Path | None) -> dict[str, NameTranslation]:
    """Every well-formed entry by code. A broken file raises CatalogueFileError (the catalogue would
    otherwise silently lose names); malformed entries are skipped here and reported by validate."""
    out: dict[str, NameTranslation] = {}
    for path in _files(directory):
        for entry in _read(path):
            if _entry_problems(entry, ""):
                continue
            out[entry["code"]] = NameTranslation(
                entry["code"], entry["vi"].strip(), {lang: entry[lang].strip() for lang in FOREIGN}, str(path))
    return out


def apply_names(procedures: Mapping[str, Procedure], names: Mapping[str, NameTranslation]
                ) -> tuple[dict[str, Procedure], list[tuple[NameTranslation, str]]]:
    """Procedures with their translated names; (translation, current official name) of stale ones.

    Curated procedures keep their own names; a translation of another official name is not used."""
    out = dict(procedures)
    stale: list[tuple[NameTranslation, str]] = []
    for code, t in names.items():
        p = procedures.get(code)
        if p is None or p.curated:
            continue
        if not _same_name(t.vi, p.name["vi"]):
            stale.append((t, p.name["vi"]))
            continue
        out[code] = replace(p, name={"vi": p.name["vi"], **t.names})
    return out, stale
