"""A scripted Rasa REST server (and the action server's /health) on loopback, for front-end tests.

`ScriptedRasa` answers `/webhooks/rest/webhook` the way Rasa 3.6 does (text, buttons, custom payloads)
from a script, records every call, and can fail like the real one:

- `mode = "empty"`: `[]`, what Rasa says when the action server is down (`empty_next = n`: only the
  next n answers);
- `mode = "error"`: HTTP 500 (Rasa down);
- `mode = "slow"` (30 s), `delay` (fixed seconds) and `jitter` (random up to that many seconds, which
  reorders answers across chats);
- connection refused: point the client at `free_port()`.

The scripts, by user:

- `telegram_script` (Telegram tests and bench): an echo, a Korean answer with a `links` payload, a long
  message, a card with `/choose_procedure` buttons, a handoff payload;
- `web_script` (web chat, `thutuc frontend`/`run`): our actions' procedure card with buttons and
  `links`, the online-submission link, the handoff, with the real texts of `bot/i18n/messages.py`;
- `router_script` (tests/test_router.py): answers by exact message, including `[]` and HTTP 500.

Run by hand: `.venv/bin/python tests/scripted_rasa.py 5005 5055` (the web script; a port of 0 leaves
that server out).
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import socket
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from aiohttp import web

from bot.i18n.messages import t

LANGS = ("vi", "en", "zh", "ko", "ja")

# A script answers (sender, message, metadata) with Rasa's list of messages, or with a whole response.
Script = Callable[[str, str, dict], "list[dict] | web.Response"]


# --- pieces of an answer --------------------------------------------------------------------------

def text(sender: str, body: str, **extra) -> dict:
    return {"recipient_id": sender, "text": body, **extra}


def custom(sender: str, **payload) -> dict:
    return {"recipient_id": sender, "custom": payload}


def handoff(sender: str, lang: str, procedure_code: str | None) -> dict:
    return custom(sender, handoff={"reason": "requested", "language": lang, "procedure_code": procedure_code})


def language_of(metadata: dict) -> str:
    lang = metadata.get("language")
    return lang if lang in LANGS else "vi"


def language_changed(sender: str, message: str, metadata: dict) -> list[dict] | None:
    """`/change_language{"language": x}` is answered the same by every script, in x."""
    if not message.startswith("/change_language"):
        return None
    chosen = json.loads(message[len("/change_language"):] or "{}").get("language")
    return [text(sender, t("language_changed", chosen if chosen in LANGS else language_of(metadata)))]


# --- Telegram -------------------------------------------------------------------------------------

KOREAN_ANSWER = "임시거주증은 출입국관리사무소에 신청합니다. 준비 서류: 여권, 신청서, 사진 1장."
PORTAL_LINK = {"title": "온라인 신청", "url": "https://dichvucong.gov.vn/p/home/dvc-chi-tiet-thu-tuc-nganh-doc.html?ma_thu_tuc=1.003460"}
LONG_VI_PAYLOAD = '/choose_procedure{"procedure_code":"1.001193","tên":"Đăng ký khai sinh cho con hồ sơ hồ sơ hồ sơ"}'
SECOND_VI_PAYLOAD = '/choose_procedure{"procedure_code":"1.004194","tên":"Đăng ký tạm trú cho người thuê nhà ở"}'
LONG_ANSWER = "👍" * 2049 + "\n\nHồ sơ & lệ phí <b>không</b> đổi. " + "Xin cảm ơn! " * 400
HANDOFF_WORDS = ("cán bộ", "staff", "상담원", "人工", "職員")


def telegram_script(sender: str, message: str, metadata: dict) -> list[dict]:
    lang = metadata.get("language") or "vi"
    if (changed := language_changed(sender, message, metadata)) is not None:
        return changed
    if message.startswith("/request_human") or any(w in message.lower() for w in HANDOFF_WORDS):
        return [text(sender, "Tôi sẽ chuyển bạn cho cán bộ." if lang == "vi" else "Passing you to staff."),
                handoff(sender, lang, "1.001193")]
    if message.startswith("/choose_procedure"):
        code = re.search(r'"procedure_code":"([^"]+)"', message)
        return [text(sender, f"Bạn đã chọn thủ tục {code.group(1) if code else '?'}.")]
    if "임시거주" in message:
        return [text(sender, KOREAN_ANSWER), custom(sender, links=[PORTAL_LINK]), custom(sender, meta={"band": "high"})]
    if "khai sinh" in message:
        return [text(sender, "Bạn muốn hỏi thủ tục nào?",
                     buttons=[{"title": "Đăng ký khai sinh", "payload": LONG_VI_PAYLOAD},
                              {"title": "Đăng ký tạm trú", "payload": SECOND_VI_PAYLOAD}])]
    if message == "long answer please":
        return [text(sender, LONG_ANSWER)]
    return [text(sender, f"echo: {message}")]


# --- web chat -------------------------------------------------------------------------------------

PORTAL = "https://dichvucong.gov.vn/p/home/dvc-tthc-thu-tuc-hanh-chinh-chi-tiet.html?ma_thu_tuc=1.004194"
SUBMIT = "https://dichvucong.gov.vn/p/home/dvc-dich-vu-cong-truc-tuyen.html?ma_thu_tuc=1.004194"


def _card_buttons(lang: str) -> list[dict]:
    return [
        {"title": t("button_documents", lang), "payload": "/ask_documents"},
        {"title": t("button_fee", lang), "payload": "/ask_fee"},
        {"title": t("button_online", lang), "payload": "/ask_online_submission"},
        {"title": t("button_staff", lang), "payload": "/request_human"},
    ]


def web_script(sender: str, message: str, metadata: dict) -> list[dict]:
    lang = language_of(metadata)
    if (changed := language_changed(sender, message, metadata)) is not None:
        return changed
    if message == "/ask_online_submission":
        return [text(sender, "Đăng ký tạm trú: có thể nộp hồ sơ trực tuyến."),
                custom(sender, links=[{"title": t("link_submit_online", lang), "url": SUBMIT}])]
    if message == "/ask_documents":
        return [text(sender, "Giấy tờ cần có:\n1. Tờ khai thay đổi thông tin cư trú (CT01)")]
    if message == "/request_human":
        return [text(sender, t("handoff", lang)), handoff(sender, lang, "1.004194")]
    return [
        text(sender, "Đăng ký tạm trú (1.004194)\nThời hạn giải quyết: 3 ngày làm việc\n"
                     f"Lệ phí: 7.000 đồng (trực tuyến)\n{t('card_link', lang, url=PORTAL)}",
             buttons=_card_buttons(lang)),
        custom(sender, links=[{"title": t("link_procedure_page", lang), "url": PORTAL}]),
        custom(sender, meta={"band": "high"}),
    ]


# --- router ---------------------------------------------------------------------------------------

ROUTER_HANDOFF_TEXT = "Tôi đã chuyển cuộc trò chuyện cho cán bộ."
ROUTER_FEE_PAYLOAD = '/ask_fee{"procedure_code": "1.001193"}'


def router_script(sender: str, message: str, metadata: dict) -> list[dict] | web.Response:
    """Answers by the exact message; "down" is Rasa's `[]` and "boom" an HTTP 500."""
    if (changed := language_changed(sender, message, metadata)) is not None:
        return changed
    if message == "down":
        return []
    if message == "boom":
        return web.json_response({"error": "internal"}, status=500)
    if message in ("gặp cán bộ", "/request_human"):
        return [text(sender, ROUTER_HANDOFF_TEXT), handoff(sender, "vi", "1.004194")]
    if message == "talk to staff":
        return [text(sender, "I've passed this to staff."), handoff(sender, "en", None)]
    if message == "khai sinh":
        return [text(sender, "Đăng ký khai sinh: hồ sơ gồm tờ khai…",
                     buttons=[{"title": "Lệ phí", "payload": ROUTER_FEE_PAYLOAD},
                              {"title": "Gặp cán bộ", "payload": "/request_human"}]),
                custom(sender, links=[{"title": "Nộp trực tuyến", "url": "https://dichvucong.gov.vn/p/1.001193"},
                                      {"title": "bad", "url": "javascript:alert(1)"}]),
                custom(sender, meta={"band": "high"})]
    if message == "mơ hồ quá":
        return [text(sender, "Có phải bạn muốn hỏi…"), custom(sender, meta={"band": "low"})]
    if message == ROUTER_FEE_PAYLOAD:
        return [text(sender, "Lệ phí: miễn.")]
    if message == "/greet":
        return [text(sender, "Xin chào!")]
    return [text(sender, f"echo: {message}")]


# --- servers --------------------------------------------------------------------------------------

async def serve(app: web.Application, port: int = 0, **runner_options) -> web.AppRunner:
    """Serves `app` on 127.0.0.1:`port` (0: a free one, see `port_of`)."""
    runner = web.AppRunner(app, access_log=None, **runner_options)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner


def port_of(runner: web.AppRunner) -> int:
    return runner.addresses[0][1]


_handed_out: set[int] = set()


def free_port() -> int:
    """A loopback port nothing listens on now: for a server to take, or to be refused a connection.

    Never the same port twice in one test process: the kernel may offer a just-closed port again, and
    two servers of one test given the same port fail to start (seen once in CI)."""
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in _handed_out:
            _handed_out.add(port)
            return port


def free_port_run(count: int) -> int:
    """The first of `count` consecutive free loopback ports, none handed out before: `thutuc run` starts
    its Rasa processes on THUTUC_RASA_PORT, +1, … (a lone free port had its neighbour taken by another
    server once, when two test runs shared the machine)."""
    while True:
        first = free_port()
        ports = range(first, first + count)
        if all(p == first or p not in _handed_out for p in ports) and all(_bindable(p) for p in ports[1:]):
            _handed_out.update(ports)
            return first


def _bindable(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def make_actions_app() -> web.Application:
    """The action server, as far as the front end sees it: `/health`."""
    async def health(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app = web.Application()
    app.router.add_get("/health", health)
    return app


class ScriptedRasa:
    def __init__(self, script: Script = telegram_script):
        self.script = script
        self.calls: list[dict] = []  # request bodies, in order
        self.mode = "ok"             # ok | empty | error | slow
        self.empty_next = 0          # answer [] this many times (action server down)
        self.delay = 0.0             # seconds before each answer
        self.jitter = 0.0            # and a random delay up to this many seconds (reordering bait)
        self.inflight = 0            # requests being answered now, and the most seen at once
        self.max_inflight = 0
        self.port = 0
        self._runner: web.AppRunner | None = None

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/webhooks/rest/webhook", self._webhook)
        app.router.add_get("/", self._root)
        return app

    async def start(self, port: int = 0, **runner_options) -> ScriptedRasa:
        self._runner = await serve(self.app(), port or self.port, **runner_options)
        self.port = port_of(self._runner)
        return self

    async def stop(self) -> None:
        if self._runner:
            await self._runner.cleanup()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def messages(self) -> list[str]:
        return [c["message"] for c in self.calls]

    def messages_of(self, sender: str) -> list[str]:
        return [c["message"] for c in self.calls if c["sender"] == sender]

    async def _root(self, request: web.Request) -> web.Response:
        return web.Response(text="Hello from Rasa: 3.6.21")

    async def _webhook(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.calls.append(body)
        if self.mode == "error":
            return web.json_response({"error": "boom"}, status=500)
        if self.mode == "empty" or self.empty_next > 0:
            self.empty_next = max(0, self.empty_next - 1)
            return web.json_response([])
        self.inflight += 1
        self.max_inflight = max(self.max_inflight, self.inflight)
        try:
            delay = (30 if self.mode == "slow" and not self.delay else self.delay) + random.uniform(0, self.jitter)
            if delay:
                await asyncio.sleep(delay)
            answer = self.script(body["sender"], body.get("message", ""), body.get("metadata") or {})
        finally:
            self.inflight -= 1
        return answer if isinstance(answer, web.Response) else web.json_response(answer)


@asynccontextmanager
async def scripted_servers(script: Script = web_script) -> AsyncIterator[tuple[ScriptedRasa, int]]:
    """A scripted Rasa and an action server's /health, on free ports: (rasa, actions port)."""
    rasa = await ScriptedRasa(script).start()
    actions = await serve(make_actions_app())
    try:
        yield rasa, port_of(actions)
    finally:
        await actions.cleanup()
        await rasa.stop()


async def _main(rasa_port: int, actions_port: int) -> None:
    # A port of 0 leaves that server out (the `thutuc run` test starts them as two processes).
    if rasa_port:
        await ScriptedRasa(web_script).start(rasa_port)
    if actions_port:
        await serve(make_actions_app(), actions_port)
    print(f"scripted Rasa on 127.0.0.1:{rasa_port}, action server /health on 127.0.0.1:{actions_port}", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    try:
        asyncio.run(_main(int(sys.argv[1]), int(sys.argv[2])))
    except KeyboardInterrupt:  # Ctrl-C reaches the whole process group, this one too
        pass
