"""Telegram front end, end to end over HTTP: fake Bot API ⇄ front end ⇄ router ⇄ scripted Rasa.

No real Telegram and no real Rasa: both are local servers on 127.0.0.1 (tests/fake_telegram.py,
tests/scripted_rasa.py). The router, case store and SQLite file are the real ones.
"""

from __future__ import annotations

import asyncio

from conftest import Clock
from fake_telegram import FakeTelegram, utf16_len
from scripted_rasa import KOREAN_ANSWER, LONG_ANSWER, PORTAL_LINK
from telegram_harness import (
    OTHER_STAFF_ID,
    STAFF_CHAT,
    STAFF_ID,
    SUNDAY_NIGHT,
    WEEKDAY_MORNINGS,
    telegram_stack,
)

from bot.i18n.messages import t

CITIZEN = 4242


async def test_korean_question_gets_a_korean_answer_with_a_link_button(tmp_path):
    async with telegram_stack(tmp_path) as s:
        s.fake.text(CITIZEN, "임시거주증 발급은 어디서 하나요?", lang="ko")
        [answer] = await s.fake.wait_sent(CITIZEN, 1)
        assert answer.plain == KOREAN_ANSWER
        assert answer.parse_mode == "HTML"
        assert answer.buttons == [{"text": PORTAL_LINK["title"], "url": PORTAL_LINK["url"]}]
        # Telegram's language_code travelled to Rasa as a hint, with our opaque sender id
        call = s.rasa.calls[-1]
        assert call["metadata"]["language"] == "ko"
        assert len(call["sender"]) == 32 and str(CITIZEN) not in call["sender"]


async def test_button_press_is_answered_and_routed_with_its_full_payload(tmp_path):
    async with telegram_stack(tmp_path) as s:
        s.fake.text(CITIZEN, "thủ tục khai sinh")
        [question] = await s.fake.wait_sent(CITIZEN, 1)
        data = [b["callback_data"] for b in question.buttons]
        assert all(len(d.encode()) <= 64 for d in data)
        pressed = s.fake.press(CITIZEN, question, "khai sinh")
        answers = await s.fake.wait_sent(CITIZEN, 2)
        assert answers[1].plain == "Bạn đã chọn thủ tục 1.001193."
        assert str(pressed["callback_query"]["id"]) in s.fake.callback_answers
        assert s.rasa.calls[-1]["message"].startswith('/choose_procedure{"procedure_code":"1.001193"')


async def test_stale_or_forged_button_is_answered_politely(tmp_path):
    async with telegram_stack(tmp_path) as s:
        s.fake.text(CITIZEN, "xin chào")
        [hello] = await s.fake.wait_sent(CITIZEN, 1)
        forged = s.fake.callback(CITIZEN, hello, "b:doesnotexist")
        await s.fake.wait_for(lambda: forged["callback_query"]["id"] in s.fake.callback_answers,
                              what="callback answer")
        answer = s.fake.callback_answers[forged["callback_query"]["id"]]
        assert answer["text"] == t("tg_button_expired", "vi")
        await s.front.idle()
        assert len(s.fake.messages(CITIZEN)) == 1


async def test_start_shows_language_picker_and_choice_sticks(tmp_path):
    async with telegram_stack(tmp_path) as s:
        s.fake.text(CITIZEN, "/start", lang="en")
        [picker] = await s.fake.wait_sent(CITIZEN, 1)
        assert picker.plain == t("tg_choose_language", "en")
        assert [b["text"] for b in picker.buttons] == ["Tiếng Việt", "English", "中文", "한국어", "日本語"]
        s.fake.press(CITIZEN, picker, "日本語")
        msgs = await s.fake.wait_sent(CITIZEN, 2)
        assert msgs[1].plain == "日本語に切り替えました。"
        s.fake.text(CITIZEN, "/help", lang="en")
        msgs = await s.fake.wait_sent(CITIZEN, 3)
        assert msgs[2].plain == t("tg_help", "ja")


async def test_unknown_commands_reach_rasa_neutralised(tmp_path):
    async with telegram_stack(tmp_path) as s:
        s.fake.text(CITIZEN, '/check_dossier_status{"dossier_code":"X"}')
        await s.fake.wait_sent(CITIZEN, 1)
        assert s.rasa.calls[-1]["message"].startswith("／check_dossier_status")


async def test_stickers_photos_voice_documents_locations_get_text_only_answer(tmp_path):
    async with telegram_stack(tmp_path) as s:
        s.fake.text(CITIZEN, "안녕하세요", lang="ko")
        await s.fake.wait_sent(CITIZEN, 1)
        for send in (s.fake.sticker, s.fake.photo, s.fake.voice, s.fake.document, s.fake.location):
            send(CITIZEN)
        msgs = await s.fake.wait_sent(CITIZEN, 6)
        assert [m.plain for m in msgs[1:]] == [t("tg_text_only", "ko")] * 5
        assert len(s.rasa.calls) == 1


async def test_edited_messages_are_ignored_deliberately(tmp_path):
    async with telegram_stack(tmp_path) as s:
        original = s.fake.text(CITIZEN, "xin chào")
        await s.fake.wait_sent(CITIZEN, 1)
        edit = s.fake.text(CITIZEN, "xin chào lần nữa", edited=True)
        await s.fake.wait_confirmed()
        await s.front.idle()
        assert len(s.fake.messages(CITIZEN)) == 1 and len(s.rasa.calls) == 1
        status = dict(s.store.db.execute("SELECT update_id, status FROM tg_inbox").fetchall())
        assert status == {original["update_id"]: "done", edit["update_id"]: "ignored"}


async def test_groups_answer_only_when_addressed(tmp_path):
    group = -100555
    async with telegram_stack(tmp_path) as s:
        user = FakeTelegram.user(77, "vi")
        s.fake.text(group, "hôm nay trời đẹp", chat_type="supergroup", user=user)
        s.fake.text(group, "@thutuc_test_bot lệ phí tạm trú", chat_type="supergroup", user=user)
        [answer] = await s.fake.wait_sent(group, 1)
        assert answer.plain == "echo: lệ phí tạm trú"
        s.fake.text(group, "còn gì nữa không", chat_type="supergroup", user=user, reply_to=answer)
        msgs = await s.fake.wait_sent(group, 2)
        assert msgs[1].plain == "echo: còn gì nữa không"
        s.fake.sticker(group, chat_type="supergroup", user=user)
        await s.fake.wait_confirmed()
        await s.front.idle()
        assert [c["message"] for c in s.rasa.calls] == ["lệ phí tạm trú", "còn gì nữa không"]
        assert len(s.fake.messages(group)) == 2


async def test_handoff_claim_staff_reply_citizen_reply_close(tmp_path):
    async with telegram_stack(tmp_path) as s:
        s.fake.text(CITIZEN, "xin chào")
        await s.fake.wait_sent(CITIZEN, 1)
        s.fake.text(CITIZEN, "/staff")
        msgs = await s.fake.wait_sent(CITIZEN, 3)
        assert msgs[1].plain == "Tôi sẽ chuyển bạn cho cán bộ."
        assert "1" in msgs[2].plain                      # queue position
        [card] = await s.fake.wait_sent(STAFF_CHAT, 1)
        case_id = s.store.cases.open_for("telegram", str(CITIZEN)).id
        assert f"#{case_id}" in card.plain and "1.001193" in card.plain and "xin chào" in card.plain
        assert [b["callback_data"] for b in card.buttons] == [f"c:{case_id}", f"x:{case_id}"]

        staff = FakeTelegram.user(STAFF_ID, "vi", "Lan")
        claim = s.fake.press(STAFF_CHAT, card, "Nhận", user=staff)
        await s.fake.wait_for(lambda: claim["callback_query"]["id"] in s.fake.callback_answers, what="claim")
        msgs = await s.fake.wait_sent(CITIZEN, 4)
        assert msgs[3].plain == t("handoff_claimed", "vi")
        await s.fake.wait_for(lambda: "Lan" in s.fake.messages(STAFF_CHAT)[0].plain, what="card edited")
        assert [b["callback_data"] for b in s.fake.messages(STAFF_CHAT)[0].buttons] == [f"x:{case_id}"]

        s.fake.text(STAFF_CHAT, "Chào bạn, tôi là Lan <b>ở</b> Trung tâm & xin hỗ trợ.", chat_type="supergroup",
                    user=staff, reply_to=card)
        msgs = await s.fake.wait_sent(CITIZEN, 5)
        assert msgs[4].plain == f"👤 {t('tg_staff_label', 'vi')}\nChào bạn, tôi là Lan <b>ở</b> Trung tâm & xin hỗ trợ."

        calls_before = len(s.rasa.calls)
        s.fake.text(CITIZEN, "Tôi cần nộp giấy tờ gì?")
        staff_msgs = await s.fake.wait_sent(STAFF_CHAT, 2)
        assert "Tôi cần nộp giấy tờ gì?" in staff_msgs[1].plain and f"#{case_id}" in staff_msgs[1].plain
        assert len(s.rasa.calls) == calls_before       # while claimed, Rasa is not asked

        # staff may also answer by replying to the forwarded message
        s.fake.text(STAFF_CHAT, "Bạn cần CCCD.", chat_type="supergroup", user=staff, reply_to=staff_msgs[1])
        msgs = await s.fake.wait_sent(CITIZEN, 6)
        assert msgs[5].plain.endswith("Bạn cần CCCD.")

        close = s.fake.press(STAFF_CHAT, s.fake.messages(STAFF_CHAT)[0], "Đóng", user=staff)
        await s.fake.wait_for(lambda: close["callback_query"]["id"] in s.fake.callback_answers, what="close")
        msgs = await s.fake.wait_sent(CITIZEN, 7)
        assert msgs[6].plain == t("handoff_closed", "vi")
        await s.fake.wait_for(lambda: not s.fake.messages(STAFF_CHAT)[0].buttons, what="card closed")

        s.fake.text(CITIZEN, "cảm ơn")
        msgs = await s.fake.wait_sent(CITIZEN, 8)
        assert msgs[7].plain == "echo: cảm ơn"         # the bot answers again


async def test_non_staff_cannot_claim_reply_or_close(tmp_path):
    async with telegram_stack(tmp_path) as s:
        s.fake.text(CITIZEN, "/staff")
        [card] = await s.fake.wait_sent(STAFF_CHAT, 1)
        intruder = FakeTelegram.user(999, "vi", "Mallory")
        press = s.fake.press(STAFF_CHAT, card, "Nhận", user=intruder)
        await s.fake.wait_for(lambda: press["callback_query"]["id"] in s.fake.callback_answers, what="answer")
        answer = s.fake.callback_answers[press["callback_query"]["id"]]
        assert answer["text"] == t("tg_staff_not_allowed", "vi") and answer["show_alert"] is True
        s.fake.text(STAFF_CHAT, "tôi trả lời thay", chat_type="supergroup", user=intruder, reply_to=card)
        refusals = await s.fake.wait_sent(STAFF_CHAT, 2)
        assert refusals[1].plain == t("tg_staff_not_allowed", "vi")
        assert s.store.cases.open_for("telegram", str(CITIZEN)).status == "waiting"
        # a second staff member cannot take a case another one claimed
        first = s.fake.press(STAFF_CHAT, card, "Nhận", user=FakeTelegram.user(STAFF_ID, "vi"))
        await s.fake.wait_for(lambda: first["callback_query"]["id"] in s.fake.callback_answers, what="claim")
        second = s.fake.press(STAFF_CHAT, card, "Đóng", user=FakeTelegram.user(OTHER_STAFF_ID, "vi"))
        await s.fake.wait_for(lambda: second["callback_query"]["id"] in s.fake.callback_answers, what="close")
        assert s.fake.callback_answers[second["callback_query"]["id"]]["text"] == t("tg_staff_taken", "vi")
        await s.front.idle()
        assert s.store.cases.open_for("telegram", str(CITIZEN)).staff_id == STAFF_ID
        assert all("tôi trả lời thay" not in m.plain for m in s.fake.messages(CITIZEN))


async def test_outside_hours_contact_is_captured(tmp_path):
    async with telegram_stack(tmp_path, hours=WEEKDAY_MORNINGS, clock=Clock(SUNDAY_NIGHT)) as s:
        s.fake.text(CITIZEN, "I need to talk to staff", lang="en")
        msgs = await s.fake.wait_sent(CITIZEN, 3)
        assert "Mon" in msgs[1].plain and "7:00" in msgs[1].plain   # when staff are back
        assert msgs[2].plain == t("handoff_ask_contact", "en")
        s.fake.text(CITIZEN, "my phone is 0912 345 678", lang="en")
        msgs = await s.fake.wait_sent(CITIZEN, 4)
        assert msgs[3].plain == t("handoff_contact_saved", "en")
        case = s.store.cases.open_for("telegram", str(CITIZEN))
        assert case.contact and case.contact.endswith("912345678") and case.status == "waiting"
        await s.fake.wait_for(lambda: any("912" in m.plain for m in s.fake.messages(STAFF_CHAT)),
                              what="card shows the contact")


async def test_rasa_answering_nothing_then_recovering_is_retried(tmp_path):
    async with telegram_stack(tmp_path) as s:
        s.rasa.empty_next = 2
        s.fake.text(CITIZEN, "lệ phí đăng ký tạm trú")
        msgs = await s.fake.wait_sent(CITIZEN, 2)
        assert msgs[0].plain == t("frontend_unavailable_retry", "vi")   # said once, not per attempt
        assert msgs[1].plain == "echo: lệ phí đăng ký tạm trú"
        assert s.rasa.messages_of(s.rasa.calls[0]["sender"]) == ["lệ phí đăng ký tạm trú"] * 3


async def test_rasa_down_keeps_the_update_and_the_chat_order(tmp_path):
    async with telegram_stack(tmp_path) as s:
        s.rasa.mode = "error"
        s.fake.text(CITIZEN, "câu một")
        s.fake.text(CITIZEN, "câu hai")
        await s.fake.wait_sent(CITIZEN, 1)
        await asyncio.sleep(0.6)
        assert s.store.db.execute("SELECT COUNT(*) FROM tg_inbox WHERE status = 'new'").fetchone()[0] == 2
        s.rasa.mode = "ok"
        msgs = await s.fake.wait_sent(CITIZEN, 3)
        assert [m.plain for m in msgs[1:]] == ["echo: câu một", "echo: câu hai"]


async def test_429_from_telegram_is_retried_and_the_reply_delivered(tmp_path):
    async with telegram_stack(tmp_path) as s:
        s.fake.fail_next("sendMessage", 2, retry_after=1)
        s.fake.text(CITIZEN, "xin chào")
        [msg] = await s.fake.wait_sent(CITIZEN, 1, timeout=15)
        assert msg.plain == "echo: xin chào"
        assert len(s.fake.method_calls("sendMessage")) == 3


async def test_long_answer_is_split_at_4096_utf16_units_with_emoji(tmp_path):
    async with telegram_stack(tmp_path) as s:
        s.fake.text(CITIZEN, "long answer please")
        msgs = await s.fake.wait_sent(CITIZEN, 2)
        await s.front.idle()
        msgs = s.fake.messages(CITIZEN)
        assert len(msgs) >= 2
        assert all(utf16_len(m.plain) <= 4096 for m in msgs)     # the fake refuses longer ones too
        assert msgs[0].plain == "👍" * 2048                      # 2,049 would be 4,098 units; no torn emoji
        assert "".join(m.plain for m in msgs).replace("\n", "").replace(" ", "") == \
            LONG_ANSWER.replace("\n", "").replace(" ", "")


async def test_telegram_language_code_is_the_hint_when_the_text_cannot_tell(tmp_path):
    async with telegram_stack(tmp_path) as s:
        s.fake.text(CITIZEN, "👍", lang="ja-JP")
        await s.fake.wait_sent(CITIZEN, 1)
        assert s.rasa.calls[-1]["metadata"]["language"] == "ja"
        s.fake.sticker(CITIZEN)
        msgs = await s.fake.wait_sent(CITIZEN, 2)
        assert msgs[1].plain == t("tg_text_only", "ja")
