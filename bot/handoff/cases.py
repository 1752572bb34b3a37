"""The handoff queue: cases, their events and the per-chat transcript, in the front end's SQLite file.

Rules kept here rather than in the callers:
- one open case per chat (a partial unique index; a second handoff returns the open case);
- a case is claimed by exactly one staff member: one `UPDATE … WHERE status = 'waiting'` inside
  `BEGIN IMMEDIATE`, so of two concurrent claims one wins and the other sees who did;
- the transcript is bounded (`TRANSCRIPT_LINES` per chat, `MAX_LINE` characters a line) and, with the
  call-back contact, purged `RETENTION` after the chat's last case closed (or after its last line when
  it never had one). Both are personal data: nothing here logs them.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Callable

import sqlite_utils

from ..storage import immediate, migrate_component

__all__ = [
    "Case", "CaseClosed", "CaseError", "CaseStore", "CaseTaken", "NotClaimer", "TranscriptLine",
    "UnknownCase", "MAX_LINE", "RETENTION", "TRANSCRIPT_LINES", "STATUSES", "ROLES", "utcnow",
]

STATUSES = ("waiting", "claimed", "closed")
ROLES = ("user", "bot", "staff", "system")
TRANSCRIPT_LINES = 40
MAX_LINE = 1000
RETENTION = timedelta(days=30)
# Readable over the phone and in a staff group: no 0/O, 1/I/L; 31^6 ≈ 887 million ids.
_ID_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
_ID_LENGTH = 6


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _iso(at: datetime) -> str:
    return (at if at.tzinfo else at.replace(tzinfo=timezone.utc)).astimezone(timezone.utc).isoformat(
        timespec="seconds")


class CaseError(Exception):
    """A staff action that cannot be done on this case."""


class UnknownCase(CaseError, LookupError):
    def __init__(self, case_id: str):
        super().__init__(f"no case {case_id!r}")
        self.case_id = case_id


class CaseTaken(CaseError):
    """Someone else claimed the case first."""

    def __init__(self, case: "Case"):
        super().__init__(f"case {case.id} is claimed by another staff member")
        self.case = case


class NotClaimer(CaseTaken):
    """Only the staff member who claimed a case answers or closes it."""


class CaseClosed(CaseError):
    def __init__(self, case: "Case"):
        super().__init__(f"case {case.id} is closed")
        self.case = case


@dataclass(frozen=True)
class Case:
    id: str
    channel: str
    chat: str
    language: str
    procedure_code: str | None
    reason: str
    status: str
    created_at: str
    staff_id: int | None = None
    claimed_at: str | None = None
    closed_at: str | None = None
    staff_message_id: str | None = None
    #: The citizen's call-back phone or e-mail: personal data, never in repr or logs.
    contact: str | None = field(default=None, repr=False)

    @property
    def open(self) -> bool:
        return self.status != "closed"


@dataclass(frozen=True)
class TranscriptLine:
    at: str
    role: str  # "user" | "bot" | "staff" | "system"
    text: str = field(repr=False)


_CASE_COLUMNS = ("id", "channel", "chat", "language", "procedure_code", "reason", "status", "created_at",
                 "staff_id", "claimed_at", "closed_at", "staff_message_id", "contact")


def _v1(db: sqlite_utils.Database) -> None:
    db["cases"].create(
        {"id": str, "channel": str, "chat": str, "language": str, "procedure_code": str, "reason": str,
         "status": str, "created_at": str, "staff_id": int, "claimed_at": str, "closed_at": str,
         "staff_message_id": str, "contact": str},
        pk="id", not_null={"channel", "chat", "language", "reason", "status", "created_at"},
    )
    # The rule "one open case per chat" held by the database itself, whatever process writes.
    db.execute("CREATE UNIQUE INDEX cases_one_open_per_chat ON cases(channel, chat) WHERE status != 'closed'")
    db.execute("CREATE INDEX cases_status ON cases(status)")
    db.execute("CREATE INDEX cases_staff_message ON cases(staff_message_id)")
    db["case_events"].create(
        {"id": int, "case_id": str, "at": str, "kind": str, "staff_id": int, "detail": str},
        pk="id", not_null={"case_id", "at", "kind"},
    )
    db["case_events"].create_index(["case_id"])
    db["transcript"].create(
        {"id": int, "channel": str, "chat": str, "at": str, "role": str, "text": str},
        pk="id", not_null={"channel", "chat", "at", "role", "text"},
    )
    db["transcript"].create_index(["channel", "chat", "id"])


MIGRATIONS: dict[int, Callable[[sqlite_utils.Database], None]] = {1: _v1}


def _case(row: dict | tuple | None) -> Case | None:
    if row is None:
        return None
    if not isinstance(row, dict):
        row = dict(zip(_CASE_COLUMNS, row))
    return Case(**{k: row[k] for k in _CASE_COLUMNS})


_SELECT = "SELECT " + ", ".join(_CASE_COLUMNS) + " FROM cases "


class CaseStore:
    """Cases, case events and transcripts. One instance per connection (per process or thread)."""

    def __init__(self, db: sqlite_utils.Database, clock: Callable[[], datetime] = utcnow,
                 transcript_lines: int = TRANSCRIPT_LINES):
        self.db = db
        self.clock = clock
        self.transcript_lines = transcript_lines
        migrate_component(db, "handoff", MIGRATIONS)

    # --- reading ------------------------------------------------------------------------------

    def _one(self, where: str, params: list) -> Case | None:
        return _case(self.db.execute(_SELECT + where, params).fetchone())

    def get(self, case_id: str) -> Case:
        case = self._one("WHERE id = ?", [(case_id or "").strip().upper()])
        if case is None:
            raise UnknownCase(case_id)
        return case

    def open_for(self, channel: str, chat: str) -> Case | None:
        """The chat's waiting or claimed case, if any."""
        return self._one("WHERE channel = ? AND chat = ? AND status != 'closed'", [channel, str(chat)])

    def by_staff_message(self, message_id: str) -> Case | None:
        """The case whose card is this staff-group message (staff answer by replying to it)."""
        return self._one("WHERE staff_message_id = ? ORDER BY rowid DESC LIMIT 1", [str(message_id)])

    def waiting(self) -> list[Case]:
        """The queue, oldest first."""
        return [_case(r) for r in self.db.execute(_SELECT + "WHERE status = 'waiting' ORDER BY rowid").fetchall()]

    def position(self, case_id: str) -> int | None:
        """1 for the oldest waiting case; None once a case is claimed or closed."""
        row = self.db.execute(
            "SELECT (SELECT COUNT(*) FROM cases w WHERE w.status = 'waiting' AND w.rowid <= c.rowid) "
            "FROM cases c WHERE c.id = ? AND c.status = 'waiting'", [case_id]).fetchone()
        return row[0] if row else None

    def events(self, case_id: str) -> list[dict]:
        return [dict(zip(("at", "kind", "staff_id", "detail"), r)) for r in self.db.execute(
            "SELECT at, kind, staff_id, detail FROM case_events WHERE case_id = ? ORDER BY id", [case_id])]

    # --- writing ------------------------------------------------------------------------------

    def _event(self, case_id: str, kind: str, staff_id: int | None = None, detail: str | None = None) -> None:
        # Events carry no personal data: no message text, no contact.
        self.db.execute("INSERT INTO case_events (case_id, at, kind, staff_id, detail) VALUES (?, ?, ?, ?, ?)",
                        [case_id, _iso(self.clock()), kind, staff_id, detail])

    def open(self, channel: str, chat: str, *, language: str, reason: str = "requested",
             procedure_code: str | None = None) -> tuple[Case, bool]:
        """Open a case for the chat, or return its open one: (case, created)."""
        with immediate(self.db):
            existing = self.open_for(channel, chat)
            if existing:
                return existing, False
            now = _iso(self.clock())
            for _ in range(20):
                case_id = "".join(secrets.choice(_ID_ALPHABET) for _ in range(_ID_LENGTH))
                if not self.db.execute("SELECT 1 FROM cases WHERE id = ?", [case_id]).fetchone():
                    break
            self.db.execute(
                "INSERT INTO cases (id, channel, chat, language, procedure_code, reason, status, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, 'waiting', ?)",
                [case_id, channel, str(chat), language, procedure_code, (reason or "requested")[:64], now])
            self._event(case_id, "opened", detail=(reason or "requested")[:64])
            return self.get(case_id), True

    def claim(self, case_id: str, staff_id: int) -> tuple[Case, bool]:
        """Give the waiting case to `staff_id`: (case, claimed now). Claiming one's own case again is
        harmless (claimed now = False). Raises UnknownCase, CaseTaken (someone else has it) or CaseClosed."""
        case_id = (case_id or "").strip().upper()
        with immediate(self.db):
            cur = self.db.execute(
                "UPDATE cases SET status = 'claimed', staff_id = ?, claimed_at = ? WHERE id = ? AND status = 'waiting'",
                [staff_id, _iso(self.clock()), case_id])
            case = self.get(case_id)
            if cur.rowcount == 1:
                self._event(case_id, "claimed", staff_id)
                return case, True
        if case.status == "closed":
            raise CaseClosed(case)
        if case.staff_id != staff_id:
            raise CaseTaken(case)
        return case, False

    def close(self, case_id: str, staff_id: int | None) -> Case:
        """Close a waiting case (any staff) or a claimed one (its claimer only).

        Raises UnknownCase, NotClaimer or CaseClosed."""
        case_id = (case_id or "").strip().upper()
        with immediate(self.db):
            case = self.get(case_id)
            if case.status == "closed":
                raise CaseClosed(case)
            if case.status == "claimed" and case.staff_id != staff_id:
                raise NotClaimer(case)
            self.db.execute("UPDATE cases SET status = 'closed', closed_at = ? WHERE id = ?",
                            [_iso(self.clock()), case_id])
            self._event(case_id, "closed", staff_id)
            return self.get(case_id)

    def set_contact(self, case_id: str, contact: str) -> Case:
        with immediate(self.db):
            self.db.execute("UPDATE cases SET contact = ? WHERE id = ?", [contact, case_id])
            self._event(case_id, "contact_left")
            return self.get(case_id)

    def set_staff_message(self, case_id: str, message_id: str) -> None:
        """Remember the staff-group message that shows the case (replies to it route to the case)."""
        with immediate(self.db):
            self.db.execute("UPDATE cases SET staff_message_id = ? WHERE id = ?", [str(message_id), case_id])

    def record_event(self, case_id: str, kind: str, staff_id: int | None = None, detail: str | None = None) -> None:
        """A free event on the case (no personal data in `detail`)."""
        with immediate(self.db):
            self._event(case_id, kind, staff_id, detail)

    # --- transcript ---------------------------------------------------------------------------

    def add_line(self, channel: str, chat: str, role: str, text: str) -> None:
        """Append a line to the chat's transcript, keeping only the last `transcript_lines`."""
        if role not in ROLES:
            raise ValueError(f"role must be one of {ROLES}")
        text = (text or "").strip()
        if not text:
            return
        if len(text) > MAX_LINE:
            text = text[: MAX_LINE - 1] + "…"
        with immediate(self.db):
            self.db.execute("INSERT INTO transcript (channel, chat, at, role, text) VALUES (?, ?, ?, ?, ?)",
                            [channel, str(chat), _iso(self.clock()), role, text])
            self.db.execute(
                "DELETE FROM transcript WHERE channel = ? AND chat = ? AND id <= "
                "(SELECT id FROM transcript WHERE channel = ? AND chat = ? ORDER BY id DESC LIMIT 1 OFFSET ?)",
                [channel, str(chat), channel, str(chat), self.transcript_lines])

    def transcript(self, channel: str, chat: str, last: int | None = None) -> list[TranscriptLine]:
        """The chat's transcript, oldest first (the last `last` lines if given)."""
        rows = self.db.execute(
            "SELECT at, role, text FROM transcript WHERE channel = ? AND chat = ? ORDER BY id DESC LIMIT ?",
            [channel, str(chat), last or self.transcript_lines]).fetchall()
        return [TranscriptLine(*r) for r in reversed(rows)]

    def purge(self, retention: timedelta = RETENTION) -> tuple[int, int]:
        """Delete personal data past retention: transcript lines of chats without an open case whose
        lines are older than `retention` and whose last case (if any) closed longer ago than that, and the
        contacts of cases closed longer ago. Returns (lines deleted, contacts cleared)."""
        cutoff = _iso(self.clock() - retention)
        with immediate(self.db):
            lines = self.db.execute(
                "DELETE FROM transcript WHERE at < ? AND NOT EXISTS ("
                " SELECT 1 FROM cases c WHERE c.channel = transcript.channel AND c.chat = transcript.chat"
                " AND (c.status != 'closed' OR c.closed_at >= ?))", [cutoff, cutoff]).rowcount
            contacts = self.db.execute(
                "UPDATE cases SET contact = NULL WHERE status = 'closed' AND closed_at < ? AND contact IS NOT NULL",
                [cutoff]).rowcount
        return lines, contacts
