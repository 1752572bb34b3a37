"""The front-end process (`thutuc frontend`): web chat, `/health` and, with a token, Telegram — one
asyncio loop, one `ConversationRouter`, one SQLite file.

`serve_frontend(settings, stop)` builds everything, serves until `stop` is set and then shuts down in
order: stop taking Telegram updates, close the web server (held polls are released), close the Rasa
client and the database. `run_frontend(settings)` adds SIGINT/SIGTERM handling for the command line.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web

from ..config import Settings
from ..handoff import OfficeConfigError
from .rasa_client import AsyncRasaClient
from .router import ConversationRouter
from .store import FrontendStore
from .web import create_app

__all__ = ["FrontendError", "Started", "run_frontend", "serve_frontend"]

log = logging.getLogger(__name__)


class FrontendError(RuntimeError):
    """The front end cannot start (e.g. its port is taken)."""


@dataclass(frozen=True)
class Started:
    """What the front end is serving, for the ready message."""

    web_url: str
    telegram: str  # "not configured" | "running" | "failed: <reason>"


class _Telegram:
    """Holds the Telegram front end (when a token is set) and tells `/health` whether it runs."""

    def __init__(self) -> None:
        self.handle = None
        self.failed: str | None = None

    async def start(self, settings: Settings, router: ConversationRouter) -> None:
        from .telegram import start_telegram

        try:
            self.handle = await start_telegram(settings, router)
        except Exception as e:  # noqa: BLE001 - the web chat keeps running; /health reports Telegram down
            self.failed = type(e).__name__
            log.error("Telegram front end did not start: %s", self.failed)

    def status(self) -> str:
        return "running" if self.handle is not None and self.handle.running else "stopped"

    def describe(self) -> str:
        if self.failed:
            return f"failed: {self.failed}"
        # A reachable Telegram is up by now; an unreachable one is retried in the background.
        return "running" if self.status() == "running" else "not connected yet (retrying in the background)"

    async def stop(self) -> None:
        if self.handle is not None:
            await self.handle.stop()


async def serve_frontend(settings: Settings, stop: asyncio.Event,
                         ready: Callable[[Started], None] | None = None) -> None:
    store = FrontendStore.open(settings.frontend_db)
    rasa = AsyncRasaClient(settings.rasa_urls)
    try:
        router = ConversationRouter(settings, rasa, store)
    except OfficeConfigError as e:
        await rasa.aclose()
        store.close()
        raise FrontendError(f"{settings.office_file}: {e}") from None
    telegram = _Telegram() if settings.telegram_token else None
    runner: web.AppRunner | None = None
    try:
        app = create_app(settings, router, store, telegram_status=telegram.status if telegram else None)
        # No access log: poll URLs carry the chat id, and the log is no place for personal traces.
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=5.0)
        await runner.setup()
        try:
            await web.TCPSite(runner, settings.web_host, settings.web_port).start()
        except OSError as e:
            raise FrontendError(f"cannot listen on {settings.web_host}:{settings.web_port} ({e.strerror}); "
                                "set THUTUC_WEB_PORT to a free port") from None
        if telegram is not None:
            await telegram.start(settings, router)
        if ready is not None:
            host = "127.0.0.1" if settings.web_host in ("0.0.0.0", "") else settings.web_host
            tg = "not configured" if telegram is None else telegram.describe()
            ready(Started(f"http://{host}:{settings.web_port}", tg))
        await stop.wait()
    finally:
        if telegram is not None:
            await telegram.stop()
        if runner is not None:
            await runner.cleanup()
        await rasa.aclose()
        store.close()


def run_frontend(settings: Settings, ready: Callable[[Started], None] | None = None) -> None:
    """Serve until SIGINT or SIGTERM, then shut down cleanly."""

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await serve_frontend(settings, stop, ready)

    try:
        asyncio.run(main())
    except KeyboardInterrupt:  # a signal before the handlers were installed
        print("Stopped.", file=sys.stderr)
