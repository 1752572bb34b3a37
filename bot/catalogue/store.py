"""The catalogue store (SQLite via sqlite-utils) and the national-crawl importer.

An import reads and checks the whole file first, then replaces the stored catalogue in one
transaction: a bad or truncated file changes nothing, and importing the same file twice gives the
same store.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path

import sqlite_utils

from .crawl import (
    CrawlFormatError,
    Finding,
    findings_for,
    is_code_mismatch,
    load_popularity,
    procedure_from_record,
    read_records,
)
from .curated import facts_dict
from .model import ChannelRow, LegalRef, Procedure

SCHEMA_VERSION = 1
FACT_FIELDS = ("name_vi", "field", "level", "agency", "channels", "url")


@dataclass(frozen=True)
class FactChange:
    code: str
    fact: str
    curated: str
    imported: str


@dataclass
class ImportReport:
    path: str
    sha256: str
    records: int = 0
    imported: int = 0
    skipped_mismatch: int = 0
    duplicates: int = 0
    findings: list[Finding] = field(default_factory=list)
    changes: list[FactChange] = field(default_factory=list)
    unchanged: bool = False  # the same file was already the current import


def open_db(path: Path) -> sqlite_utils.Database:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite_utils.Database(path)
    db.execute("PRAGMA busy_timeout = 5000")
    migrate(db)
    return db


def migrate(db: sqlite_utils.Database) -> None:
    """Versioned, idempotent schema set-up."""
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version < 1:
        with db.conn:
            db["procedures"].create(
                {"code": str, "name_vi": str, "field": str, "levels": str, "popularity": float, "doc": str},
                pk="code", if_not_exists=True,
            )
            db["findings"].create({"code": str, "kind": str, "detail": str}, if_not_exists=True)
            db["fact_changes"].create(
                {"code": str, "fact": str, "curated": str, "imported": str}, if_not_exists=True
            )
            db["imports"].create(
                {"id": int, "path": str, "sha256": str, "at": str, "records": int, "imported": int,
                 "skipped_mismatch": int, "duplicates": int, "findings": int},
                pk="id", if_not_exists=True,
            )
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _doc(p: Procedure) -> str:
    d = {"code": p.code, "name": dict(p.name), "applicants": dict(p.applicants), "facts": facts_dict(p),
         "links": dict(p.links), "source": dict(p.source), "popularity": p.popularity}
    return json.dumps(d, ensure_ascii=False, sort_keys=True)


def procedure_from_doc(doc: str) -> Procedure:
    d = json.loads(doc)
    f = d["facts"]
    return Procedure(
        code=d["code"], name=d["name"], applicants=d.get("applicants") or {},
        field=f["field"], level=tuple(f["level"]), agency=f["agency"],
        receiving_agency=f["receiving_agency"], result=f["result"], fully_online=f["fully_online"],
        channels=tuple(ChannelRow.from_dict(c) for c in f["channels"]),
        legal_basis=tuple(LegalRef(x["number"], x.get("title", "")) for x in f["legal_basis"]),
        links=d["links"], source=d["source"], popularity=d["popularity"],
    )


def _fact_view(p: Procedure) -> dict[str, str]:
    """The facts compared between a curated file and an import (notes excluded: prose)."""
    channels = [
        {k: v for k, v in c.to_dict().items() if k != "note"} for c in p.channels
    ]
    return {
        "name_vi": p.name.get("vi", ""),
        "field": p.field,
        "level": ",".join(p.level),
        "agency": p.agency,
        "channels": json.dumps(channels, ensure_ascii=False, sort_keys=True),
        "url": p.links.get("national") or "",
    }


def diff_facts(curated: Procedure, imported: Procedure) -> list[FactChange]:
    a, b = _fact_view(curated), _fact_view(imported)
    return [FactChange(curated.code, k, a[k], b[k]) for k in FACT_FIELDS if a[k] != b[k]]


def parse_crawl(path: Path, popularity: dict[str, float], today: date) -> tuple[dict[str, Procedure], ImportReport]:
    """Read the whole file into memory (nothing is written here)."""
    report = ImportReport(path=str(path), sha256=_sha256(path))
    out: dict[str, Procedure] = {}
    for lineno, rec in read_records(path):
        report.records += 1
        code = str(rec.get("ma_thu_tuc") or "").strip()
        if is_code_mismatch(rec):
            report.skipped_mismatch += 1
            report.findings.append(Finding(code, "code_mismatch", f"line {lineno}: page shows another code; skipped"))
            continue
        try:
            p = procedure_from_record(rec, popularity.get(code, 0.0))
        except CrawlFormatError as e:
            raise CrawlFormatError(f"{path}:{lineno}: {e}") from e
        if code in out:
            report.duplicates += 1
            continue  # first occurrence wins; duplicates in the crawl are identical pages
        out[code] = p
        report.findings.extend(findings_for(code, p.channels, today))
    if not out:
        raise CrawlFormatError(f"{path}: no procedure records found")
    report.imported = len(out)
    return out, report


def import_crawl(
    path: Path,
    db_path: Path,
    curated: dict[str, Procedure] | None = None,
    popularity_paths: list[Path] | None = None,
    today: date | None = None,
) -> ImportReport:
    path = Path(path)
    if popularity_paths is None:
        popularity_paths = sorted(path.parent.glob("popular_*.json"))
    try:
        popularity = load_popularity(popularity_paths)
    except (OSError, ValueError) as e:
        raise CrawlFormatError(f"popularity list unreadable: {e}") from e
    procedures, report = parse_crawl(path, popularity, today or date.today())
    for code, cur in (curated or {}).items():
        if code in procedures:
            report.changes.extend(diff_facts(cur, procedures[code]))
    db = open_db(db_path)
    last = db.execute("SELECT sha256 FROM imports ORDER BY id DESC LIMIT 1").fetchone()
    report.unchanged = bool(last and last[0] == report.sha256)
    with db.conn:  # one transaction: all or nothing
        db.execute("DELETE FROM procedures")
        db.execute("DELETE FROM findings")
        db.execute("DELETE FROM fact_changes")
        db["procedures"].insert_all(
            ({"code": p.code, "name_vi": p.name["vi"], "field": p.field, "levels": ",".join(p.level),
              "popularity": p.popularity, "doc": _doc(p)} for p in procedures.values()),
            batch_size=500,
        )
        db["findings"].insert_all(({"code": f.code, "kind": f.kind, "detail": f.detail} for f in report.findings))
        db["fact_changes"].insert_all(
            ({"code": c.code, "fact": c.fact, "curated": c.curated, "imported": c.imported} for c in report.changes)
        )
        db["imports"].insert({
            "path": str(path), "sha256": report.sha256,
            "at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "records": report.records, "imported": report.imported,
            "skipped_mismatch": report.skipped_mismatch, "duplicates": report.duplicates,
            "findings": len(report.findings),
        })
    db.close()
    return report


def load_imported(db_path: Path) -> dict[str, Procedure]:
    if not Path(db_path).exists():
        return {}
    db = open_db(db_path)
    try:
        return {row[0]: procedure_from_doc(row[1]) for row in db.execute("SELECT code, doc FROM procedures")}
    finally:
        db.close()


def list_findings(db_path: Path) -> list[Finding]:
    if not Path(db_path).exists():
        return []
    db = open_db(db_path)
    try:
        return [Finding(*row) for row in db.execute("SELECT code, kind, detail FROM findings ORDER BY code, kind")]
    finally:
        db.close()


def list_fact_changes(db_path: Path) -> list[FactChange]:
    if not Path(db_path).exists():
        return []
    db = open_db(db_path)
    try:
        return [FactChange(*row) for row in db.execute("SELECT code, fact, curated, imported FROM fact_changes ORDER BY code")]
    finally:
        db.close()
