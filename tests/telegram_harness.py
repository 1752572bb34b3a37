"""The Telegram front end wired to the fake Bot API and the scripted Rasa, all on loopback."""

from __future__ import annotations

from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from fake_telegram import FakeTelegram
from scripted_rasa import ScriptedRasa

from bot.channels.rasa_client import AsyncRasaClient
from bot.channels.router import ConversationRouter
from bot.channels.store import FrontendStore
from bot.channels.telegram import TelegramFrontEnd
from bot.config import Settings
from bot.handoff import OfficeHours

STAFF_CHAT = -1001234567890
STAFF_ID = 501
OTHER_STAFF_ID = 502
ALWAYS_OPEN = {"hours": {d: ["00:00-23:59"] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
               "timezone": "Asia/Ho_Chi_Minh"}
WEEKDAY_MORNINGS = {"hours": {d: ["07:00-11:30"] for d in ("mon", "tue", "wed", "thu", "fri")},
                    "timezone": "Asia/Ho_Chi_Minh"}


@dataclass
class Stack:
    fake: FakeTelegram
    rasa: ScriptedRasa
    router: ConversationRouter
    front: TelegramFrontEnd
    store: FrontendStore
    settings: Settings


def telegram_settings(tmp_path: Path, fake: FakeTelegram, rasa_port: int = 5005, **changes) -> Settings:
    values = dict(home=tmp_path, shared_data=tmp_path / "no-shared", telegram_token=fake.token,
                  telegram_api_url=fake.base_url, staff_chat_id=str(STAFF_CHAT),
                  staff_ids=f"{STAFF_ID},{OTHER_STAFF_ID}", sender_secret="test-secret",
                  frontend_db=tmp_path / "frontend.db", rasa_port=rasa_port)
    values.update(changes)
    return Settings(**values)


@asynccontextmanager
async def telegram_stack(tmp_path: Path, *, hours: dict | None = None, clock=None, settings_changes=None,
                         **front_options):
    fake = await FakeTelegram().start()
    rasa = await ScriptedRasa().start()
    settings = telegram_settings(tmp_path, fake, rasa.port, **(settings_changes or {}))
    store = FrontendStore.open(settings.frontend_db)
    client = AsyncRasaClient(rasa.url, timeout=5)
    router_kwargs = {"hours": OfficeHours.from_mapping(hours or ALWAYS_OPEN)}
    if clock is not None:
        router_kwargs["clock"] = clock
    router = ConversationRouter(settings, client, store, **router_kwargs)
    options = {"poll_timeout": 1.0, "retry_base": 0.2, "retry_cap": 1.0}
    options.update(front_options)
    front = await TelegramFrontEnd(settings, router, **options).start()
    try:
        yield Stack(fake, rasa, router, front, store, settings)
    finally:
        await front.stop(drain=2)
        await client.aclose()
        await rasa.stop()
        await fake.stop()
        store.close()


SUNDAY_NIGHT = datetime(2025, 3, 2, 14, 0, tzinfo=timezone.utc)   # Sunday 21:00 in Vietnam
