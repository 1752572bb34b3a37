"""The front end's SQLite file (`THUTUC_FRONTEND_DB`): one connection, several owners.

`FrontendStore.open(path)` connects (WAL, busy timeout) and migrates the parts the router uses:
`cases`, `case_events`, `transcript` (bot.handoff), `analytics` (bot.analytics), `chat_state` and
`links` (here). The Telegram inbox and the web outbox keep their own tables in the same file and
migrate them with `bot.storage.migrate_component` under their own component name, using `store.db`.
One process owns the file (WAL does not work across machines); open one store per thread.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Callable

import sqlite_utils

from ..analytics import Analytics
from ..handoff.cases import RETENTION, CaseStore, utcnow
from ..i18n import SUPPORTED
from ..storage import connect, immediate, migrate_component
from .replies import Button

__all__ = ["ChatState", "ChatStore", "FrontendStore", "LinkTracker", "OFFERED_BUTTONS"]

#: Buttons remembered per chat: a press is accepted only for a button the chat was offered.
OFFERED_BUTTONS = 50
_LINK_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"


def _v1(db: sqlite_utils.Database) -> None:
    db["chat_state"].create(
        {"channel": str, "chat": str, "lang_choice": str, "lang": str, "awaiting_contact": str,
         "offered": str, "updated_at": str},
        pk=("channel", "chat"),
    )
    db["links"].create({"id": str, "url": str, "lang": str, "created_at": str}, pk="id",
                       not_null={"url", "lang", "created_at"})
    db["links"].create_index(["url", "lang"], unique=True)


MIGRATIONS = {1: _v1}


@dataclass(frozen=True)
class ChatState:
    channel: str
    chat: str
    lang_choice: str | None = None  # the user's explicit choice (language picker, /lang)
    lang: str | None = None  # the language last used with this chat
    awaiting_contact: str | None = None  # case id while a call-back contact is expected
    offered: tuple[Button, ...] = ()


class ChatStore:
    """Per-chat state of the router (language, awaited contact, buttons offered)."""

    def __init__(self, db: sqlite_utils.Database, clock: Callable[[], datetime] = utcnow):
        self.db = db
        self.clock = clock

    def get(self, channel: str, chat: str) -> ChatState:
        row = self.db.execute(
            "SELECT lang_choice, lang, awaiting_contact, offered FROM chat_state WHERE channel = ? AND chat = ?",
            [channel, str(chat)]).fetchone()
        if not row:
            return ChatState(channel, str(chat))
        offered = tuple(Button(t, p) for t, p in json.loads(row[3] or "[]"))
        return ChatState(channel, str(chat), row[0], row[1], row[2], offered)

    def _upsert(self, channel: str, chat: str, **values) -> None:
        # Column names come from this module's own keyword arguments, never from input.
        cols = ", ".join(values)
        marks = ", ".join("?" for _ in values)
        updates = ", ".join(f"{c} = excluded.{c}" for c in values)
        self.db.execute(
            f"INSERT INTO chat_state (channel, chat, {cols}, updated_at) VALUES (?, ?, {marks}, ?) "
            f"ON CONFLICT(channel, chat) DO UPDATE SET {updates}, updated_at = excluded.updated_at",
            [channel, str(chat), *values.values(), self.clock().isoformat(timespec="seconds")])

    def _set(self, channel: str, chat: str, **values) -> None:
        with immediate(self.db):
            self._upsert(channel, chat, **values)

    def set_choice(self, channel: str, chat: str, lang: str) -> None:
        if lang not in SUPPORTED:
            raise ValueError(f"language must be one of {SUPPORTED}")
        self._set(channel, chat, lang_choice=lang, lang=lang)

    def set_lang(self, channel: str, chat: str, lang: str) -> None:
        self._set(channel, chat, lang=lang)

    def set_awaiting_contact(self, channel: str, chat: str, case_id: str | None) -> None:
        self._set(channel, chat, awaiting_contact=case_id)

    def offer(self, channel: str, chat: str, buttons: list[Button]) -> None:
        """Remember buttons shown to the chat (newest last, bounded)."""
        if not buttons:
            return
        with immediate(self.db):
            kept = [b for b in self.get(channel, chat).offered if b not in buttons] + list(buttons)
            self._upsert(channel, chat,
                         offered=json.dumps([[b.title, b.payload] for b in kept[-OFFERED_BUTTONS:]], ensure_ascii=False))

    def offered(self, channel: str, chat: str, payload: str) -> Button | None:
        return next((b for b in reversed(self.get(channel, chat).offered) if b.payload == payload), None)


class LinkTracker:
    """Short ids for outgoing links, so the web chat can count clicks through `/go/<id>`.

    Only URLs our own replies carried are registered, so `/go/<id>` is never an open redirect."""

    def __init__(self, db: sqlite_utils.Database, analytics: Analytics, clock: Callable[[], datetime] = utcnow):
        self.db = db
        self.analytics = analytics
        self.clock = clock

    def register(self, url: str, lang: str) -> str:
        lang = lang if lang in SUPPORTED else "other"
        with immediate(self.db):
            row = self.db.execute("SELECT id FROM links WHERE url = ? AND lang = ?", [url, lang]).fetchone()
            if row:
                return row[0]
            while True:
                link_id = "".join(secrets.choice(_LINK_ALPHABET) for _ in range(8))
                if not self.db.execute("SELECT 1 FROM links WHERE id = ?", [link_id]).fetchone():
                    break
            self.db.execute("INSERT INTO links (id, url, lang, created_at) VALUES (?, ?, ?, ?)",
                            [link_id, url, lang, self.clock().isoformat(timespec="seconds")])
            return link_id

    def resolve(self, link_id: str, count: bool = True) -> str | None:
        """The URL behind `link_id` (None if unknown), counting a `link_click` in its language."""
        row = self.db.execute("SELECT url, lang FROM links WHERE id = ?", [str(link_id)[:32]]).fetchone()
        if row is None:
            return None
        if count:
            self.analytics.count("link_click", row[1])
        return row[0]


class FrontendStore:
    """Everything the router keeps: `cases` (CaseStore), `chats`, `links`, `analytics`."""

    def __init__(self, db: sqlite_utils.Database, clock: Callable[[], datetime] = utcnow):
        self.db = db
        self.clock = clock
        self.cases = CaseStore(db, clock)
        self.analytics = Analytics(db, clock)
        migrate_component(db, "frontend", MIGRATIONS)
        self.chats = ChatStore(db, clock)
        self.links = LinkTracker(db, self.analytics, clock)

    @classmethod
    def open(cls, path: Path, clock: Callable[[], datetime] = utcnow) -> "FrontendStore":
        db = connect(Path(path))
        # In WAL mode NORMAL skips the fsync at each commit (several per message: counters, transcript,
        # inbox); a commit still survives a crash or kill -9 of the process, only a power cut or OS
        # crash can lose the last ones. FULL cost ~1 ms a commit here, the whole budget of a message.
        db.execute("PRAGMA synchronous = NORMAL")
        return cls(db, clock)

    def purge(self, retention: timedelta = RETENTION) -> tuple[int, int]:
        """Delete transcripts and contacts past the retention period (see bot.handoff.cases)."""
        return self.cases.purge(retention)

    def close(self) -> None:
        self.db.close()
