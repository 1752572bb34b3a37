"""The Telegram front end's durable state, in the front-end SQLite file (tables `tg_*`).

python-telegram-bot confirms updates to Telegram before handling them, so a crash would lose them.
Here every update goes through two tables:

- `tg_inbox`: each update is stored (raw JSON, `INSERT OR IGNORE` by `update_id`, so Telegram's
  redeliveries are deduplicated) *before* Telegram is told we have it (the next getUpdates offset,
  or the webhook's 200). It stays `new` until it has been handled; at start every `new` row is
  replayed, oldest first per chat.
- `tg_outbox`: handling an update ends with ONE transaction that marks the update `done` and
  queues every message it produced. A sender then sends them in order per chat, marking each row
  `sent` right after Telegram accepted it. So a crash never re-runs a handled message through Rasa,
  and the only duplicate possible is a message Telegram accepted whose `sent` mark was not yet
  committed: the HTTP answer's way back plus one commit, a few ms (see docs/channels.md).

Texts of users leave the tables as soon as they are handled or sent (`raw` and `params` are
cleared); the rows themselves are kept `KEEP` long to deduplicate late redeliveries.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from typing import Any, Iterable

import sqlite_utils

from bot.storage import immediate, migrate_component

__all__ = ["InboxRow", "OutboxRow", "Outgoing", "TelegramStore", "chat_of_update", "KEEP"]

KEEP = 3 * 24 * 3600          # seconds: Telegram keeps undelivered updates 24 h


def _v1(db: sqlite_utils.Database) -> None:
    db.execute("""CREATE TABLE tg_inbox (
        update_id INTEGER PRIMARY KEY,
        chat_id INTEGER NOT NULL,           -- processing order key (0 for updates without a chat)
        raw TEXT,                           -- the update's JSON; cleared once handled
        status TEXT NOT NULL DEFAULT 'new', -- new | done | ignored | failed
        attempts INTEGER NOT NULL DEFAULT 0,
        not_before REAL NOT NULL DEFAULT 0, -- retry back-off (epoch seconds)
        received REAL NOT NULL,
        finished REAL,
        error TEXT)""")
    db.execute("CREATE INDEX tg_inbox_pending ON tg_inbox(chat_id, update_id) WHERE status = 'new'")
    db.execute("""CREATE TABLE tg_outbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        chat_id INTEGER NOT NULL,
        update_id INTEGER,                  -- the update that produced it (NULL: from another channel)
        method TEXT NOT NULL,               -- sendMessage | editCard
        params TEXT NOT NULL,               -- JSON; cleared once sent
        tag TEXT,                           -- JSON: {"case": id, "kind": "card" | "forward"}
        status TEXT NOT NULL DEFAULT 'pending',  -- pending | sent | failed
        attempts INTEGER NOT NULL DEFAULT 0,
        not_before REAL NOT NULL DEFAULT 0,
        created REAL NOT NULL,
        sent_at REAL,
        message_id INTEGER,
        error TEXT)""")
    db.execute("CREATE INDEX tg_outbox_pending ON tg_outbox(chat_id, id) WHERE status = 'pending'")
    # callback_data holds at most 64 bytes: buttons carry a short id, the payload stays here.
    db.execute("""CREATE TABLE tg_buttons (
        id TEXT PRIMARY KEY, payload TEXT NOT NULL, created REAL NOT NULL)""")
    # Staff-group messages that stand for a case (its card, forwarded citizen messages): a staff
    # member's reply to any of them goes to that case.
    db.execute("""CREATE TABLE tg_case_messages (
        chat_id INTEGER NOT NULL, message_id INTEGER NOT NULL, case_id TEXT NOT NULL,
        kind TEXT NOT NULL, created REAL NOT NULL, PRIMARY KEY (chat_id, message_id))""")
    db.execute("CREATE INDEX tg_case_messages_case ON tg_case_messages(case_id, kind)")
    db.execute("CREATE TABLE tg_meta (key TEXT PRIMARY KEY, value TEXT)")


MIGRATIONS = {1: _v1}


def chat_of_update(raw: dict) -> int:
    """The chat whose order an update belongs to (0 when it has none)."""
    for key in ("message", "edited_message", "channel_post", "edited_channel_post"):
        if isinstance(raw.get(key), dict):
            return int((raw[key].get("chat") or {}).get("id") or 0)
    query = raw.get("callback_query")
    if isinstance(query, dict):
        message = query.get("message") or {}
        chat = (message.get("chat") or {}).get("id")
        return int(chat or (query.get("from") or {}).get("id") or 0)
    return 0


@dataclass(frozen=True)
class InboxRow:
    update_id: int
    chat_id: int
    raw: dict
    attempts: int
    not_before: float
    received: float


@dataclass(frozen=True)
class OutboxRow:
    id: int
    chat_id: int
    update_id: int | None
    method: str
    params: dict
    tag: dict | None
    attempts: int
    not_before: float


@dataclass
class Outgoing:
    """A message to queue: Bot API method, its parameters (chat_id included) and an optional tag."""
    chat_id: int
    method: str
    params: dict
    tag: dict | None = None


class TelegramStore:
    def __init__(self, db: sqlite_utils.Database, clock=time.time):
        self.db = db
        self.clock = clock
        migrate_component(db, "telegram", MIGRATIONS)

    # ---- inbox ----------------------------------------------------------------------------------
    def receive(self, updates: Iterable[dict]) -> list[int]:
        """Store updates not seen before (one transaction); returns the chats that got new work."""
        now = self.clock()
        chats: list[int] = []
        with immediate(self.db):
            for raw in updates:
                chat = chat_of_update(raw)
                cur = self.db.execute(
                    "INSERT OR IGNORE INTO tg_inbox (update_id, chat_id, raw, received) VALUES (?, ?, ?, ?)",
                    [int(raw["update_id"]), chat, json.dumps(raw, ensure_ascii=False), now])
                if cur.rowcount == 1 and chat not in chats:
                    chats.append(chat)
        return chats

    def next_offset(self) -> int:
        """getUpdates offset after restart: past every update already stored."""
        row = self.db.execute("SELECT MAX(update_id) FROM tg_inbox").fetchone()
        return (row[0] + 1) if row and row[0] is not None else 0

    def next_update(self, chat_id: int) -> InboxRow | None:
        row = self.db.execute(
            "SELECT update_id, chat_id, raw, attempts, not_before, received FROM tg_inbox "
            "WHERE status = 'new' AND chat_id = ? ORDER BY update_id LIMIT 1", [chat_id]).fetchone()
        if row is None:
            return None
        return InboxRow(row[0], row[1], json.loads(row[2]), row[3], row[4], row[5])

    def chats_with_updates(self) -> list[int]:
        return [r[0] for r in self.db.execute(
            "SELECT chat_id FROM tg_inbox WHERE status = 'new' GROUP BY chat_id ORDER BY MIN(update_id)")]

    def _queue(self, outgoing: list[Outgoing], update_id: int | None, now: float) -> None:
        for out in outgoing:
            self.db.execute(
                "INSERT INTO tg_outbox (chat_id, update_id, method, params, tag, created) VALUES (?, ?, ?, ?, ?, ?)",
                [out.chat_id, update_id, out.method, json.dumps(out.params, ensure_ascii=False),
                 json.dumps(out.tag) if out.tag else None, now])

    def finish(self, update_id: int, outgoing: list[Outgoing], status: str = "done",
               error: str | None = None) -> None:
        """Handled: the update leaves the inbox and its messages enter the outbox, atomically."""
        now = self.clock()
        with immediate(self.db):
            self._queue(outgoing, update_id, now)
            self.db.execute("UPDATE tg_inbox SET status = ?, raw = NULL, finished = ?, error = ?, "
                            "attempts = attempts + 1 WHERE update_id = ?", [status, now, error, update_id])

    def retry_later(self, update_id: int, delay: float, outgoing: list[Outgoing], error: str) -> None:
        """Not handled (Rasa down…): stays `new`, tried again after `delay`; `outgoing` (the polite
        'please wait' message) is queued in the same transaction."""
        now = self.clock()
        with immediate(self.db):
            self._queue(outgoing, update_id, now)
            self.db.execute("UPDATE tg_inbox SET attempts = attempts + 1, not_before = ?, error = ? "
                            "WHERE update_id = ?", [now + delay, error[:200], update_id])

    def inbox_counts(self) -> dict[str, int]:
        return {status: n for status, n in self.db.execute(
            "SELECT status, COUNT(*) FROM tg_inbox GROUP BY status")}

    # ---- outbox ---------------------------------------------------------------------------------
    def enqueue(self, outgoing: list[Outgoing]) -> None:
        """Messages produced outside a Telegram update (web citizen → staff group, staff → citizen)."""
        if outgoing:
            with immediate(self.db):
                self._queue(outgoing, None, self.clock())

    def next_outgoing(self, chat_id: int) -> OutboxRow | None:
        row = self.db.execute(
            "SELECT id, chat_id, update_id, method, params, tag, attempts, not_before FROM tg_outbox "
            "WHERE status = 'pending' AND chat_id = ? ORDER BY id LIMIT 1", [chat_id]).fetchone()
        if row is None:
            return None
        return OutboxRow(row[0], row[1], row[2], row[3], json.loads(row[4]),
                         json.loads(row[5]) if row[5] else None, row[6], row[7])

    def chats_with_outgoing(self) -> list[int]:
        return [r[0] for r in self.db.execute(
            "SELECT chat_id FROM tg_outbox WHERE status = 'pending' GROUP BY chat_id ORDER BY MIN(id)")]

    def mark_sent(self, row: OutboxRow, message_id: int | None) -> None:
        """Telegram accepted the message: from here a crash can no longer repeat it."""
        now = self.clock()
        with immediate(self.db):
            self.db.execute("UPDATE tg_outbox SET status = 'sent', params = '{}', sent_at = ?, message_id = ?, "
                            "attempts = attempts + 1 WHERE id = ?", [now, message_id, row.id])
            if row.tag and row.tag.get("case") and message_id is not None and row.method == "sendMessage":
                self.db.execute(
                    "INSERT OR REPLACE INTO tg_case_messages (chat_id, message_id, case_id, kind, created) "
                    "VALUES (?, ?, ?, ?, ?)", [row.chat_id, message_id, row.tag["case"],
                                               row.tag.get("kind", "card"), now])

    def mark_failed(self, row: OutboxRow, error: str) -> None:
        with immediate(self.db):
            self.db.execute("UPDATE tg_outbox SET status = 'failed', params = '{}', attempts = attempts + 1, "
                            "error = ? WHERE id = ?", [error[:200], row.id])

    def postpone(self, row: OutboxRow, delay: float, error: str) -> None:
        with immediate(self.db):
            self.db.execute("UPDATE tg_outbox SET attempts = attempts + 1, not_before = ?, error = ? WHERE id = ?",
                            [self.clock() + delay, error[:200], row.id])

    # ---- buttons and case messages --------------------------------------------------------------
    def button_id(self, payload: str) -> str:
        """A short stable id for a button payload (the same payload always gets the same id)."""
        button = hashlib.blake2b(payload.encode(), digest_size=9).hexdigest()
        self.db.execute("INSERT OR IGNORE INTO tg_buttons (id, payload, created) VALUES (?, ?, ?)",
                        [button, payload, self.clock()])
        return button

    def button_payload(self, button: str) -> str | None:
        row = self.db.execute("SELECT payload FROM tg_buttons WHERE id = ?", [button[:32]]).fetchone()
        return row[0] if row else None

    def case_of_message(self, chat_id: int, message_id: int) -> str | None:
        row = self.db.execute("SELECT case_id FROM tg_case_messages WHERE chat_id = ? AND message_id = ?",
                              [chat_id, message_id]).fetchone()
        return row[0] if row else None

    def card_messages(self, chat_id: int, case_id: str) -> list[int]:
        return [r[0] for r in self.db.execute(
            "SELECT message_id FROM tg_case_messages WHERE chat_id = ? AND case_id = ? AND kind = 'card' "
            "ORDER BY message_id", [chat_id, case_id])]

    # ---- key/value --------------------------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM tg_meta WHERE key = ?", [key]).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: Any) -> None:
        with immediate(self.db):
            self.db.execute("INSERT OR REPLACE INTO tg_meta (key, value) VALUES (?, ?)", [key, str(value)])

    def prune(self, keep: float = KEEP) -> int:
        """Forget handled updates and sent messages older than `keep` seconds (dedupe horizon)."""
        cutoff = self.clock() - keep
        with immediate(self.db):
            n = self.db.execute("DELETE FROM tg_inbox WHERE status != 'new' AND finished < ?", [cutoff]).rowcount
            n += self.db.execute("DELETE FROM tg_outbox WHERE status != 'pending' AND created < ?",
                                 [cutoff]).rowcount
        return n
