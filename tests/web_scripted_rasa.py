"""A scripted Rasa REST server (and action-server /health) on loopback, for the web chat's tests.

It answers like our actions do — procedure card with buttons and a `links` custom payload, the
online-submission link, a handoff payload — with the real texts of `bot/i18n/messages.py`, and records
what it received. `mode` switches it to the failures the front end must survive: "empty" (Rasa's `[]`
when the action server is down), "error" (HTTP 500), "slow". (The Telegram tests have their own,
tests/scripted_rasa.py, with Korean and long-message scripts.)

Run by hand: `.venv/bin/python tests/web_scripted_rasa.py 5005 5055` (a port of 0 leaves that server out).
"""

from __future__ import annotations

import asyncio
import sys
from dataclasses import dataclass, field

from aiohttp import web

from bot.i18n.messages import t

PORTAL = "https://dichvucong.gov.vn/p/home/dvc-tthc-thu-tuc-hanh-chinh-chi-tiet.html?ma_thu_tuc=1.004194"
SUBMIT = "https://dichvucong.gov.vn/p/home/dvc-dich-vu-cong-truc-tuyen.html?ma_thu_tuc=1.004194"


@dataclass
class Script:
    mode: str = "ok"                  # ok | empty | error | slow
    received: list[dict] = field(default_factory=list)
    delay: float = 0.0
    inflight: int = 0                 # requests being answered now, and the most seen at once
    max_inflight: int = 0


def _lang(body: dict) -> str:
    lang = (body.get("metadata") or {}).get("language")
    return lang if lang in ("vi", "en", "zh", "ko", "ja") else "vi"


def _buttons(lang: str) -> list[dict]:
    return [
        {"title": t("button_documents", lang), "payload": "/ask_documents"},
        {"title": t("button_fee", lang), "payload": "/ask_fee"},
        {"title": t("button_online", lang), "payload": "/ask_online_submission"},
        {"title": t("button_staff", lang), "payload": "/request_human"},
    ]


def answer(message: str, lang: str) -> list[dict]:
    if message.startswith("/change_language"):
        return [{"recipient_id": "x", "text": t("language_changed", lang)}]
    if message == "/ask_online_submission":
        return [{"recipient_id": "x", "text": "Đăng ký tạm trú: có thể nộp hồ sơ trực tuyến."},
                {"recipient_id": "x", "custom": {"links": [{"title": t("link_submit_online", lang), "url": SUBMIT}]}}]
    if message == "/ask_documents":
        return [{"recipient_id": "x", "text": "Giấy tờ cần có:\n1. Tờ khai thay đổi thông tin cư trú (CT01)"}]
    if message == "/request_human":
        return [{"recipient_id": "x", "text": t("handoff", lang)},
                {"recipient_id": "x", "custom": {"handoff": {"reason": "requested", "language": lang,
                                                             "procedure_code": "1.004194"}}}]
    return [
        {"recipient_id": "x", "text": "Đăng ký tạm trú (1.004194)\nThời hạn giải quyết: 3 ngày làm việc\n"
                                      f"Lệ phí: 7.000 đồng (trực tuyến)\n{t('card_link', lang, url=PORTAL)}",
         "buttons": _buttons(lang)},
        {"recipient_id": "x", "custom": {"links": [{"title": t("link_procedure_page", lang), "url": PORTAL}]}},
        {"recipient_id": "x", "custom": {"meta": {"band": "high"}}},
    ]


def make_rasa_app(script: Script) -> web.Application:
    async def root(request: web.Request) -> web.Response:
        return web.Response(text="Hello from Rasa: 3.6.21")

    async def webhook(request: web.Request) -> web.Response:
        body = await request.json()
        script.received.append(body)
        if script.mode == "error":
            return web.json_response({"error": "boom"}, status=500)
        if script.mode == "empty":
            return web.json_response([])
        script.inflight += 1
        script.max_inflight = max(script.max_inflight, script.inflight)
        try:
            if script.mode == "slow" or script.delay:
                await asyncio.sleep(script.delay or 30)
            return web.json_response(answer(body.get("message", ""), _lang(body)))
        finally:
            script.inflight -= 1

    app = web.Application()
    app.router.add_get("/", root)
    app.router.add_post("/webhooks/rest/webhook", webhook)
    return app


def make_actions_app() -> web.Application:
    async def health(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app = web.Application()
    app.router.add_get("/health", health)
    return app


async def start(app: web.Application, port: int) -> web.AppRunner:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner


async def _main(rasa_port: int, actions_port: int) -> None:
    # A port of 0 leaves that server out (the `thutuc run` test starts them as two processes).
    if rasa_port:
        await start(make_rasa_app(Script()), rasa_port)
    if actions_port:
        await start(make_actions_app(), actions_port)
    print(f"scripted Rasa on 127.0.0.1:{rasa_port}, action server /health on 127.0.0.1:{actions_port}", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    try:
        asyncio.run(_main(int(sys.argv[1]), int(sys.argv[2])))
    except KeyboardInterrupt:  # Ctrl-C reaches the whole process group, this one too
        pass
