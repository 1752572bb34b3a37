"""Telegram rendering and storage, offline: splitting, escaping, callback data, inbox bookkeeping."""

from __future__ import annotations

import re

from fake_telegram import parse_html, utf16_len
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.channels.replies import Button, Link, Reply
from bot.channels.telegram.inbox import Outgoing, TelegramStore, chat_of_update
from bot.channels.telegram.render import (
    MAX_MESSAGE_UNITS,
    callback_data_fits,
    language_keyboard,
    render_reply,
    split_text,
    utf16_units,
)
from bot.channels.telegram.staff import card_keyboard, card_text
from bot.handoff import Case, TranscriptLine
from bot.i18n.messages import MESSAGES, t
from bot.storage import connect

VI_PAYLOADS = ['/choose_procedure{"procedure_code":"1.001193","tên":"' + "hồ sơ " * n + '"}' for n in (1, 13, 60)]


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_split_counts_utf16_units_and_never_tears_an_emoji():
    text = "👍" * 2049
    chunks = split_text(text)
    assert [utf16_units(c) for c in chunks] == [4096, 2]
    assert "".join(chunks) == text


def test_split_prefers_paragraphs_then_lines_then_words():
    para = "Hồ sơ gồm bản sao giấy khai sinh. " * 100
    chunks = split_text(para + "\n\n" + para, limit=4096)
    assert chunks == [para.strip(), para.strip()]
    words = split_text("lệ phí " * 1000, limit=1000)
    assert all(set(chunk.split()) <= {"lệ", "phí"} for chunk in words)      # no word cut in two


def test_split_keeps_graphemes_whole():
    family = "👨\u200d👩\u200d👧\u200d👦"          # one picture made of 7 code points
    flag = "🇻🇳"
    decomposed = "e\u0302\u0323"                     # ệ written with combining marks
    for unit in (family, flag, decomposed, "👍🏽"):
        chunks = split_text(unit * 300, limit=100)
        assert all(utf16_units(c) <= 100 for c in chunks)
        assert all(len(c) % len(unit) == 0 and c == unit * (len(c) // len(unit)) for c in chunks), unit


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab \n.ệ") + ["👍", "\u0301", "\u200d", "🇻", "🏽", "中"]),
               max_size=600),
       st.integers(min_value=16, max_value=120))
def test_split_property_fits_and_loses_nothing(text, limit):
    chunks = split_text(text, limit)
    assert all(utf16_units(c) <= limit for c in chunks)
    assert _squash("".join(chunks)) == _squash(text)


def test_reply_is_escaped_html_telegram_parses_back_to_the_same_text():
    reply = Reply("Lệ phí < 50.000đ & hồ sơ <b>gốc</b> \"A\"")
    [params] = render_reply(reply, "vi", lambda p: "x")
    plain, error = parse_html(params["text"])
    assert error is None and plain == reply.text and params["parse_mode"] == "HTML"


def test_staff_reply_is_labelled_and_still_fits():
    reply = Reply("x" * 5000, sender="staff")
    params = render_reply(reply, "ko", lambda p: "x")
    assert params[0]["text"].startswith(f"👤 <b>{t('tg_staff_label', 'ko')}</b>\n")
    for p in params:
        plain, error = parse_html(p["text"])
        assert error is None and utf16_len(plain) <= MAX_MESSAGE_UNITS


def test_callback_data_are_short_ids_even_for_long_vietnamese_payloads(tmp_path):
    store = TelegramStore(connect(tmp_path / "f.db"))
    assert len(VI_PAYLOADS[1].encode()) > 64                       # "hồ sơ" × 13 overflows as text
    reply = Reply("Chọn thủ tục", buttons=[Button(f"Thủ tục {i}", p) for i, p in enumerate(VI_PAYLOADS)],
                  links=[Link("Nộp trực tuyến", "https://dichvucong.gov.vn")])
    [params] = render_reply(reply, "vi", store.button_id)
    rows = params["reply_markup"]["inline_keyboard"]
    data = [row[0]["callback_data"] for row in rows[:3]]
    assert all(callback_data_fits(d) for d in data) and len(set(data)) == 3
    assert [store.button_payload(d[2:]) for d in data] == VI_PAYLOADS
    assert rows[3] == [{"text": "Nộp trực tuyến", "url": "https://dichvucong.gov.vn"}]
    assert store.button_id(VI_PAYLOADS[0]) == data[0][2:]           # stable: a re-render maps the same
    assert store.button_payload("nope") is None
    assert all(callback_data_fits(b["callback_data"]) for row in language_keyboard()["inline_keyboard"] for b in row)


def test_a_reply_with_links_only_gets_a_heading():
    [params] = render_reply(Reply("", links=[Link("Cổng", "https://dichvucong.gov.vn")]), "ja", lambda p: "x")
    assert params["text"] == t("tg_links_heading", "ja")


def test_inbox_dedupes_by_update_id_and_clears_texts_once_handled(tmp_path):
    store = TelegramStore(connect(tmp_path / "f.db"))
    update = {"update_id": 7, "message": {"message_id": 1, "chat": {"id": 5}, "text": "số CCCD 0123"}}
    assert store.receive([update]) == [5]
    assert store.receive([update]) == []                            # Telegram's redelivery
    assert store.next_offset() == 8
    row = store.next_update(5)
    assert row.raw == update
    store.finish(7, [Outgoing(5, "sendMessage", {"chat_id": 5, "text": "ok"})])
    assert store.next_update(5) is None
    assert store.db.execute("SELECT raw FROM tg_inbox").fetchone()[0] is None
    out = store.next_outgoing(5)
    store.mark_sent(out, 99)
    assert store.next_outgoing(5) is None
    assert store.db.execute("SELECT params, message_id FROM tg_outbox").fetchone() == ("{}", 99)
    assert store.receive([update]) == []                            # still deduplicated after handling


def test_chat_of_update_covers_messages_callbacks_and_others():
    assert chat_of_update({"update_id": 1, "edited_message": {"chat": {"id": -3}}}) == -3
    assert chat_of_update({"update_id": 1, "callback_query": {"from": {"id": 9}, "message": {"chat": {"id": 4}}}}) == 4
    assert chat_of_update({"update_id": 1, "callback_query": {"from": {"id": 9}}}) == 9
    assert chat_of_update({"update_id": 1, "poll": {}}) == 0


def test_case_card_is_escaped_bounded_and_has_claim_close():
    case = Case(id="ABC234", channel="web", chat="x", language="ko", procedure_code=None, reason="requested",
                status="waiting", created_at="2025-03-03T02:00:00+00:00", contact="<0912345678>")
    lines = [TranscriptLine("2025-03-03T01:59:00+00:00", "user", "<script>" + "x" * 2000),
             TranscriptLine("2025-03-03T02:05:00+00:00", "staff", "after the card")]
    text = card_text(case, lines)
    plain, error = parse_html(text)
    assert error is None and "<script>" in plain and "<0912345678>" in plain and "after the card" not in plain
    assert utf16_len(plain) < 4096 and "#ABC234" in plain and "한국어" in plain
    assert [b["callback_data"] for b in card_keyboard(case)["inline_keyboard"][0]] == ["c:ABC234", "x:ABC234"]


def test_every_telegram_text_exists_in_the_five_languages():
    keys = [k for k in MESSAGES if k.startswith("tg_")]
    assert len(keys) > 20
    for key in keys:
        assert set(MESSAGES[key]) == {"vi", "en", "zh", "ko", "ja"}, key
        assert all(len(t(key, lang)) <= 200 for lang in MESSAGES[key]
                   if key.startswith(("tg_staff_", "tg_button_"))), key    # callback answers ≤ 200
