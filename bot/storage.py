"""SQLite files shared by processes: WAL, a busy timeout, and write transactions that lock at once.

Every store of the project (dossiers, front end: inbox, cases, analytics) opens its file with
`connect` and wraps each read-modify-write in `immediate`, so two processes never both read a value
and then both write it (a deferred transaction would fail to upgrade, or worse, lose an update).
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

import sqlite_utils

BUSY_TIMEOUT_MS = 5000


def connect(path: Path) -> sqlite_utils.Database:
    """Open (creating the folder and file if needed) with WAL and a busy timeout; no migration."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite_utils.Database(path)
    db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    if db.journal_mode != "wal":
        db.enable_wal()
    return db


@contextmanager
def immediate(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """A write transaction that takes the write lock at its start (no deferred-upgrade failures).

    sqlite-utils write methods used inside it nest as savepoints.
    """
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.rollback()
        raise
    else:
        db.commit()


def migrate_component(db: sqlite_utils.Database, component: str,
                      migrations: dict[int, Callable[[sqlite_utils.Database], None]]) -> int:
    """Apply one component's missing migrations, each inside `immediate` (safe with several processes).

    Several parts share one file (the front end: inbox, cases, analytics…), so versions are kept per
    component in a `schema_versions` table rather than in the file-wide `PRAGMA user_version`.
    Migrations are append-only: never edit a released one.
    """
    with immediate(db):
        db.execute("CREATE TABLE IF NOT EXISTS schema_versions (component TEXT PRIMARY KEY, version INTEGER NOT NULL)")
    newest = max(migrations)
    for version in sorted(migrations):
        with immediate(db):
            row = db.execute("SELECT version FROM schema_versions WHERE component = ?", [component]).fetchone()
            current = row[0] if row else 0
            if current > newest:
                raise RuntimeError(f"{component}: database schema version {current} is newer than this code "
                                   f"({newest}); upgrade thutuc")
            if current >= version:
                continue
            migrations[version](db)
            db.execute("INSERT INTO schema_versions (component, version) VALUES (?, ?) "
                       "ON CONFLICT(component) DO UPDATE SET version = excluded.version", [component, version])
    return newest
