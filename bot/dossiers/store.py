"""The dossier store: one SQLite file (sqlite-utils) owned by the assistant, outside git.

Tables: `dossiers` (one row per dossier code; the owner only as keyed hashes), `lookup_audit` (every
lookup: opaque user key, time, code, outcome; no personal data), `verification_failures` (rate-limit
state) and `imports` (one row per import). The schema is versioned with `PRAGMA user_version` and
migrated at start-up; the file runs in WAL mode with a busy timeout, and every read-modify-write
(import, lookup with its rate-limit counters) runs inside `BEGIN IMMEDIATE`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

import sqlite_utils

from ..storage import BUSY_TIMEOUT_MS, connect, immediate  # noqa: F401 - re-exported for callers
from .model import Dossier, DossierConfigError

DOSSIER_FIELDS = (
    "code", "national_code", "procedure_code", "procedure_name", "agency", "channel", "received_at",
    "appointment_at", "completed_at", "status_code", "status_note", "amount_due", "missing_documents",
)
HASH_FIELDS = ("id_hash", "id4_hash", "phone_hash", "phone4_hash", "salt_id")


def _v1(db: sqlite_utils.Database) -> None:
    db["dossiers"].create(
        {
            "code": str, "national_code": str, "procedure_code": str, "procedure_name": str,
            "agency": str, "channel": str, "received_at": str, "appointment_at": str,
            "completed_at": str, "status_code": int, "status_note": str, "amount_due": int,
            "missing_documents": str,
            "id_hash": str, "id4_hash": str, "phone_hash": str, "phone4_hash": str, "salt_id": str,
            "demo": int, "fingerprint": str, "updated_at": str,
        },
        pk="code",
        not_null={"procedure_code", "agency", "channel", "received_at", "status_code", "salt_id",
                  "demo", "fingerprint", "updated_at"},
        defaults={"demo": 0},
    )
    db["lookup_audit"].create(
        {"id": int, "at": str, "user_key": str, "code": str, "outcome": str, "detail": str, "lang": str},
        pk="id", not_null={"at", "user_key", "outcome"},
    )
    db["lookup_audit"].create_index(["at"])
    db["verification_failures"].create(
        {"id": int, "scope": str, "key": str, "at": float}, pk="id", not_null={"scope", "key", "at"},
    )
    db["verification_failures"].create_index(["scope", "key", "at"])
    db["imports"].create(
        {"id": int, "at": str, "file": str, "sha256": str, "rows": int, "inserted": int, "updated": int,
         "unchanged": int, "bad_rows": int},
        pk="id",
    )


#: Version -> migration. Append only; never edit a released migration.
MIGRATIONS: dict[int, Callable[[sqlite_utils.Database], None]] = {1: _v1}
SCHEMA_VERSION = max(MIGRATIONS)


def user_version(db: sqlite_utils.Database) -> int:
    return db.execute("PRAGMA user_version").fetchone()[0]


def migrate(db: sqlite_utils.Database) -> int:
    """Apply the missing migrations, each in its own immediate transaction (safe with several processes)."""
    if user_version(db) > SCHEMA_VERSION:
        raise DossierConfigError(
            f"the dossier database has schema version {user_version(db)}, newer than this code "
            f"({SCHEMA_VERSION}); upgrade thutuc"
        )
    for version in sorted(MIGRATIONS):
        with immediate(db):
            if user_version(db) >= version:
                continue
            MIGRATIONS[version](db)
            db.execute(f"PRAGMA user_version = {int(version)}")
    return user_version(db)


def open_db(path: Path) -> sqlite_utils.Database:
    db = connect(path)
    migrate(db)
    return db


# --- dossiers ---------------------------------------------------------------------------------


def get_row(db: sqlite_utils.Database, code: str) -> dict | None:
    """The whole stored row (hashes included), for the service only."""
    rows = list(db.query("SELECT * FROM dossiers WHERE code = ?", [code]))
    return rows[0] if rows else None


def to_dossier(row: dict) -> Dossier:
    return Dossier(
        code=row["code"], national_code=row["national_code"], procedure_code=row["procedure_code"],
        procedure_name=row["procedure_name"], agency=row["agency"], channel=row["channel"],
        received_at=row["received_at"], appointment_at=row["appointment_at"],
        completed_at=row["completed_at"], status_code=int(row["status_code"]),
        status_note=row["status_note"], amount_due=row["amount_due"],
        missing_documents=tuple(json.loads(row["missing_documents"] or "[]")),
        demo=bool(row["demo"]), updated_at=row["updated_at"],
    )


def fingerprints(db: sqlite_utils.Database) -> dict[str, str]:
    return {code: fp for code, fp in db.execute("SELECT code, fingerprint FROM dossiers")}


def upsert(db: sqlite_utils.Database, rows: list[dict]) -> None:
    if rows:
        db["dossiers"].upsert_all(rows, pk="code", batch_size=500)


def salt_ids(db: sqlite_utils.Database) -> dict[str, int]:
    return {sid: n for sid, n in db.execute("SELECT salt_id, count(*) FROM dossiers GROUP BY salt_id")}


def delete_demo(db: sqlite_utils.Database) -> int:
    return db.execute("DELETE FROM dossiers WHERE demo = 1").rowcount


def record_import(db: sqlite_utils.Database, **values) -> None:
    db["imports"].insert(values)


# --- audit and rate-limit state ---------------------------------------------------------------


def audit(db: sqlite_utils.Database, *, at: str, user_key: str, code: str | None, outcome: str,
          detail: str | None, lang: str) -> None:
    db.execute(
        "INSERT INTO lookup_audit (at, user_key, code, outcome, detail, lang) VALUES (?, ?, ?, ?, ?, ?)",
        [at, user_key, code, outcome, detail, lang],
    )


def failures_since(db: sqlite_utils.Database, scope: str, key: str, since: float) -> list[float]:
    """Times of the failures of one key after `since`, oldest first."""
    return [r[0] for r in db.execute(
        "SELECT at FROM verification_failures WHERE scope = ? AND key = ? AND at > ? ORDER BY at",
        [scope, key, since],
    )]


def add_failure(db: sqlite_utils.Database, scope: str, key: str, at: float) -> None:
    db.execute("INSERT INTO verification_failures (scope, key, at) VALUES (?, ?, ?)", [scope, key, at])


def prune_failures(db: sqlite_utils.Database, before: float) -> None:
    db.execute("DELETE FROM verification_failures WHERE at <= ?", [before])
