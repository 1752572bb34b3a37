"""Validation of everything the browser sends, at the edge, before the router sees it.

Each check returns a clean value or raises `BadInput` naming a `web_error_*` message, which the app
turns into a 400 with a clear text in the user's language.
"""

from __future__ import annotations

import re
import unicodedata

from ...i18n import SUPPORTED
from ..router import MAX_TEXT as ROUTER_MAX_TEXT

__all__ = ["BadInput", "MAX_PAYLOAD", "MAX_TEXT", "check_after", "check_payload", "check_chat", "check_lang", "clean_text"]

#: Longest question accepted (characters after cleaning): the router's limit, so the web and Telegram
#: accept the same messages.
MAX_TEXT = ROUTER_MAX_TEXT
#: Longest button payload (ours are `/intent{"slot": "value"}`, well under this).
MAX_PAYLOAD = 300

_CHAT = re.compile(r"[A-Za-z0-9_-]{16,64}")
# Invisible characters that only hide or reorder text: zero-width space, word joiner, BOM, bidi
# embeddings/overrides/isolates and Unicode tag characters (a known way to smuggle hidden text).
# ZWNJ/ZWJ (U+200C/D) stay: emoji sequences and some scripts need them.
_INVISIBLE = re.compile("[\u200b\u2060\ufeff\u202a-\u202e\u2066-\u2069\U000e0000-\U000e007f]")


class BadInput(ValueError):
    """An input the API refuses; `key` names the web_error_* text, `field` the offending field."""

    def __init__(self, key: str, field: str, **values):
        super().__init__(f"{field}: {key}")
        self.key, self.field, self.values = key, field, values


def check_chat(value) -> str:
    if not isinstance(value, str) or not _CHAT.fullmatch(value):
        raise BadInput("web_error_chat", "chat")
    return value


def check_lang(value, *, required: bool = True) -> str | None:
    if value is None and not required:
        return None
    if not isinstance(value, str) or value not in SUPPORTED:
        raise BadInput("web_error_lang", "lang")
    return value


def check_payload(value) -> str:
    """A button payload as the page received it; the router accepts it only if this chat was offered
    that button (so a crafted `/intent{"slot": …}` never reaches Rasa from here)."""
    if (not isinstance(value, str) or not value.strip() or len(value) > MAX_PAYLOAD
            or any(unicodedata.category(c) == "Cc" for c in value)):
        raise BadInput("web_error_button", "payload")
    return value


def check_after(value: str | None) -> int:
    if value is None or value == "":
        return 0
    if not value.isascii() or not value.isdigit() or len(value) > 18:
        raise BadInput("web_error_after", "after")
    return int(value)


def clean_text(value) -> str:
    """NFC (macOS and some keyboards send decomposed Vietnamese), invisible characters dropped, tabs
    as spaces, line ends kept; any other control character is refused rather than silently changed."""
    if not isinstance(value, str):
        raise BadInput("web_error_text_empty", "text")
    if len(value) > MAX_TEXT * 4:  # refuse huge input before spending work on it
        raise BadInput("web_error_text_long", "text", max=MAX_TEXT)
    text = unicodedata.normalize("NFC", value).replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    text = _INVISIBLE.sub("", text)
    if any(unicodedata.category(c) == "Cc" and c != "\n" for c in text):
        raise BadInput("web_error_text_control", "text")
    text = text.strip()
    if not text:
        raise BadInput("web_error_text_empty", "text")
    if len(text) > MAX_TEXT:
        raise BadInput("web_error_text_long", "text", max=MAX_TEXT)
    return text
