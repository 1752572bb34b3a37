"""A small scripted Rasa REST server on loopback (aiohttp), for front-end tests without a model.

It answers `/webhooks/rest/webhook` the way Rasa 3.6 does (text, buttons, custom payloads), records
every call, and can fail like the real one: `[]` (action server down) or HTTP 503 (Rasa down).
"""

from __future__ import annotations

import asyncio
import json
import random
import re

from aiohttp import web

KOREAN_ANSWER = "임시거주증은 출입국관리사무소에 신청합니다. 준비 서류: 여권, 신청서, 사진 1장."
PORTAL_LINK = {"title": "온라인 신청", "url": "https://dichvucong.gov.vn/p/home/dvc-chi-tiet-thu-tuc-nganh-doc.html?ma_thu_tuc=1.003460"}
LONG_VI_PAYLOAD = '/choose_procedure{"procedure_code":"1.001193","tên":"Đăng ký khai sinh cho con hồ sơ hồ sơ hồ sơ"}'
SECOND_VI_PAYLOAD = '/choose_procedure{"procedure_code":"1.004194","tên":"Đăng ký tạm trú cho người thuê nhà ở"}'
LONG_ANSWER = "👍" * 2049 + "\n\nHồ sơ & lệ phí <b>không</b> đổi. " + "Xin cảm ơn! " * 400
HANDOFF_WORDS = ("cán bộ", "staff", "상담원", "人工", "職員")


def reply_text(recipient: str, text: str) -> dict:
    return {"recipient_id": recipient, "text": text}


def default_script(sender: str, message: str, metadata: dict) -> list[dict]:
    lang = metadata.get("language") or "vi"
    if message.startswith("/change_language"):
        chosen = json.loads(message[len("/change_language"):] or "{}").get("language", lang)
        return [reply_text(sender, {"vi": "Đã chuyển sang tiếng Việt.", "en": "Switched to English.",
                                    "ko": "한국어로 바꿨습니다.", "zh": "已切换为中文。",
                                    "ja": "日本語に切り替えました。"}[chosen])]
    if message.startswith("/request_human") or any(w in message.lower() for w in HANDOFF_WORDS):
        return [reply_text(sender, "Tôi sẽ chuyển bạn cho cán bộ." if lang == "vi" else "Passing you to staff."),
                {"recipient_id": sender,
                 "custom": {"handoff": {"reason": "requested", "language": lang, "procedure_code": "1.001193"}}}]
    if message.startswith("/choose_procedure"):
        code = re.search(r'"procedure_code":"([^"]+)"', message)
        return [reply_text(sender, f"Bạn đã chọn thủ tục {code.group(1) if code else '?'}.")]
    if "임시거주" in message:
        return [reply_text(sender, KOREAN_ANSWER),
                {"recipient_id": sender, "custom": {"links": [PORTAL_LINK]}},
                {"recipient_id": sender, "custom": {"meta": {"band": "high"}}}]
    if "khai sinh" in message:
        return [{"recipient_id": sender, "text": "Bạn muốn hỏi thủ tục nào?",
                 "buttons": [{"title": "Đăng ký khai sinh", "payload": LONG_VI_PAYLOAD},
                             {"title": "Đăng ký tạm trú", "payload": SECOND_VI_PAYLOAD}]}]
    if message == "long answer please":
        return [reply_text(sender, LONG_ANSWER)]
    return [reply_text(sender, f"echo: {message}")]


class ScriptedRasa:
    def __init__(self, script=default_script):
        self.script = script
        self.calls: list[dict] = []
        self.empty_next = 0          # answer [] this many times (action server down)
        self.down = False            # answer HTTP 503
        self.jitter = 0.0            # random delay up to this many seconds (reordering bait)
        self.port = 0
        self._runner: web.AppRunner | None = None

    async def start(self) -> "ScriptedRasa":
        app = web.Application()
        app.router.add_post("/webhooks/rest/webhook", self._webhook)
        app.router.add_get("/", self._root)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        self.port = self._runner.addresses[0][1]
        return self

    async def stop(self) -> None:
        if self._runner:
            await self._runner.cleanup()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def messages_of(self, sender: str) -> list[str]:
        return [c["message"] for c in self.calls if c["sender"] == sender]

    async def _root(self, request):
        return web.Response(text="Hello from Rasa: 3.6.21")

    async def _webhook(self, request):
        body = await request.json()
        self.calls.append(body)
        if self.jitter:
            await asyncio.sleep(random.uniform(0, self.jitter))
        if self.down:
            return web.Response(status=503)
        if self.empty_next > 0:
            self.empty_next -= 1
            return web.json_response([])
        return web.json_response(self.script(body["sender"], body["message"], body.get("metadata") or {}))
