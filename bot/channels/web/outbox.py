"""The web chat's outbox: replies delivered to a browser outside a request (staff answers, case
closed…), kept in the front-end SQLite file until the page fetches them with `/api/poll`.

A browser is not reachable like a Telegram chat, so the web channel's `Deliver` writes here and wakes
the page's waiting long poll. Rows are kept (not deleted when read) so a reload or a second tab still
sees them; `purge` drops old ones.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Callable

import sqlite_utils

from ...handoff.cases import utcnow
from ...storage import immediate, migrate_component
from ..replies import Reply

__all__ = ["OUTBOX_RETENTION", "Outbox", "WebDeliver"]

#: Undelivered replies wait this long for the page to come back.
OUTBOX_RETENTION = timedelta(days=7)
#: At most this many messages per poll answer (the page asks again at once for more).
POLL_BATCH = 50


def _v1(db: sqlite_utils.Database) -> None:
    db.execute("CREATE TABLE web_outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, chat TEXT NOT NULL, "
               "replies TEXT NOT NULL, created_at TEXT NOT NULL)")
    db.execute("CREATE INDEX web_outbox_chat ON web_outbox (chat, id)")


MIGRATIONS = {1: _v1}


def _reply_json(reply: Reply) -> dict:
    return asdict(reply)


def _reply_from(obj: dict) -> Reply:
    from ..replies import Button, Link

    return Reply(text=obj.get("text", ""), sender=obj.get("sender", "bot"),
                 buttons=[Button(**b) for b in obj.get("buttons", [])],
                 links=[Link(**link) for link in obj.get("links", [])])


class Outbox:
    def __init__(self, db: sqlite_utils.Database, clock: Callable[[], datetime] = utcnow):
        self.db = db
        self.clock = clock
        migrate_component(db, "web", MIGRATIONS)
        self._waiters: dict[str, set[asyncio.Event]] = {}

    def put(self, chat: str, replies: list[Reply]) -> int:
        with immediate(self.db):
            cur = self.db.execute("INSERT INTO web_outbox (chat, replies, created_at) VALUES (?, ?, ?)",
                                  [chat, json.dumps([_reply_json(r) for r in replies], ensure_ascii=False),
                                   self.clock().isoformat(timespec="seconds")])
            row_id = cur.lastrowid
        for event in self._waiters.get(chat, ()):
            event.set()
        return row_id

    def after(self, chat: str, after: int, limit: int = POLL_BATCH) -> list[tuple[int, list[Reply]]]:
        rows = self.db.execute("SELECT id, replies FROM web_outbox WHERE chat = ? AND id > ? ORDER BY id LIMIT ?",
                               [chat, after, limit]).fetchall()
        return [(row_id, [_reply_from(r) for r in json.loads(raw)]) for row_id, raw in rows]

    def last_id(self, chat: str) -> int:
        row = self.db.execute("SELECT MAX(id) FROM web_outbox WHERE chat = ?", [chat]).fetchone()
        return row[0] or 0

    async def wait(self, chat: str, after: int, timeout: float) -> list[tuple[int, list[Reply]]]:
        """Messages after `after`, waiting up to `timeout` seconds for one to arrive (long poll)."""
        found = self.after(chat, after)
        if found or timeout <= 0:
            return found
        event = asyncio.Event()
        self._waiters.setdefault(chat, set()).add(event)
        try:
            await asyncio.wait_for(event.wait(), timeout)
        except asyncio.TimeoutError:
            pass
        finally:
            waiters = self._waiters.get(chat)
            if waiters is not None:
                waiters.discard(event)
                if not waiters:
                    del self._waiters[chat]
        return self.after(chat, after)

    def wake_all(self) -> None:
        """Release every waiting poll (at shutdown, so the server does not wait for them)."""
        for waiters in self._waiters.values():
            for event in waiters:
                event.set()

    def purge(self, retention: timedelta = OUTBOX_RETENTION) -> int:
        cutoff = (self.clock() - retention).isoformat(timespec="seconds")
        with immediate(self.db):
            return self.db.execute("DELETE FROM web_outbox WHERE created_at < ?", [cutoff]).rowcount


class WebDeliver:
    """The web channel's `Deliver` for the router: replies sent to a chat outside a request."""

    def __init__(self, outbox: Outbox):
        self.outbox = outbox

    async def __call__(self, chat: str, replies: list[Reply]) -> None:
        if replies:
            self.outbox.put(str(chat), list(replies))
