"""The local web chat: an aiohttp app served by the front-end process (default http://127.0.0.1:8080).

Routes: `GET /` (the page, files in `static/`), `GET /api/strings` (its texts, five languages),
`POST /api/message|button|language`, `GET /api/poll` (replies delivered later, e.g. by staff),
`GET /go/<id>` (counts a link click, then 302 to the real URL), `GET /health`.

Every input is checked in `validate.py` (400 with a clear text otherwise); the page never receives
HTML, only JSON it renders with textContent. Requests must be JSON and, when the browser sends an
Origin, same-origin: another site cannot post into a chat (CSRF) with a plain form.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from aiohttp import web

from ...config import Settings
from ...i18n import SUPPORTED
from ...i18n.messages import t
from ...i18n.messages_web import WEB_MESSAGES
from ..replies import Reply
from ..router import RetryLater
from .health import check_health
from .outbox import Outbox, WebDeliver
from .validate import (
    MAX_TEXT,
    BadInput,
    check_after,
    check_chat,
    check_lang,
    check_payload,
    clean_text,
)

__all__ = ["CHANNEL", "create_app"]

log = logging.getLogger(__name__)

CHANNEL = "web"
STATIC = Path(__file__).parent / "static"
#: Longest a poll is held open (the page asks for 25 s); short enough for proxies' idle limits.
MAX_WAIT = 25.0
#: Per chat: at most this many messages in this many seconds (a person types far slower).
RATE_COUNT, RATE_WINDOW = 20, 60.0

K_SETTINGS = web.AppKey("settings", Settings)
K_ROUTER = web.AppKey("router", object)
K_STORE = web.AppKey("store", object)
K_OUTBOX = web.AppKey("outbox", Outbox)
K_HTTP = web.AppKey("http", httpx.AsyncClient)
K_TELEGRAM = web.AppKey("telegram_status", object)
K_LIMITER = web.AppKey("limiter", object)
K_LOCKS = web.AppKey("locks", dict)

# Vietnamese, Chinese… as they are, not \u escapes: half the size and readable when debugging.
_dumps = functools.partial(json.dumps, ensure_ascii=False)

_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'self'")


class RateLimiter:
    """A sliding window per chat, in memory (one front-end process; a restart forgets, which is fine)."""

    def __init__(self, count: int = RATE_COUNT, window: float = RATE_WINDOW, clock=time.monotonic):
        self.count, self.window, self.clock = count, window, clock
        self._hits: dict[str, deque[float]] = {}

    def allow(self, chat: str) -> bool:
        now = self.clock()
        hits = self._hits.setdefault(chat, deque())
        while hits and now - hits[0] > self.window:
            hits.popleft()
        if len(hits) >= self.count:
            return False
        hits.append(now)
        if len(self._hits) > 10_000:  # forget idle chats so memory stays bounded
            for key in [k for k, v in self._hits.items() if not v or now - v[-1] > self.window]:
                del self._hits[key]
        return True


def _json(data, status: int = 200, headers: dict | None = None) -> web.Response:
    return web.json_response(data, status=status, headers=headers, dumps=_dumps)


def _lang_of(request: web.Request, body: dict | None = None) -> str:
    """The language for an error text: the request's own, else the browser's, else the default."""
    lang = (body or {}).get("lang")
    if lang in SUPPORTED:
        return lang
    accept = request.headers.get("Accept-Language", "")[:2].lower()
    return accept if accept in SUPPORTED else request.app[K_SETTINGS].default_lang


def _error(request: web.Request, status: int, key: str, field: str = "", body: dict | None = None,
           **values) -> web.Response:
    return _json({"error": field or key.removeprefix("web_error_"), "message":
                              t(key, _lang_of(request, body), **values)}, status=status)


@web.middleware
async def _guard(request: web.Request, handler):
    if request.method == "POST":
        # Host only, not scheme: behind the operator's HTTPS proxy the page is https:// while this
        # server sees http://. The proxy must pass the Host (or X-Forwarded-Host) header.
        origin = request.headers.get("Origin")
        if origin is not None and urlsplit(origin).netloc not in (request.host, request.headers.get("X-Forwarded-Host")):
            return _json({"error": "origin", "message": "cross-origin request refused"}, status=403)
    try:
        response = await handler(request)
    except BadInput as e:
        response = _error(request, 400, e.key, e.field, request.get("body"), **e.values)
    except web.HTTPException as e:
        response = e
    except Exception:  # noqa: BLE001 - log the kind of failure, never the user's text
        log.exception("web chat: %s %s failed", request.method, request.path)
        response = _json({"error": "internal", "message": "internal error"}, status=500)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Content-Security-Policy", _CSP)
    return response


async def _json_body(request: web.Request) -> dict:
    if request.content_type != "application/json":
        raise BadInput("web_error_json", "json")
    try:
        body = await request.json()
    except (ValueError, UnicodeDecodeError):
        raise BadInput("web_error_json", "json") from None
    if not isinstance(body, dict):
        raise BadInput("web_error_json", "json")
    request["body"] = body
    return body


def _render(request: web.Request, chat: str, replies: list[Reply]) -> list[dict]:
    """Replies as the page shows them: links go through /go/<id> so a click is counted."""
    store = request.app[K_STORE]
    lang = store.chats.get(CHANNEL, chat).lang or request.app[K_SETTINGS].default_lang
    out = []
    for r in replies:
        out.append({
            "sender": r.sender,
            "text": r.text,
            "buttons": [{"title": b.title, "payload": b.payload} for b in r.buttons],
            "links": [{"title": link.title, "href": f"/go/{store.links.register(link.url, lang)}"}
                      for link in r.links],
        })
    return out


async def _converse(request: web.Request, chat: str, call: Callable[[], Awaitable[list[Reply]]]) -> web.Response:
    if not request.app[K_LIMITER].allow(chat):
        return _error(request, 429, "web_error_busy", "rate", request.get("body"))
    # One chat's messages are handled one at a time, in arrival order (two tabs, a double click).
    locks = request.app[K_LOCKS]
    entry = locks.setdefault(chat, [asyncio.Lock(), 0])  # [lock, requests holding or awaiting it]
    entry[1] += 1
    try:
        async with entry[0]:
            try:
                replies, handled = await call(), True
            except RetryLater as e:
                # Rasa is down or answered nothing: the router recorded nothing, the page keeps the text
                # and sends it again; the polite notice is the answer (HTTP 200: the front end is fine).
                replies, handled = e.replies, False
    finally:
        entry[1] -= 1
        if entry[1] == 0:
            del locks[chat]  # no one else waiting: forget it, so the dict stays small
    return _json({"replies": _render(request, chat, replies), "handled": handled})


async def page(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})


async def strings(request: web.Request) -> web.Response:
    table = {lang: {key: texts[lang] for key, texts in WEB_MESSAGES.items()} for lang in SUPPORTED}
    return _json({"strings": table, "languages": list(SUPPORTED), "max_text": MAX_TEXT},
                             headers={"Cache-Control": "no-cache"})


async def message(request: web.Request) -> web.Response:
    body = await _json_body(request)
    chat = check_chat(body.get("chat"))
    text = clean_text(body.get("text"))
    lang = check_lang(body.get("lang"), required=False)
    router = request.app[K_ROUTER]
    return await _converse(request, chat, lambda: router.on_text(CHANNEL, chat, text, lang_hint=lang, retry=True))


async def button(request: web.Request) -> web.Response:
    body = await _json_body(request)
    chat = check_chat(body.get("chat"))
    payload = check_payload(body.get("payload"))
    router = request.app[K_ROUTER]
    return await _converse(request, chat, lambda: router.on_button(CHANNEL, chat, payload, retry=True))


async def language(request: web.Request) -> web.Response:
    body = await _json_body(request)
    chat = check_chat(body.get("chat"))
    lang = check_lang(body.get("lang"))
    router = request.app[K_ROUTER]
    return await _converse(request, chat, lambda: router.on_language(CHANNEL, chat, lang))


async def poll(request: web.Request) -> web.Response:
    chat = check_chat(request.query.get("chat"))
    after = check_after(request.query.get("after"))
    try:
        wait = float(request.query.get("wait", "0"))
    except ValueError:
        wait = 0.0
    wait = min(max(wait, 0.0), MAX_WAIT) if math.isfinite(wait) else 0.0
    outbox = request.app[K_OUTBOX]
    found = await outbox.wait(chat, after, wait)
    messages = [{"id": row_id, "replies": _render(request, chat, replies)} for row_id, replies in found]
    last = max([after] + [m["id"] for m in messages])
    return _json({"messages": messages, "last": last}, headers={"Cache-Control": "no-store"})


async def go(request: web.Request) -> web.Response:
    link_id = request.match_info["id"]
    url = request.app[K_STORE].links.resolve(link_id) if link_id.isalnum() and len(link_id) <= 32 else None
    if url is None:
        raise web.HTTPNotFound(text="Unknown link.")
    raise web.HTTPFound(url, headers={"Cache-Control": "no-store"})


async def health(request: web.Request) -> web.Response:
    app = request.app
    settings = app[K_SETTINGS]
    db = app[K_STORE].db

    def db_check() -> None:
        db.execute("SELECT COUNT(*) FROM schema_versions").fetchone()

    report = await check_health(app[K_HTTP], rasa_port=settings.rasa_port, actions_port=settings.actions_port,
                                db_check=db_check, telegram_status=app[K_TELEGRAM])
    return _json(report.as_json(), status=200 if report.ok else 503,
                             headers={"Cache-Control": "no-store"})


def create_app(settings: Settings, router, store, *,
               telegram_status: Callable[[], str | Awaitable[str]] | None = None) -> web.Application:
    """The web chat for one front-end process; registers the web channel's `Deliver` on `router`.

    `store` is the `FrontendStore` (its `db`, `chats` and `links` are used); `telegram_status` returns
    "running" or "stopped" and is None when no Telegram token is configured.
    """
    app = web.Application(middlewares=[_guard], client_max_size=16 * 1024)
    outbox = Outbox(store.db)
    app[K_SETTINGS] = settings
    app[K_ROUTER] = router
    app[K_STORE] = store
    app[K_OUTBOX] = outbox
    app[K_TELEGRAM] = telegram_status
    app[K_LIMITER] = RateLimiter()
    app[K_LOCKS] = {}
    router.register(CHANNEL, WebDeliver(outbox))

    async def on_startup(app: web.Application) -> None:
        app[K_HTTP] = httpx.AsyncClient()
        outbox.purge()

    async def on_shutdown(app: web.Application) -> None:
        outbox.wake_all()  # held polls answer at once instead of delaying the stop

    async def on_cleanup(app: web.Application) -> None:
        await app[K_HTTP].aclose()

    app.on_startup.append(on_startup)
    app.on_shutdown.append(on_shutdown)
    app.on_cleanup.append(on_cleanup)
    app.router.add_get("/", page)
    app.router.add_static("/static", STATIC, append_version=False)
    app.router.add_get("/api/strings", strings)
    app.router.add_post("/api/message", message)
    app.router.add_post("/api/button", button)
    app.router.add_post("/api/language", language)
    app.router.add_get("/api/poll", poll)
    app.router.add_get("/go/{id}", go)
    app.router.add_get("/health", health)
    return app
