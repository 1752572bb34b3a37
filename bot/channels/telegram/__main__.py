"""`python -m bot.channels.telegram`: the Telegram front end alone, with its own router.

For development without the web chat, and for the crash tests (they `kill -9` this process). The
normal entry is `thutuc frontend`, which starts Telegram inside its own loop when a token is set.
Settings come from the environment (THUTUC_*); SIGINT/SIGTERM stop it cleanly.
"""

from __future__ import annotations

import asyncio
import logging
import signal

from bot.channels.rasa_client import AsyncRasaClient
from bot.channels.router import ConversationRouter
from bot.channels.store import FrontendStore
from bot.config import Settings

from .app import start_telegram


async def run(settings: Settings) -> None:
    store = FrontendStore.open(settings.frontend_db)
    rasa = AsyncRasaClient(settings.rasa_urls)
    router = ConversationRouter(settings, rasa, store)
    front = await start_telegram(settings, router)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    print("telegram front end ready", flush=True)
    try:
        await stop.wait()
    finally:
        await front.stop()
        await rasa.aclose()
        store.close()


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # httpx logs every request URL, and the Bot API URL contains the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    asyncio.run(run(Settings.from_env()))


if __name__ == "__main__":
    main()
