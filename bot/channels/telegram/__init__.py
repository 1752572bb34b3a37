"""Telegram front end (python-telegram-bot 22): durable inbox, rendering, staff group desk.

`start_telegram(settings, router)` starts it inside a running asyncio loop (the `thutuc frontend`
process); `python -m bot.channels.telegram` runs it alone (with its own router) for development
and for the crash tests.
"""

from .app import ALLOWED_UPDATES, CHANNEL, TelegramFrontEnd, build_application, start_telegram
from .inbox import TelegramStore
from .staff import TelegramStaffDesk

__all__ = ["ALLOWED_UPDATES", "CHANNEL", "TelegramFrontEnd", "TelegramStaffDesk", "TelegramStore",
           "build_application", "start_telegram"]
