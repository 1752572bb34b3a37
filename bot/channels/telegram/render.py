"""Replies → Bot API parameters: HTML escaping, 4,096-unit splitting, inline keyboards.

Pure functions (no I/O): the caller supplies `button_id(payload) -> str` that maps a button payload
to a short id stored in SQLite, because Telegram allows only 64 bytes of `callback_data` and our
payloads (Vietnamese titles, JSON slots) easily exceed it.
"""

from __future__ import annotations

import html
import unicodedata
from typing import Callable

from bot.channels.replies import Reply
from bot.i18n.messages import t

__all__ = ["MAX_MESSAGE_UNITS", "MAX_CALLBACK_BYTES", "LANGUAGE_NAMES", "utf16_units", "split_text",
           "render_reply", "render_replies", "language_keyboard", "callback_data_fits"]

MAX_MESSAGE_UNITS = 4096          # Telegram counts the parsed text in UTF-16 code units
MAX_CALLBACK_BYTES = 64

# Shown in their own language, so a reader finds theirs whatever the picker's language.
LANGUAGE_NAMES = {"vi": "Tiếng Việt", "en": "English", "zh": "中文", "ko": "한국어", "ja": "日本語"}

# Code points a split must not fall before: they belong to the character before them (combining
# marks, variation selectors, skin tones, zero-width joiners and what a joiner glues).
_GLUE_CATEGORIES = {"Mn", "Mc", "Me"}


def utf16_units(text: str) -> int:
    return sum(2 if ord(ch) > 0xFFFF else 1 for ch in text)


def _is_glued(text: str, i: int) -> bool:
    """True when a split just before text[i] would tear a character (grapheme) apart."""
    if i <= 0 or i >= len(text):
        return False
    ch, prev = text[i], text[i - 1]
    cp = ord(ch)
    return (unicodedata.category(ch) in _GLUE_CATEGORIES
            or 0xFE00 <= cp <= 0xFE0F or 0x1F3FB <= cp <= 0x1F3FF or 0xE0020 <= cp <= 0xE007F
            or ch == "\u200d" or prev == "\u200d"
            or (0x1F1E6 <= cp <= 0x1F1FF and 0x1F1E6 <= ord(prev) <= 0x1F1FF
                and _regional_pair_start(text, i - 1)))


def _regional_pair_start(text: str, i: int) -> bool:
    # A flag is two regional indicators; count how many precede to know if text[i] starts a pair.
    n = 0
    while i - n - 1 >= 0 and 0x1F1E6 <= ord(text[i - n - 1]) <= 0x1F1FF:
        n += 1
    return n % 2 == 0


def split_text(text: str, limit: int = MAX_MESSAGE_UNITS) -> list[str]:
    """Chunks of at most `limit` UTF-16 units, cut at a paragraph, line, sentence or word boundary
    when one lies in the last fifth of the window, never inside a surrogate pair or a grapheme."""
    if limit < 8:
        raise ValueError("limit too small")
    chunks: list[str] = []
    rest = text
    while utf16_units(rest) > limit:
        # the longest prefix that fits, in code points
        units, end = 0, 0
        for end, ch in enumerate(rest):
            units += 2 if ord(ch) > 0xFFFF else 1
            if units > limit:
                break
        cut = end
        while cut > 0 and _is_glued(rest, cut):
            cut -= 1
        if cut == 0:   # one grapheme longer than the limit (absurd); cut by code points
            cut = end
        floor = int(cut * 0.8)
        for sep in ("\n\n", "\n", ". ", "。", " "):
            at = rest.rfind(sep, floor, cut)
            if at > 0:
                cut = at + len(sep)
                break
        chunk, rest = rest[:cut].rstrip(), rest[cut:].lstrip()
        if chunk:
            chunks.append(chunk)
    if rest.strip() or not chunks:
        chunks.append(rest.rstrip() if chunks else rest)
    return chunks


def callback_data_fits(data: str) -> bool:
    return 1 <= len(data.encode("utf-8")) <= MAX_CALLBACK_BYTES


def _keyboard(reply: Reply, button_id: Callable[[str], str]) -> dict | None:
    rows = [[{"text": b.title, "callback_data": "b:" + button_id(b.payload)}] for b in reply.buttons]
    rows += [[{"text": link.title, "url": link.url}] for link in reply.links]
    return {"inline_keyboard": rows} if rows else None


def render_reply(reply: Reply, lang: str, button_id: Callable[[str], str]) -> list[dict]:
    """sendMessage parameters (chat_id left to the caller) for one reply, split if needed."""
    text = reply.text.strip()
    if not text:
        # Telegram refuses an empty message; buttons or links still need a line above them.
        text = t("tg_links_heading" if reply.links and not reply.buttons else "tg_choose", lang)
    prefix = ""
    if reply.sender == "staff":
        prefix = f"👤 <b>{html.escape(t('tg_staff_label', lang), quote=False)}</b>\n"
    prefix_units = utf16_units(html.unescape(prefix.replace("<b>", "").replace("</b>", "")))
    chunks = split_text(text, MAX_MESSAGE_UNITS - prefix_units)
    params = [{"text": prefix + html.escape(chunk, quote=False), "parse_mode": "HTML"} for chunk in chunks]
    markup = _keyboard(reply, button_id)
    if markup:
        params[-1]["reply_markup"] = markup
    return params


def render_replies(replies: list[Reply], lang: str, button_id: Callable[[str], str]) -> list[dict]:
    out: list[dict] = []
    for reply in replies:
        if reply.text.strip() or reply.buttons or reply.links:
            out.extend(render_reply(reply, lang, button_id))
    return out


def language_keyboard() -> dict:
    buttons = [{"text": name, "callback_data": f"l:{code}"} for code, name in LANGUAGE_NAMES.items()]
    return {"inline_keyboard": [buttons[:2], buttons[2:]]}
