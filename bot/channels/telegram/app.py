"""The Telegram front end: python-telegram-bot 22 inside the front-end process's asyncio loop.

Receiving is ours, not PTB's Updater (which confirms updates before handling them): long polling
(`getUpdates`) or a webhook listener store each update in the durable inbox first, and only then
confirm it to Telegram (next offset, or HTTP 200). Per-chat workers replay the inbox in order and
hand each update to the PTB `Application` (`process_update`), whose handlers call the router and
queue what to send; a per-chat sender delivers the outbox. See inbox.py for the guarantees.

    front = await start_telegram(settings, router)   # inside a running loop
    ...
    await front.stop()
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import re
import secrets
import time
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

from aiohttp import web
from telegram import InlineKeyboardMarkup, LinkPreviewOptions, Message, ReplyParameters, Update
from telegram.error import (
    BadRequest,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.ext import (
    AIORateLimiter,
    Application,
    BaseRateLimiter,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.channels.rasa_client import RasaUnavailable
from bot.channels.replies import Reply
from bot.channels.router import ConversationRouter, RetryLater, StaffResult, normalise_lang
from bot.config import Settings
from bot.i18n.messages import t

from .inbox import InboxRow, OutboxRow, Outgoing, TelegramStore
from .render import language_keyboard, render_replies
from .staff import STAFF_LANG, TelegramStaffDesk, staff_answer

__all__ = ["TelegramFrontEnd", "build_application", "start_telegram", "ALLOWED_UPDATES", "CHANNEL"]

log = logging.getLogger(__name__)

CHANNEL = "telegram"
# Edited messages are received and deliberately left unanswered: the original was answered already,
# and answering an edit would put a reply out of order in the conversation.
ALLOWED_UPDATES = ["message", "edited_message", "callback_query"]
_NOT_TEXT = (filters.Sticker.ALL | filters.PHOTO | filters.VOICE | filters.AUDIO | filters.VIDEO
             | filters.VIDEO_NOTE | filters.Document.ALL | filters.LOCATION | filters.VENUE | filters.CONTACT
             | filters.ANIMATION | filters.POLL | filters.Dice.ALL | filters.GAME | filters.STORY)
_NEW_MESSAGE = filters.UpdateType.MESSAGE
WORKER_RESTART = 5.0             # seconds before a worker that hit an unexpected error resumes
PRUNE_EVERY = 3600.0              # seconds between removals of rows past the dedupe horizon


@dataclass
class _Work:
    """What handling one update produced; committed with the inbox row in one transaction."""
    update_id: int
    attempt: int
    outgoing: list[Outgoing] = field(default_factory=list)
    status: str = "ignored"      # a handler that answers sets "done"
    error: BaseException | None = None


_current: ContextVar[_Work | None] = ContextVar("thutuc_telegram_work", default=None)


def build_application(settings: Settings, rate_limiter: BaseRateLimiter | None = None) -> Application:
    """The PTB Application: our Bot API URL, no Updater (we receive), no job queue, rate limited
    with retries on 429 (AIORateLimiter's default of 0 retries loses replies)."""
    builder = (Application.builder().token(settings.telegram_token).updater(None).job_queue(None)
               .rate_limiter(rate_limiter or AIORateLimiter(max_retries=3))
               .connect_timeout(10).read_timeout(20).write_timeout(20).pool_timeout(10))
    if settings.telegram_api_url:
        builder = builder.base_url(settings.telegram_api_url)
    return builder.build()


class TelegramFrontEnd:
    def __init__(self, settings: Settings, router: ConversationRouter, *,
                 application: Application | None = None, store: TelegramStore | None = None,
                 rate_limiter: BaseRateLimiter | None = None, poll_timeout: float = 25.0,
                 retry_base: float = 2.0, retry_cap: float = 60.0, retry_horizon: float = 24 * 3600,
                 max_failures: int = 3, concurrency: int = 32, webhook: bool | None = None):
        self.settings = settings
        self.router = router
        self.application = application or build_application(settings, rate_limiter)
        self.store = store or TelegramStore(router.store.db)
        self.poll_timeout = poll_timeout
        self.retry_base, self.retry_cap, self.retry_horizon = retry_base, retry_cap, retry_horizon
        self.max_failures = max_failures
        self.use_webhook = bool(settings.telegram_webhook_url) if webhook is None else webhook
        self.staff_chat_id = int(settings.staff_chat_id) if str(settings.staff_chat_id).strip() else None
        self._slots = asyncio.Semaphore(concurrency)
        self._inbox_workers: dict[int, asyncio.Task] = {}
        self._outbox_workers: dict[int, asyncio.Task] = {}
        self._stopping = asyncio.Event()
        self._receiver: asyncio.Task | None = None
        self._starter: asyncio.Task | None = None
        self._closed = False
        self._webhook_runner: web.AppRunner | None = None
        self._webhook_secret = ""
        self._staff_names: dict[int, str] = {}
        self._last_prune = 0.0
        # Updates parsed by getUpdates, so handling them right after needs no second parse.
        self._parsed: dict[int, Update] = {}
        self.webhook_port: int | None = None
        self._wire()

    @property
    def bot(self):
        return self.application.bot

    # ---- life cycle -------------------------------------------------------------------------------
    async def start(self) -> "TelegramFrontEnd":
        """Connect and start receiving. A wrong token raises at once; Telegram unreachable does not:
        the front end keeps trying in the background (`running` stays False until it is up)."""
        try:
            await self._bring_up()
        except (InvalidToken, BadRequest):     # BadRequest is a NetworkError in PTB: not transient
            raise
        except NetworkError as e:
            log.warning("Telegram unreachable at start (%s); retrying in the background", type(e).__name__)
            self._starter = asyncio.create_task(self._bring_up_later(), name="telegram-start")
        return self

    async def _bring_up_later(self) -> None:
        delay = 1.0
        while not self._stopping.is_set():
            await self._pause(delay)
            try:
                await self._bring_up()
                return
            except (InvalidToken, BadRequest) as e:
                log.error("Telegram refused to start the bot (%s); not retrying", type(e).__name__)
                return
            except NetworkError as e:
                delay = min(60.0, delay * 2)
                log.warning("Telegram still unreachable (%s); next try in %.0f s", type(e).__name__, delay)

    async def _bring_up(self) -> None:
        await self.application.initialize()          # getMe: fails fast on a wrong token
        self.router.register(CHANNEL, self.deliver)
        if self.staff_chat_id is not None:
            self.router.staff_desk = TelegramStaffDesk(self.staff_chat_id, self.emit, self._case_transcript,
                                                       self._staff_name)
        self._prune()
        # What a previous run left unfinished goes first (the workers read the tables in order).
        self._kick_outbox(self.store.chats_with_outgoing())
        self._kick_inbox(self.store.chats_with_updates())
        if self.use_webhook:
            await self._start_webhook()
        else:
            await self.bot.delete_webhook(drop_pending_updates=False)
            self._receiver = asyncio.create_task(self._poll(), name="telegram-poll")
        log.info("Telegram front end started as @%s (%s)", self.bot.username,
                 "webhook" if self.use_webhook else "long polling")

    def _prune(self) -> None:
        self._last_prune = time.monotonic()
        pruned = self.store.prune()
        if pruned:
            log.info("forgot %d handled Telegram updates and sent messages past the dedupe horizon", pruned)

    async def stop(self, drain: float = 10.0) -> None:
        """Stop receiving, let running work finish (up to `drain` seconds), then shut PTB down.
        Work cut short stays in the inbox/outbox and is resumed at the next start."""
        self._stopping.set()
        for task in (self._starter, self._receiver):
            if task:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        if self._webhook_runner:
            await self._webhook_runner.cleanup()    # the webhook stays set: Telegram queues meanwhile
        # Handling ends at the next update boundary; sending goes on until the queue is empty (the
        # updates just handled queue replies, so wait for the workers they start too).
        loop = asyncio.get_running_loop()
        deadline = loop.time() + drain
        while self._workers() and loop.time() < deadline:
            await asyncio.wait(self._workers(), timeout=deadline - loop.time())
        self._closed = True
        left = self._workers()
        for task in left:
            task.cancel()
        await asyncio.gather(*left, return_exceptions=True)
        if isinstance(self.router.staff_desk, TelegramStaffDesk):
            self.router.staff_desk = None
        await self.application.shutdown()            # a no-op when it never got initialised

    def _workers(self) -> list[asyncio.Task]:
        return [*self._inbox_workers.values(), *self._outbox_workers.values()]

    @property
    def running(self) -> bool:
        """Receiving updates (for /health): not stopped, and the poller alive or the webhook served."""
        if self._stopping.is_set():
            return False
        if self.use_webhook:
            return self._webhook_runner is not None
        return self._receiver is not None and not self._receiver.done()

    def counts(self) -> dict[str, int]:
        """Inbox rows by status plus messages still to send (for health pages and tests)."""
        counts = self.store.inbox_counts()
        counts["outbox_pending"] = self.store.db.execute(
            "SELECT COUNT(*) FROM tg_outbox WHERE status = 'pending'").fetchone()[0]
        return counts

    async def idle(self) -> None:
        """Wait until every queued update is handled and every queued message sent (tests, bench)."""
        while self._workers():
            await asyncio.gather(*self._workers(), return_exceptions=True)

    # ---- receiving --------------------------------------------------------------------------------
    def receive(self, updates: list[dict]) -> None:
        """Persist raw updates (dedupe by update_id) and wake their chats' workers."""
        self._kick_inbox(self.store.receive(updates))
        if time.monotonic() - self._last_prune > PRUNE_EVERY:
            self._prune()

    async def _poll(self) -> None:
        offset = self.store.next_offset()
        failures = 0
        while not self._stopping.is_set():
            try:
                updates = await self.bot.get_updates(
                    offset=offset or None, timeout=int(self.poll_timeout), allowed_updates=ALLOWED_UPDATES,
                    read_timeout=self.poll_timeout + 10)
                failures = 0
            except InvalidToken:
                log.error("Telegram refused the bot token; polling stopped")
                return
            except Conflict:
                # Another poller on this token, or a webhook set elsewhere: Telegram answers 409.
                log.warning("getUpdates conflict (another instance or a webhook?); retrying in 5 s")
                await self._pause(5)
                continue
            except (NetworkError, RetryAfter, TelegramError) as e:
                failures += 1
                delay = min(30.0, 0.5 * 2 ** failures)
                log.warning("getUpdates failed (%s); retrying in %.1f s", type(e).__name__, delay)
                await self._pause(delay)
                continue
            if updates:
                if len(self._parsed) > 10_000:       # only ever left over by duplicates
                    self._parsed.clear()
                self._parsed.update((u.update_id, u) for u in updates)
                # Stored durably BEFORE the next getUpdates confirms them to Telegram with the offset.
                self.receive([u.to_dict() for u in updates])
                offset = updates[-1].update_id + 1

    async def _start_webhook(self) -> None:
        url = self.settings.telegram_webhook_url
        path = urlparse(url).path or "/"
        self._webhook_secret = self.settings.telegram_webhook_secret or secrets.token_urlsafe(32)
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", self._webhook_secret):
            raise ValueError("THUTUC_TELEGRAM_WEBHOOK_SECRET may only hold A-Z, a-z, 0-9, _ and - (1-256)")
        app = web.Application(client_max_size=1 << 20)
        app.router.add_post(path, self._on_webhook)
        self._webhook_runner = web.AppRunner(app, access_log=None)
        await self._webhook_runner.setup()
        # Loopback only: the operator's HTTPS reverse proxy on this host forwards Telegram's calls.
        site = web.TCPSite(self._webhook_runner, "127.0.0.1", self.settings.telegram_webhook_port)
        await site.start()
        self.webhook_port = self._webhook_runner.addresses[0][1]
        await self.bot.set_webhook(url, secret_token=self._webhook_secret, allowed_updates=ALLOWED_UPDATES,
                                   drop_pending_updates=False)

    async def _on_webhook(self, request: web.Request) -> web.Response:
        given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
        if not hmac.compare_digest(given.encode(), self._webhook_secret.encode()):
            return web.Response(status=403)
        try:
            raw = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            return web.Response(status=400)
        if not isinstance(raw, dict) or not isinstance(raw.get("update_id"), int):
            return web.Response(status=400)
        try:
            self.receive([raw])
        except Exception:  # noqa: BLE001 - not stored: a non-2xx makes Telegram deliver it again
            log.exception("could not store a webhook update")
            return web.Response(status=500)
        return web.Response(status=200)

    # ---- the inbox --------------------------------------------------------------------------------
    def _kick_inbox(self, chats: list[int]) -> None:
        for chat in chats:
            if chat not in self._inbox_workers and not self._stopping.is_set():
                self._inbox_workers[chat] = asyncio.create_task(self._inbox_worker(chat))

    async def _inbox_worker(self, chat: int) -> None:
        try:
            while not self._stopping.is_set():
                row = self.store.next_update(chat)
                if row is None:
                    return
                wait = row.not_before - self.store.clock()
                if wait > 0:
                    await self._pause(wait)
                    continue
                async with self._slots:
                    await self._handle(row)
        except Exception:  # noqa: BLE001 - e.g. the database locked past its timeout: try again soon
            log.exception("Telegram inbox worker for a chat failed; resuming in %.0f s", WORKER_RESTART)
            asyncio.get_running_loop().call_later(WORKER_RESTART, self._kick_inbox, [chat])
        finally:
            self._inbox_workers.pop(chat, None)

    async def _handle(self, row: InboxRow) -> None:
        work = _Work(row.update_id, row.attempts)
        try:
            update = self._parsed.pop(row.update_id, None) or Update.de_json(row.raw, self.bot)
        except Exception as e:  # noqa: BLE001 - an unreadable update can never succeed
            self.store.finish(row.update_id, [], status="failed", error=type(e).__name__)
            return
        token = _current.set(work)
        try:
            await self.application.process_update(update)
        finally:
            _current.reset(token)
            self._forget_ptb_data(update)
        error = work.error
        if error is None:
            self.store.finish(row.update_id, work.outgoing, status=work.status)
        elif isinstance(error, RasaUnavailable) and self.store.clock() - row.received < self.retry_horizon:
            # Rasa down: the update stays in the inbox; the citizen is told once that the answer
            # will come. What the failed attempt produced is dropped: the retry produces it again.
            notice = []
            if row.attempts == 0 and isinstance(error, RetryLater) and update.effective_chat:
                notice = self._messages(update.effective_chat.id, error.replies)
            delay = min(self.retry_cap, self.retry_base * 2 ** min(row.attempts, 16))
            self.store.retry_later(row.update_id, delay, notice, type(error).__name__)
            self._kick_outbox([o.chat_id for o in notice])
            return
        elif row.attempts + 1 < self.max_failures and not isinstance(error, RasaUnavailable):
            log.warning("update handling failed (%s), will retry", type(error).__name__)
            self.store.retry_later(row.update_id, self.retry_base, [], type(error).__name__)
            return
        else:
            log.error("update given up after %d attempts (%s)", row.attempts + 1, type(error).__name__)
            apology = []
            chat = update.effective_chat
            if chat and chat.id != self.staff_chat_id:
                lang = self.router.language(CHANNEL, str(chat.id), self._hint(update))
                apology = [self._message(chat.id, Reply(t("tg_error", lang), sender="system"), lang)]
            self.store.finish(row.update_id, apology, status="failed", error=type(error).__name__)
            work.outgoing = apology
        self._kick_outbox(sorted({o.chat_id for o in work.outgoing}))

    def _forget_ptb_data(self, update: Update) -> None:
        # PTB keeps a chat_data/user_data dict per chat and user it ever saw; we keep state in SQLite.
        if update.effective_chat:
            self.application.drop_chat_data(update.effective_chat.id)
        if update.effective_user:
            self.application.drop_user_data(update.effective_user.id)

    # ---- the outbox -------------------------------------------------------------------------------
    def emit(self, outgoing: list[Outgoing]) -> None:
        """Queue messages: with the update being handled (one transaction at its end), or at once
        when called from outside a Telegram update (the web chat's handoff, for example)."""
        work = _current.get()
        if work is not None:
            work.outgoing.extend(outgoing)
            return
        self.store.enqueue(outgoing)
        self._kick_outbox(sorted({o.chat_id for o in outgoing}))

    def _kick_outbox(self, chats: list[int]) -> None:
        if self._closed:          # after stop(): the rows wait in the outbox for the next start
            return
        for chat in chats:
            if chat not in self._outbox_workers:
                self._outbox_workers[chat] = asyncio.create_task(self._outbox_worker(chat))

    async def _outbox_worker(self, chat: int) -> None:
        try:
            while True:
                row = self.store.next_outgoing(chat)
                if row is None:
                    return
                wait = row.not_before - self.store.clock()
                if wait > 0:
                    if self._stopping.is_set():
                        return
                    await self._pause(wait)
                    continue
                await self._send(row)
        except Exception:  # noqa: BLE001 - as for the inbox worker
            log.exception("Telegram outbox worker for a chat failed; resuming in %.0f s", WORKER_RESTART)
            asyncio.get_running_loop().call_later(WORKER_RESTART, self._kick_outbox, [chat])
        finally:
            self._outbox_workers.pop(chat, None)

    async def _send(self, row: OutboxRow) -> None:
        try:
            message_id = await self._execute(row)
        except RetryAfter as e:       # still limited after AIORateLimiter's own retries
            wait = e.retry_after
            self.store.postpone(row, wait.total_seconds() if hasattr(wait, "total_seconds") else float(wait),
                                "RetryAfter")
        except BadRequest as e:
            if "not modified" in e.message.lower():
                self.store.mark_sent(row, None)
            else:
                log.warning("Telegram refused a %s: %s", row.method, e.message)
                self.store.mark_failed(row, e.message)
        except Forbidden as e:        # the user blocked the bot, or the bot left the group
            self.store.mark_failed(row, e.message)
        except (NetworkError, TelegramError) as e:
            delay = min(self.retry_cap, self.retry_base * 2 ** min(row.attempts, 10))
            log.warning("sending failed (%s); retrying in %.1f s", type(e).__name__, delay)
            self.store.postpone(row, delay, type(e).__name__)
        else:
            # THE duplicate window: Telegram has the message; until this commit a crash resends it.
            self.store.mark_sent(row, message_id)

    async def _execute(self, row: OutboxRow) -> int | None:
        params = dict(row.params)
        markup = params.pop("reply_markup", None)
        preview = params.pop("link_preview_options", None)
        reply_to = params.pop("reply_parameters", None)
        kwargs: dict[str, Any] = {}
        if reply_to is not None:
            kwargs["reply_parameters"] = ReplyParameters(**reply_to)
        if markup is not None:
            kwargs["reply_markup"] = InlineKeyboardMarkup.de_json(markup, self.bot)
        if preview is not None:
            kwargs["link_preview_options"] = LinkPreviewOptions(**preview)
        if row.method == "sendMessage":
            message: Message = await self.bot.send_message(**params, **kwargs)
            return message.message_id
        if row.method == "editCard":
            case_id = params.pop("case_id")
            if markup is None:
                kwargs["reply_markup"] = InlineKeyboardMarkup([])
            for message_id in self.store.card_messages(row.chat_id, case_id):
                try:
                    await self.bot.edit_message_text(message_id=message_id, **params, **kwargs)
                except BadRequest as e:
                    if "not modified" not in e.message.lower():
                        raise
            return None
        raise ValueError(f"unknown outbox method {row.method!r}")

    # ---- delivery for the router ------------------------------------------------------------------
    async def deliver(self, chat: str, replies: list[Reply]) -> None:
        """The router's way to reach a Telegram citizen outside their own update (staff messages)."""
        chat_id = int(chat)
        self.emit(self._messages(chat_id, replies))

    def _messages(self, chat_id: int, replies: list[Reply], lang: str | None = None) -> list[Outgoing]:
        lang = lang or self.router.language(CHANNEL, str(chat_id))
        out = []
        for params in render_replies(replies, lang, self.store.button_id):
            params["chat_id"] = chat_id
            params["link_preview_options"] = {"is_disabled": True}
            out.append(Outgoing(chat_id, "sendMessage", params))
        return out

    def _message(self, chat_id: int, reply: Reply, lang: str) -> Outgoing:
        return self._messages(chat_id, [reply], lang)[0]

    def _case_transcript(self, case):
        return self.router.store.cases.transcript(case.channel, case.chat)

    def _staff_name(self, staff_id: int | None) -> str | None:
        return self._staff_names.get(staff_id) if staff_id is not None else None

    async def _pause(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self._stopping.wait(), seconds)
        except asyncio.TimeoutError:
            pass

    # ---- handlers ---------------------------------------------------------------------------------
    def _wire(self) -> None:
        app = self.application
        guarded = self._guarded
        if self.staff_chat_id is not None:
            # The staff group is a desk, not a conversation with the bot: first, and exclusive.
            staff_chat = filters.Chat(self.staff_chat_id)
            app.add_handler(MessageHandler(staff_chat & _NEW_MESSAGE, guarded(self.on_staff_message)))
            app.add_handler(MessageHandler(staff_chat, guarded(self._ignore)))
        app.add_handler(CommandHandler("start", guarded(self.on_start), filters=_NEW_MESSAGE))
        app.add_handler(CommandHandler("lang", guarded(self.on_start), filters=_NEW_MESSAGE))
        app.add_handler(CommandHandler("help", guarded(self.on_help), filters=_NEW_MESSAGE))
        app.add_handler(CommandHandler("staff", guarded(self.on_staff_request), filters=_NEW_MESSAGE))
        app.add_handler(CallbackQueryHandler(guarded(self.on_callback)))
        # Text, commands we do not own included: they reach the router, which neutralises them.
        app.add_handler(MessageHandler(_NEW_MESSAGE & filters.TEXT, guarded(self.on_text)))
        app.add_handler(MessageHandler(_NEW_MESSAGE & _NOT_TEXT, guarded(self.on_not_text)))

    def _guarded(self, handler):
        """Exceptions are the inbox's business (retry or give up), not PTB's error handlers."""
        async def run(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
            work = _current.get()
            try:
                await handler(update, context)
            except Exception as e:  # noqa: BLE001 - recorded, then retried or given up by _handle
                if work is None:
                    raise
                work.error = e
        run.__name__ = getattr(handler, "__name__", "handler")
        return run

    @staticmethod
    def _done() -> None:
        """The update got an answer (otherwise it is recorded as deliberately ignored)."""
        work = _current.get()
        if work is not None:
            work.status = "done"

    def _say(self, chat_id: int, replies: list[Reply], lang: str | None = None) -> None:
        self._done()
        self.emit(self._messages(chat_id, replies, lang))

    @staticmethod
    def _hint(update: Update) -> str | None:
        user = update.effective_user
        return normalise_lang(user.language_code) if user and user.language_code else None

    def _lang(self, update: Update) -> str:
        return self.router.language(CHANNEL, str(update.effective_chat.id), self._hint(update))

    def _addressed_text(self, message: Message) -> str | None:
        """The text meant for us; in groups only when the bot is mentioned or replied to."""
        text = message.text or ""
        if message.chat.type == "private":
            return text
        me = self.bot
        replied = message.reply_to_message
        if replied and replied.from_user and replied.from_user.id == me.id:
            return text
        mention = f"@{me.username}".lower() if me.username else None
        for entity, value in message.parse_entities(["mention", "text_mention"]).items():
            if (entity.type == "mention" and mention and value.lower() == mention) or \
                    (entity.type == "text_mention" and entity.user and entity.user.id == me.id):
                return re.sub(re.escape(value), " ", text, count=1).strip()
        return None

    async def _ignore(self, update: Update, context) -> None:
        return None

    async def on_start(self, update: Update, context) -> None:
        """/start and /lang: the language picker (each language named in itself)."""
        message = update.effective_message
        lang = self._lang(update)
        self._done()
        self.emit([Outgoing(message.chat_id, "sendMessage",
                            {"chat_id": message.chat_id, "text": t("tg_choose_language", lang),
                             "reply_markup": language_keyboard()})])

    async def on_help(self, update: Update, context) -> None:
        lang = self._lang(update)
        self._say(update.effective_chat.id, [Reply(t("tg_help", lang), sender="system")], lang)

    async def on_staff_request(self, update: Update, context) -> None:
        """/staff: the same as asking in words (Rasa's `request_human` intent → handoff payload)."""
        chat = str(update.effective_chat.id)
        self._hint_language(update)
        replies = await self.router.on_button(CHANNEL, chat, "/request_human", retry=True)
        self._say(update.effective_chat.id, replies)

    def _hint_language(self, update: Update) -> None:
        # A first contact by command or button has no text to detect a language from: the device
        # language is the best hint the router can store.
        chat = str(update.effective_chat.id)
        state = self.router.store.chats.get(CHANNEL, chat)
        hint = self._hint(update)
        if not state.lang and not state.lang_choice and hint:
            self.router.store.chats.set_lang(CHANNEL, chat, hint)

    async def on_text(self, update: Update, context) -> None:
        message = update.effective_message
        text = self._addressed_text(message)
        if text is None:
            return
        replies = await self.router.on_text(CHANNEL, str(message.chat_id), text, self._hint(update), retry=True)
        self._say(message.chat_id, replies)

    async def on_not_text(self, update: Update, context) -> None:
        message = update.effective_message
        if message.chat.type != "private":
            replied = message.reply_to_message
            if not (replied and replied.from_user and replied.from_user.id == self.bot.id):
                return
        lang = self._lang(update)
        self._say(message.chat_id, [Reply(t("tg_text_only", lang), sender="system")], lang)

    async def on_callback(self, update: Update, context) -> None:
        query = update.callback_query
        data = query.data or ""
        work = _current.get()
        chat = query.message.chat.id if query.message else query.from_user.id
        kind, _, value = data.partition(":")
        if kind in ("c", "x"):
            await self._on_staff_button(update, kind, value)
            return
        lang = self.router.language(CHANNEL, str(chat), self._hint(update))
        payload = self.store.button_payload(value) if kind == "b" else None
        if kind == "l" and normalise_lang(value):
            await self._answer(query, None, work)
            self._say(chat, await self.router.on_language(CHANNEL, str(chat), value))
        elif payload is not None:
            await self._answer(query, None, work)
            self._say(chat, await self.router.on_button(CHANNEL, str(chat), payload, retry=True))
        else:
            # Unknown or forged data, or a button from before the store was reset: say so kindly.
            await self._answer(query, t("tg_button_expired", lang), work)
            self._done()

    @staticmethod
    async def _answer(query, text: str | None, work: _Work | None, alert: bool = False) -> None:
        """Always answer a button press (the spinner stops); on a retry it was answered already."""
        if work is not None and work.attempt > 0:
            return
        try:
            await query.answer(text=text, show_alert=alert)
        except TelegramError as e:   # too old (after a restart) or already answered: nothing to do
            log.debug("callback answer failed: %s", e)

    async def _on_staff_button(self, update: Update, kind: str, case_id: str) -> None:
        query = update.callback_query
        work = _current.get()
        user = query.from_user
        self._remember_staff(user)
        if self.staff_chat_id is None or not query.message or query.message.chat.id != self.staff_chat_id:
            await self._answer(query, t("tg_staff_not_allowed", STAFF_LANG), work, alert=True)
            return
        action = self.router.staff_claim if kind == "c" else self.router.staff_close
        result: StaffResult = await action(user.id, case_id)
        self._done()
        await self._answer(query, staff_answer(result), work, alert=not result.ok)

    def _remember_staff(self, user) -> None:
        """The display name the card shows for a staff member (allow-listed accounts only)."""
        if user is not None and self.router.is_staff(user.id):
            name = " ".join(p for p in (user.first_name, user.last_name) if p) or f"#{user.id}"
            self._staff_names[user.id] = name[:64]

    async def on_staff_message(self, update: Update, context) -> None:
        """A message in the staff group: a reply to a card or forwarded message goes to that case."""
        message = update.effective_message
        if message.migrate_to_chat_id:
            log.error("the staff group became a supergroup: set THUTUC_STAFF_CHAT_ID=%s and restart",
                      message.migrate_to_chat_id)
            return
        replied = message.reply_to_message
        if replied is None or message.from_user is None:
            return                                    # staff talking among themselves
        case_id = self.store.case_of_message(message.chat_id, replied.message_id)
        if case_id is None:
            return
        self._remember_staff(message.from_user)
        if not message.text:
            result = StaffResult(False, "empty")
        else:
            result = await self.router.staff_message(message.from_user.id, case_id, message.text)
        self._done()
        if not result.ok:
            self.emit([Outgoing(message.chat_id, "sendMessage",
                                {"chat_id": message.chat_id, "text": staff_answer(result),
                                 "reply_parameters": {"message_id": message.message_id,
                                                      "allow_sending_without_reply": True}})])


async def start_telegram(settings: Settings, router: ConversationRouter, **options) -> TelegramFrontEnd:
    """Start the Telegram front end inside the running loop; `await front.stop()` to end it."""
    if not settings.telegram_token:
        raise ValueError("THUTUC_TELEGRAM_TOKEN is not set")
    # httpx logs every request URL at INFO, and a Bot API URL contains the token.
    httpx_log = logging.getLogger("httpx")
    if httpx_log.getEffectiveLevel() < logging.WARNING:
        httpx_log.setLevel(logging.WARNING)
    return await TelegramFrontEnd(settings, router, **options).start()

