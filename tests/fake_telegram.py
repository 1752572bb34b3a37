"""A local fake of the Telegram Bot API (aiohttp on 127.0.0.1, random port) for offline tests.

The front end reaches it through python-telegram-bot's `base_url`. It implements the methods the
front end uses, enforces the limits that bite in production (4,096 UTF-16 units of parsed text,
64 bytes of callback_data, one answer per callback query, 409 for getUpdates while a webhook is
set, "message is not modified"), lets a test inject updates and 429s, and records every call.

    fake = FakeTelegram()
    await fake.start()                      # fake.base_url → "http://127.0.0.1:PORT/bot"
    fake.text(42, "안녕하세요", lang="ko")
    msgs = await fake.wait_sent(42, 1)      # what the bot sent to chat 42
"""

from __future__ import annotations

import asyncio
import html
import itertools
import json
import re
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

import aiohttp
from aiohttp import web

BOT_ID = 7000000001
BOT_USERNAME = "thutuc_test_bot"

# Parameters PTB sends JSON-encoded (strings are sent as they are).
_JSON_FIELDS = {"reply_markup", "allowed_updates", "message_id", "offset", "limit", "timeout",
                "show_alert", "cache_time", "reply_parameters", "link_preview_options",
                "disable_notification", "drop_pending_updates", "max_connections", "entities",
                "protect_content", "disable_web_page_preview", "reply_to_message_id",
                "allow_sending_without_reply", "message_thread_id"}
_ALLOWED_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre",
                 "tg-spoiler", "span", "blockquote", "tg-emoji"}


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


class _TelegramHTML(HTMLParser):
    """Parses Telegram's HTML subset the way the Bot API does: unknown tags and unbalanced tags fail."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.stack: list[str] = []
        self.error: str | None = None

    def handle_starttag(self, tag, attrs):
        if tag not in _ALLOWED_TAGS:
            self.error = self.error or f"Unsupported start tag \"{tag}\""
        self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.error = self.error or f"Unmatched end tag \"{tag}\""
        else:
            self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)


def parse_html(text: str) -> tuple[str, str | None]:
    """(plain text, error) as Telegram would see it; a bare '<' or '&' that is not an entity fails."""
    if re.search(r"&(?!(lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);)", text):
        return text, "Can't parse entities: unsupported entity"
    if re.search(r"<(?![a-zA-Z/])", text):
        return text, "Can't parse entities: unexpected character"
    parser = _TelegramHTML()
    parser.feed(text)
    parser.close()
    if parser.stack and not parser.error:
        parser.error = f"Can't find end tag corresponding to start tag \"{parser.stack[-1]}\""
    return "".join(parser.text), parser.error


class BadRequest(Exception):
    def __init__(self, description: str, code: int = 400, parameters: dict | None = None):
        super().__init__(description)
        self.description, self.code, self.parameters = description, code, parameters


@dataclass
class Sent:
    """A message the bot sent (or edited), as Telegram stored it."""
    chat_id: int
    message_id: int
    text: str                       # as sent (HTML)
    plain: str                      # after HTML parsing
    reply_markup: dict | None
    parse_mode: str | None
    reply_to: int | None
    at: float = field(default_factory=time.monotonic)
    wall: float = field(default_factory=time.time)   # when Telegram accepted it (clock of this machine)
    edits: list[dict] = field(default_factory=list)

    @property
    def buttons(self) -> list[dict]:
        rows = (self.reply_markup or {}).get("inline_keyboard") or []
        return [b for row in rows for b in row]

    def button(self, text_contains: str) -> dict:
        for b in self.buttons:
            if text_contains.lower() in b["text"].lower():
                return b
        raise LookupError(f"no button with {text_contains!r} in {[b['text'] for b in self.buttons]}")


class FakeTelegram:
    def __init__(self, token: str = "123456:TEST-TOKEN"):
        self.token = token
        self.port = 0
        self.calls: list[tuple[str, dict]] = []
        self.sent: dict[int, list[Sent]] = {}          # chat_id → messages in order
        self.callback_answers: dict[str, dict] = {}    # callback_query_id → answer params
        self.webhook: dict | None = None
        self._updates: list[dict] = []                 # not yet confirmed by getUpdates' offset
        self._update_ids = itertools.count(1000)
        self._message_ids: dict[int, itertools.count] = {}
        self._callback_ids = itertools.count(1)
        self._failures: dict[str, list[BadRequest]] = {}
        self._new_update = asyncio.Condition()
        self._new_sent = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self._pusher: asyncio.Task | None = None
        self.delay = 0.0                               # seconds added to every sendMessage

    # ---- life cycle -------------------------------------------------------------------------
    async def start(self) -> "FakeTelegram":
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._handle)
        app.router.add_get("/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def stop(self) -> None:
        if self._pusher:
            self._pusher.cancel()
        if self._runner:
            await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    # ---- what tests inject ------------------------------------------------------------------
    def _chat(self, chat_id: int, chat_type: str) -> dict:
        if chat_type == "private":
            return {"id": chat_id, "type": "private", "first_name": f"User{chat_id}"}
        return {"id": chat_id, "type": chat_type, "title": f"Group {chat_id}"}

    @staticmethod
    def user(user_id: int, lang: str | None = "vi", name: str | None = None) -> dict:
        u = {"id": user_id, "is_bot": False, "first_name": name or f"User{user_id}"}
        if lang:
            u["language_code"] = lang
        return u

    def _next_message_id(self, chat_id: int) -> int:
        return next(self._message_ids.setdefault(chat_id, itertools.count(1)))

    def message(self, chat_id: int, *, user: dict | None = None, chat_type: str = "private",
                reply_to: Sent | dict | None = None, edited: bool = False, **content) -> dict:
        """Queues a message update with the given content (text=…, sticker=…, photo=…) and returns it."""
        user = user or self.user(chat_id)
        msg = {"message_id": self._next_message_id(chat_id), "date": int(time.time()),
               "chat": self._chat(chat_id, chat_type), "from": user, **content}
        if reply_to is not None:
            msg["reply_to_message"] = self._as_message(reply_to)
        if edited:
            msg["edit_date"] = int(time.time())
        return self.push({"edited_message" if edited else "message": msg})

    def text(self, chat_id: int, text: str, *, lang: str | None = "vi", user: dict | None = None,
             chat_type: str = "private", reply_to: Sent | dict | None = None, edited: bool = False) -> dict:
        content: dict[str, Any] = {"text": text}
        commands = [m for m in re.finditer(r"^/\w+(@\w+)?", text)]
        mentions = [m for m in re.finditer(r"@\w+", text) if not commands or m.start() > commands[0].end()]
        entities = [{"type": "bot_command", "offset": 0, "length": utf16_len(m.group(0))} for m in commands]
        entities += [{"type": "mention", "offset": utf16_len(text[:m.start()]), "length": utf16_len(m.group(0))}
                     for m in mentions]
        if entities:
            content["entities"] = entities
        return self.message(chat_id, user=user or self.user(chat_id, lang), chat_type=chat_type,
                            reply_to=reply_to, edited=edited, **content)

    def sticker(self, chat_id: int, **kw) -> dict:
        return self.message(chat_id, sticker={"file_id": "S1", "file_unique_id": "s1", "type": "regular",
                                              "width": 512, "height": 512, "is_animated": False,
                                              "is_video": False, "emoji": "👍"}, **kw)

    def photo(self, chat_id: int, **kw) -> dict:
        return self.message(chat_id, photo=[{"file_id": "P1", "file_unique_id": "p1", "width": 90,
                                              "height": 90}], **kw)

    def voice(self, chat_id: int, **kw) -> dict:
        return self.message(chat_id, voice={"file_id": "V1", "file_unique_id": "v1", "duration": 2}, **kw)

    def document(self, chat_id: int, **kw) -> dict:
        return self.message(chat_id, document={"file_id": "D1", "file_unique_id": "d1",
                                                "file_name": "giay-to.pdf"}, **kw)

    def location(self, chat_id: int, **kw) -> dict:
        return self.message(chat_id, location={"latitude": 15.12, "longitude": 108.8}, **kw)

    def press(self, chat_id: int, sent: Sent, button_text: str, *, user: dict | None = None) -> dict:
        """A user presses the inline button of `sent` whose label contains `button_text`."""
        return self.callback(chat_id, sent, sent.button(button_text)["callback_data"], user=user)

    def callback(self, chat_id: int, sent: Sent, data: str, *, user: dict | None = None) -> dict:
        query = {"id": str(next(self._callback_ids)), "from": user or self.user(chat_id),
                 "chat_instance": f"ci{chat_id}", "data": data, "message": self._as_message(sent)}
        return self.push({"callback_query": query})

    def push(self, update: dict) -> dict:
        update = {"update_id": next(self._update_ids), **update}
        self._updates.append(update)
        asyncio.get_running_loop().create_task(self._notify_update())
        return update

    async def _notify_update(self):
        async with self._new_update:
            self._new_update.notify_all()

    def fail_next(self, method: str, times: int = 1, *, code: int = 429, retry_after: int = 1,
                  description: str | None = None) -> None:
        """The next `times` calls of `method` fail (default: 429 Too Many Requests)."""
        desc = description or (f"Too Many Requests: retry after {retry_after}" if code == 429 else "Bad Request")
        params = {"retry_after": retry_after} if code == 429 else None
        self._failures.setdefault(method, []).extend(BadRequest(desc, code, params) for _ in range(times))

    # ---- what tests read --------------------------------------------------------------------
    def messages(self, chat_id: int) -> list[Sent]:
        return list(self.sent.get(chat_id, []))

    def texts(self, chat_id: int) -> list[str]:
        return [m.plain for m in self.sent.get(chat_id, [])]

    def method_calls(self, method: str) -> list[dict]:
        return [params for name, params in self.calls if name == method]

    @property
    def pending_updates(self) -> int:
        return len(self._updates)

    async def wait_sent(self, chat_id: int, count: int, timeout: float = 10.0) -> list[Sent]:
        """Waits until the bot has sent at least `count` messages to `chat_id`, returns them all."""
        async def enough():
            async with self._new_sent:
                await self._new_sent.wait_for(lambda: len(self.sent.get(chat_id, [])) >= count)
        try:
            await asyncio.wait_for(enough(), timeout)
        except asyncio.TimeoutError:
            raise AssertionError(f"chat {chat_id}: expected {count} messages, got "
                                 f"{self.texts(chat_id)}") from None
        return self.messages(chat_id)

    async def wait_for(self, predicate, timeout: float = 10.0, what: str = "condition") -> None:
        async def waiting():
            async with self._new_sent:
                await self._new_sent.wait_for(predicate)
        try:
            await asyncio.wait_for(waiting(), timeout)
        except asyncio.TimeoutError:
            raise AssertionError(f"timed out waiting for {what}") from None

    async def wait_confirmed(self, timeout: float = 10.0) -> None:
        """Waits until the bot confirmed (via getUpdates' offset) every injected update."""
        deadline = time.monotonic() + timeout
        while self._updates and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        assert not self._updates, f"{len(self._updates)} updates never confirmed"

    # ---- the Bot API --------------------------------------------------------------------------
    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response({"ok": False, "error_code": 401, "description": "Unauthorized"},
                                     status=401)
        method = request.match_info["method"]
        params = await self._params(request)
        self.calls.append((method, params))
        failures = self._failures.get(method)
        try:
            if failures:
                raise failures.pop(0)
            handler = getattr(self, f"_api_{method}", None)
            if handler is None:
                raise BadRequest("Not Found: method not found", 404)
            result = await handler(params)
        except BadRequest as e:
            body = {"ok": False, "error_code": e.code, "description": e.description}
            if e.parameters:
                body["parameters"] = e.parameters
            return web.json_response(body, status=e.code)
        return web.json_response({"ok": True, "result": result})

    @staticmethod
    async def _params(request: web.Request) -> dict:
        if request.content_type == "application/json":
            return await request.json()
        form = await request.post()
        params: dict[str, Any] = {}
        for key, value in form.items():
            if key in _JSON_FIELDS:
                params[key] = json.loads(value)
            elif key == "chat_id":
                params[key] = int(value) if re.fullmatch(r"-?\d+", value) else value
            else:
                params[key] = value
        return params

    async def _api_getMe(self, p):
        return {"id": BOT_ID, "is_bot": True, "first_name": "Thủ tục", "username": BOT_USERNAME,
                "can_join_groups": True, "can_read_all_group_messages": False,
                "supports_inline_queries": False}

    async def _api_getUpdates(self, p):
        if self.webhook:
            raise BadRequest("Conflict: can't use getUpdates method while webhook is active; "
                             "use deleteWebhook to delete the webhook first", 409)
        offset = int(p.get("offset") or 0)
        if offset:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        allowed = p.get("allowed_updates") or None
        limit = int(p.get("limit") or 100)
        timeout = float(p.get("timeout") or 0)

        def ready():
            return [u for u in self._updates if allowed is None or any(k in u for k in allowed)][:limit]

        if not ready() and timeout:
            try:
                async with self._new_update:
                    await asyncio.wait_for(self._new_update.wait_for(lambda: bool(ready())), timeout)
            except asyncio.TimeoutError:
                pass
        if allowed is not None:   # Telegram drops what the bot did not ask for
            self._updates = [u for u in self._updates if any(k in u for k in allowed)]
        return ready()

    def _check_text(self, text: str | None, parse_mode: str | None) -> str:
        if not text or not text.strip():
            raise BadRequest("Bad Request: message text is empty")
        plain = text
        if parse_mode and parse_mode.upper() == "HTML":
            plain, error = parse_html(text)
            if error:
                raise BadRequest(f"Bad Request: {error}")
        if utf16_len(plain) > 4096:
            raise BadRequest("Bad Request: message is too long")
        return plain

    @staticmethod
    def _check_markup(markup: dict | None) -> None:
        if not markup:
            return
        for row in markup.get("inline_keyboard", []):
            for button in row:
                if "callback_data" in button:
                    if not 1 <= len(button["callback_data"].encode()) <= 64:
                        raise BadRequest("Bad Request: BUTTON_DATA_INVALID")
                elif "url" in button:
                    if not re.match(r"(https?|tg)://", button["url"]):
                        raise BadRequest("Bad Request: BUTTON_URL_INVALID")
                else:
                    raise BadRequest("Bad Request: can't parse inline keyboard button")
                if not button.get("text"):
                    raise BadRequest("Bad Request: BUTTON_TEXT_EMPTY")

    def _find(self, chat_id: int, message_id: int) -> Sent:
        for m in self.sent.get(chat_id, []):
            if m.message_id == message_id:
                return m
        raise BadRequest("Bad Request: message to edit not found")

    async def _record(self, sent: Sent) -> None:
        self.sent.setdefault(sent.chat_id, []).append(sent)
        async with self._new_sent:
            self._new_sent.notify_all()

    async def _api_sendMessage(self, p):
        chat_id = p["chat_id"]
        if isinstance(chat_id, str):
            raise BadRequest("Bad Request: chat not found")
        plain = self._check_text(p.get("text"), p.get("parse_mode"))
        self._check_markup(p.get("reply_markup"))
        if self.delay:
            await asyncio.sleep(self.delay)
        reply_to = (p.get("reply_parameters") or {}).get("message_id") or p.get("reply_to_message_id")
        sent = Sent(chat_id, self._next_message_id(chat_id), p["text"], plain, p.get("reply_markup"),
                    p.get("parse_mode"), reply_to)
        await self._record(sent)
        return self._as_message(sent)

    async def _api_editMessageText(self, p):
        sent = self._find(p["chat_id"], int(p["message_id"]))
        plain = self._check_text(p.get("text"), p.get("parse_mode"))
        self._check_markup(p.get("reply_markup"))
        if p["text"] == sent.text and p.get("reply_markup") == sent.reply_markup:
            raise BadRequest("Bad Request: message is not modified: specified new message content and "
                             "reply markup are exactly the same as a current content and reply markup "
                             "of the message")
        sent.edits.append({"text": sent.text, "reply_markup": sent.reply_markup})
        sent.text, sent.plain, sent.reply_markup = p["text"], plain, p.get("reply_markup")
        async with self._new_sent:
            self._new_sent.notify_all()
        return self._as_message(sent)

    async def _api_editMessageReplyMarkup(self, p):
        sent = self._find(p["chat_id"], int(p["message_id"]))
        self._check_markup(p.get("reply_markup"))
        if p.get("reply_markup") == sent.reply_markup:
            raise BadRequest("Bad Request: message is not modified")
        sent.edits.append({"text": sent.text, "reply_markup": sent.reply_markup})
        sent.reply_markup = p.get("reply_markup")
        async with self._new_sent:
            self._new_sent.notify_all()
        return self._as_message(sent)

    async def _api_answerCallbackQuery(self, p):
        query_id = p["callback_query_id"]
        if query_id in self.callback_answers:
            raise BadRequest("Bad Request: query is too old and response timeout expired or query ID "
                             "is invalid")
        if len(p.get("text") or "") > 200:
            raise BadRequest("Bad Request: MESSAGE_TOO_LONG")
        self.callback_answers[query_id] = p
        async with self._new_sent:
            self._new_sent.notify_all()
        return True

    async def _api_setWebhook(self, p):
        url = p.get("url") or ""
        if not url:
            self.webhook = None
            return True
        secret = p.get("secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
            raise BadRequest("Bad Request: secret token contains unallowed characters")
        self.webhook = {"url": url, "secret_token": secret, "allowed_updates": p.get("allowed_updates")}
        if self._pusher is None or self._pusher.done():
            self._pusher = asyncio.get_running_loop().create_task(self._push_to_webhook())
        return True

    async def _api_deleteWebhook(self, p):
        self.webhook = None
        if p.get("drop_pending_updates"):
            self._updates.clear()
        return True

    async def _api_getWebhookInfo(self, p):
        return {"url": (self.webhook or {}).get("url", ""), "has_custom_certificate": False,
                "pending_update_count": len(self._updates)}

    async def _api_close(self, p):
        return True

    async def _push_to_webhook(self):
        """Like Telegram: POSTs each update to the webhook, in order, retrying until it gets a 2xx."""
        async with aiohttp.ClientSession() as http:
            while self.webhook:
                if not self._updates:
                    async with self._new_update:
                        try:
                            await asyncio.wait_for(self._new_update.wait_for(lambda: bool(self._updates)), 0.5)
                        except asyncio.TimeoutError:
                            continue
                hook = self.webhook
                if not hook:
                    break
                update = self._updates[0]
                headers = {"X-Telegram-Bot-Api-Secret-Token": hook["secret_token"]} if hook["secret_token"] else {}
                try:
                    async with http.post(hook["url"], json=update, headers=headers) as r:
                        ok = 200 <= r.status < 300
                except aiohttp.ClientError:
                    ok = False
                if ok:
                    self._updates.pop(0)
                else:
                    await asyncio.sleep(0.2)

    def _as_message(self, sent: Sent | dict) -> dict:
        if isinstance(sent, dict):   # an update or a message dict the test kept
            return sent.get("message", sent)
        chat_type = "private" if sent.chat_id > 0 else "supergroup"
        msg = {"message_id": sent.message_id, "date": int(time.time()),
               "chat": self._chat(sent.chat_id, chat_type),
               "from": {"id": BOT_ID, "is_bot": True, "first_name": "Thủ tục", "username": BOT_USERNAME},
               "text": sent.plain}
        if sent.reply_markup:
            msg["reply_markup"] = sent.reply_markup
        return msg


def unescape(text: str) -> str:
    return html.unescape(text)
