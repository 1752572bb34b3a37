"""Telegram front end at its edges: start-up failures, poison updates, blocked users, web citizens."""

from __future__ import annotations

import asyncio

import pytest
from fake_telegram import FakeTelegram
from scripted_rasa import ScriptedRasa, free_port
from telegram.error import InvalidToken
from telegram_harness import STAFF_CHAT, STAFF_ID, telegram_settings, telegram_stack

from bot.channels.rasa_client import AsyncRasaClient
from bot.channels.router import ConversationRouter
from bot.channels.store import FrontendStore
from bot.channels.telegram import start_telegram
from bot.handoff import OfficeHours
from bot.i18n.messages import t

CITIZEN = 777


async def test_a_wrong_token_fails_at_start(tmp_path):
    fake = await FakeTelegram().start()
    settings = telegram_settings(tmp_path, fake).with_(telegram_token="999:WRONG")
    store = FrontendStore.open(settings.frontend_db)
    router = ConversationRouter(settings, AsyncRasaClient("http://127.0.0.1:9"), store,
                                hours=OfficeHours.unknown())
    try:
        with pytest.raises(InvalidToken):
            await start_telegram(settings, router)
    finally:
        await router.rasa.aclose()
        store.close()
        await fake.stop()


async def test_telegram_unreachable_at_start_is_retried_in_the_background(tmp_path):
    fake = FakeTelegram()
    fake.port = free_port()                      # nothing listens there yet
    rasa = await ScriptedRasa().start()
    settings = telegram_settings(tmp_path, fake, rasa.port)
    store = FrontendStore.open(settings.frontend_db)
    client = AsyncRasaClient(rasa.url)
    router = ConversationRouter(settings, client, store, hours=OfficeHours.unknown())
    front = await start_telegram(settings, router, poll_timeout=1.0)
    try:
        assert not front.running
        await fake.start()
        for _ in range(60):
            if front.running:
                break
            await asyncio.sleep(0.1)
        assert front.running
        fake.text(CITIZEN, "xin chào")
        [msg] = await fake.wait_sent(CITIZEN, 1)
        assert msg.plain == "echo: xin chào"
    finally:
        await front.stop(drain=2)
        await client.aclose()
        store.close()
        await rasa.stop()
        await fake.stop()


async def test_a_poison_update_is_given_up_with_an_apology_and_the_chat_goes_on(tmp_path, monkeypatch):
    async with telegram_stack(tmp_path) as s:
        real = s.router.on_text

        async def flaky(channel, chat, text, hint=None, **kw):
            if text == "boom":
                raise ValueError("a bug")
            return await real(channel, chat, text, hint, **kw)

        monkeypatch.setattr(s.router, "on_text", flaky)
        s.fake.text(CITIZEN, "boom")
        s.fake.text(CITIZEN, "sau đó")
        msgs = await s.fake.wait_sent(CITIZEN, 2)
        assert [m.plain for m in msgs] == [t("tg_error", "vi"), "echo: sau đó"]
        status = [r[0] for r in s.store.db.execute("SELECT status FROM tg_inbox ORDER BY update_id")]
        assert status == ["failed", "done"]


async def test_a_user_who_blocked_the_bot_does_not_block_the_queue(tmp_path):
    async with telegram_stack(tmp_path) as s:
        s.fake.fail_next("sendMessage", 1, code=403, description="Forbidden: bot was blocked by the user")
        s.fake.text(CITIZEN, "một")
        s.fake.text(CITIZEN, "hai")
        [msg] = await s.fake.wait_sent(CITIZEN, 1)
        assert msg.plain == "echo: hai"
        failed = s.store.db.execute("SELECT COUNT(*) FROM tg_outbox WHERE status = 'failed'").fetchone()[0]
        assert failed == 1


async def test_a_web_citizen_reaches_the_staff_group_and_gets_the_answer(tmp_path):
    async with telegram_stack(tmp_path) as s:
        delivered: list = []

        async def web_deliver(chat, replies):
            delivered.append((chat, replies))

        s.router.register("web", web_deliver)
        web_chat = "browser-chat-0123456789"
        replies = await s.router.on_text("web", web_chat, "cho tôi gặp cán bộ")
        assert replies                            # the router's answer goes back over HTTP
        [card] = await s.fake.wait_sent(STAFF_CHAT, 1)   # posted outside any Telegram update
        assert "web" in card.plain
        s.fake.text(STAFF_CHAT, "Chào bạn!", chat_type="supergroup",
                    user=FakeTelegram.user(STAFF_ID, "vi", "Lan"), reply_to=card)
        for _ in range(50):
            if delivered:
                break
            await asyncio.sleep(0.05)
        [(chat, [reply])] = delivered
        assert chat == web_chat and reply.text == "Chào bạn!" and reply.sender == "staff"


async def test_staff_group_chatter_and_commands_are_ignored(tmp_path):
    async with telegram_stack(tmp_path) as s:
        staff = FakeTelegram.user(STAFF_ID, "vi")
        s.fake.text(STAFF_CHAT, "trưa nay ăn gì?", chat_type="supergroup", user=staff)
        s.fake.text(STAFF_CHAT, "/help", chat_type="supergroup", user=staff)
        s.fake.sticker(STAFF_CHAT, chat_type="supergroup", user=staff)
        await s.fake.wait_confirmed()
        await s.front.idle()
        assert not s.fake.messages(STAFF_CHAT) and not s.rasa.calls
