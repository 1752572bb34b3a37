"""The curated core: one YAML file per procedure in `data/procedures/`, named by its code.

Text sections (name, aliases, summary, applicants, documents, steps) are written by the project in
all five languages; `facts` and `links` come from the national portal and are refreshed by the
importer. `validate_dir` is what `thutuc catalogue validate` and the tests run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from ..yamlfiles import read_yaml
from .model import CHANNELS, LANGS, LEVELS, ChannelRow, LegalRef, Procedure

CODE_RE = re.compile(r"^\d\.\d{6}$")
URL_RE = re.compile(r"^https://[\w.-]+\.[a-z]{2,}(/[^\s]*)?$")
TEXT_SECTIONS = ("name", "summary")
LIST_SECTIONS = ("documents", "steps")


class CatalogueFileError(ValueError):
    """A curated file that cannot be read at all (bad YAML, not a mapping)."""


@dataclass(frozen=True)
class Problem:
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


def _texts(d) -> dict[str, str]:
    return {k: str(v).strip() for k, v in (d or {}).items() if v is not None and str(v).strip()}


def procedure_from_dict(d: dict) -> Procedure:
    facts = d.get("facts") or {}
    return Procedure(
        code=str(d["code"]),
        name=_texts(d.get("name")),
        aliases={k: tuple(str(a) for a in (v or ())) for k, v in (d.get("aliases") or {}).items()},
        summary=_texts(d.get("summary")),
        applicants=_texts(d.get("applicants")),
        documents=tuple(_texts(x) for x in d.get("documents") or ()),
        steps=tuple(_texts(x) for x in d.get("steps") or ()),
        field=facts.get("field", ""),
        level=tuple(facts.get("level") or ()),
        agency=facts.get("agency", ""),
        receiving_agency=facts.get("receiving_agency", ""),
        result=facts.get("result", ""),
        channels=tuple(ChannelRow.from_dict(c) for c in facts.get("channels") or ()),
        fully_online=facts.get("fully_online"),
        legal_basis=tuple(LegalRef(str(x.get("number", "")), x.get("title", "")) for x in facts.get("legal_basis") or ()),
        links=dict(d.get("links") or {}),
        source=dict(d.get("source") or {}),
        updated=str(d.get("updated") or ""),
        popularity=float(d.get("popularity") or 0),
        curated=True,
    )


def facts_dict(p: Procedure) -> dict:
    return {
        "field": p.field,
        "level": list(p.level),
        "agency": p.agency,
        "receiving_agency": p.receiving_agency,
        "result": p.result,
        "fully_online": p.fully_online,
        "channels": [c.to_dict() for c in p.channels],
        "legal_basis": [{"number": r.number, "title": r.title} for r in p.legal_basis],
    }


def procedure_to_dict(p: Procedure) -> dict:
    return {
        "code": p.code,
        "name": dict(p.name),
        "aliases": {k: list(v) for k, v in p.aliases.items()},
        "summary": dict(p.summary),
        "applicants": dict(p.applicants),
        "documents": [dict(x) for x in p.documents],
        "steps": [dict(x) for x in p.steps],
        "facts": facts_dict(p),
        "links": dict(p.links),
        "source": dict(p.source),
        "updated": p.updated,
        "popularity": p.popularity,
    }


def dump_yaml(d: dict) -> str:
    return yaml.safe_dump(d, allow_unicode=True, sort_keys=False, width=100)


def load_yaml(path: Path):
    """The file's YAML, or CatalogueFileError saying where it is broken."""
    try:
        return read_yaml(path)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        raise CatalogueFileError(f"{path}:{where} not valid YAML ({getattr(e, 'problem', e)})") from e


def read_file(path: Path) -> dict:
    d = load_yaml(path)
    if not isinstance(d, dict):
        raise CatalogueFileError(f"{path}: expected a mapping at the top level")
    return d


def check_dict(d: dict, path: str) -> list[Problem]:
    """Schema and completeness checks for one curated file."""
    out: list[Problem] = []

    def bad(msg: str) -> None:
        out.append(Problem(path, msg))

    if "TODO" in dump_yaml(d):
        bad("still has TODO text")
    code = str(d.get("code", ""))
    if not CODE_RE.match(code):
        bad(f"code {code!r} is not of the form 1.234567")
    elif Path(path).stem != code:
        bad(f"file name must be the code ({code}.yml)")
    for section in TEXT_SECTIONS:
        texts = d.get(section) or {}
        if not isinstance(texts, dict):
            bad(f"{section} must map languages to text")
            continue
        for lang in LANGS:
            if not str(texts.get(lang) or "").strip():
                bad(f"{section}.{lang} is missing")
    aliases = d.get("aliases") or {}
    for lang in LANGS:
        if not isinstance(aliases.get(lang), list) or not aliases.get(lang):
            bad(f"aliases.{lang} must be a non-empty list")
    for section in LIST_SECTIONS:
        items = d.get(section) or []
        if not isinstance(items, list) or not items:
            bad(f"{section} must be a non-empty list")
            continue
        for i, item in enumerate(items, 1):
            missing = [lang for lang in LANGS if not isinstance(item, dict) or not str(item.get(lang) or "").strip()]
            if missing:
                bad(f"{section}[{i}] lacks {', '.join(missing)}")
    facts = d.get("facts") or {}
    for level in facts.get("level") or ():
        if level not in LEVELS:
            bad(f"facts.level {level!r} is not one of {', '.join(LEVELS)}")
    for c in facts.get("channels") or ():
        if c.get("channel") not in CHANNELS:
            bad(f"facts.channels: {c.get('channel')!r} is not one of {', '.join(CHANNELS)}")
        for f in c.get("fees") or ():
            if f.get("currency") not in ("VND", "USD") or not isinstance(f.get("amount"), int) or f["amount"] < 0:
                bad(f"facts.channels: bad fee {f!r}")
    for key, url in (d.get("links") or {}).items():
        if url is not None and not URL_RE.match(str(url)):
            bad(f"links.{key} is not a well-formed https URL: {url!r}")
    return out


def iter_files(directory: Path | None) -> list[Path]:
    """The folder's YAML files in name order; none when the folder is not given or missing."""
    return sorted(Path(directory).glob("*.yml")) if directory and Path(directory).is_dir() else []


def readable_files(directory: Path | None, read, problems: list[Problem]):
    """(path, what `read` made of it) for each YAML file of `directory` (none when it is missing); a
    file `read` cannot read becomes a problem instead."""
    for path in iter_files(directory):
        try:
            yield path, read(path)
        except CatalogueFileError as e:
            problems.append(Problem(str(path), str(e)))


def validate_dir(directory: Path) -> list[Problem]:
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    for path, d in readable_files(directory, read_file, problems):
        problems.extend(check_dict(d, str(path)))
        code = str(d.get("code", ""))
        if code in seen:
            problems.append(Problem(str(path), f"code {code} also in {seen[code]}"))
        seen[code] = str(path)
    return problems


def load_dir(directory: Path) -> dict[str, Procedure]:
    """All curated procedures by code; raises CatalogueFileError on an unreadable file."""
    out: dict[str, Procedure] = {}
    for path in iter_files(directory):
        d = read_file(path)
        try:
            p = procedure_from_dict(d)
        except (KeyError, TypeError, ValueError, AttributeError) as e:
            raise CatalogueFileError(f"{path}: {e!r}") from e
        out[p.code] = p
    return out


HEADER = (
    "# Curated procedure. Text sections are written by the project in five languages;\n"
    "# `facts` and `links.national` come from the national portal and are refreshed by\n"
    "# `thutuc catalogue import`. `links.provincial` is set by the operator (null = not known).\n"
)


def repo_facts(p: Procedure) -> dict:
    """Facts as kept in a curated file: structured values only. The portal's own prose (row notes,
    garbled legal titles) stays in the local store, not in the repository."""
    facts = facts_dict(p)
    for row in facts["channels"]:
        row.pop("note", None)
    facts["legal_basis"] = [{"number": r["number"]} for r in facts["legal_basis"]]
    return facts


def refresh_file(path: Path, imported: Procedure, today: str) -> bool:
    """Write the imported facts into a curated file, keeping its text; True when something changed."""
    d = read_file(path)
    new_links = {**(d.get("links") or {}), "national": imported.links.get("national")}
    new = {**d, "facts": repo_facts(imported), "links": new_links,
           "popularity": imported.popularity or d.get("popularity", 0)}
    if new == d:
        return False
    new["updated"] = today
    Path(path).write_text(HEADER + dump_yaml(new), encoding="utf-8")
    return True


def scaffold(facts: Procedure, updated: str, retrieved: str) -> str:
    """A curated file for `facts` with the text sections left for a writer (TODO markers)."""
    todo = {lang: "TODO" for lang in LANGS}
    d = procedure_to_dict(facts)
    d["name"] = {"vi": facts.name["vi"], **{lang: "TODO" for lang in LANGS if lang != "vi"}}
    d["aliases"] = {lang: ["TODO"] for lang in LANGS}
    d["summary"] = dict(todo)
    d["applicants"] = dict(todo)
    d["documents"] = [dict(todo)]
    d["steps"] = [dict(todo)]
    d["source"] = {**dict(facts.source), "retrieved": retrieved}
    d["updated"] = updated
    d["facts"] = repo_facts(facts)
    return HEADER + dump_yaml(d)
