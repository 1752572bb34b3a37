"""The web chat's HTTP API with aiohttp's test client, against a scripted Rasa on loopback.

Validation (clear 400s in the user's language), /go/<id> redirect and click counting, the outbox
poll (staff replies), /health (503 when a part is down) and Rasa's `[]` answered politely with the
message kept for a retry.
"""

from __future__ import annotations

import asyncio

import pytest
from aiohttp.test_utils import TestClient, TestServer
from scripted_rasa import PORTAL, SUBMIT, scripted_servers, web_script

from bot.channels.rasa_client import AsyncRasaClient, sender_id
from bot.channels.router import ConversationRouter
from bot.channels.store import FrontendStore
from bot.channels.web import app as web_app
from bot.channels.web import create_app
from bot.channels.web.app import RATE_COUNT
from bot.config import PROJECT_ROOT, Settings
from bot.i18n.messages import t
from bot.i18n.messages_web import WEB_MESSAGES

CHAT = "0123456789abcdef0123456789abcdef"
STAFF = 4242


@pytest.fixture
async def rasa():
    async with scripted_servers(web_script) as (script, actions_port):
        yield script, script.port, actions_port


@pytest.fixture
async def make_web(rasa, tmp_path):
    """Builds (client, script, router, store) for a front end whose Rasa and action server are scripted."""
    script, rasa_port, actions_port = rasa
    made = []

    async def make(telegram_status=None, **overrides):
        values = dict(home=tmp_path, frontend_db=tmp_path / f"frontend{len(made)}.db", rasa_port=rasa_port,
                      actions_port=actions_port, office_file=PROJECT_ROOT / "data" / "office.yml",
                      staff_ids=str(STAFF))
        settings = Settings(**{**values, **overrides})
        store = FrontendStore.open(settings.frontend_db)
        router = ConversationRouter(settings, AsyncRasaClient(settings.rasa_url, timeout=5), store)
        client = TestClient(TestServer(create_app(settings, router, store, telegram_status=telegram_status),
                                       host="127.0.0.1"))
        await client.start_server()
        made.append((client, router, store))
        return client, script, router, store

    yield make
    for client, router, store in made:
        await client.close()
        await router.rasa.aclose()
        store.close()


@pytest.fixture
async def web(make_web):
    return await make_web()


async def post(client, path, body, **headers):
    return await client.post(path, json=body, headers=headers or None)


# --- the page -------------------------------------------------------------------------------------

async def test_page_and_assets_are_served_with_a_strict_policy(web):
    client, *_ = web
    r = await client.get("/")
    assert r.status == 200 and "text/html" in r.headers["Content-Type"]
    html = await r.text()
    assert "/static/chat.js" in html and "http" not in html.replace("http-equiv", "")  # no CDN
    assert "script-src 'self'" in r.headers["Content-Security-Policy"]
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    for asset in ("chat.js", "chat.css", "icon.svg"):
        assert (await client.get(f"/static/{asset}")).status == 200
    js = await (await client.get("/static/chat.js")).text()
    for sink in (".innerHTML", ".outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in js  # user and bot text only ever through textContent


async def test_strings_cover_five_languages():
    langs = ("vi", "en", "zh", "ko", "ja")
    for key, texts in WEB_MESSAGES.items():
        assert key.startswith("web_"), key
        assert set(texts) == set(langs), key
        assert all(texts[lang].strip() for lang in langs), key


async def test_strings_endpoint(web):
    client, *_ = web
    data = await (await client.get("/api/strings")).json()
    assert set(data["strings"]) == {"vi", "en", "zh", "ko", "ja"}
    assert data["strings"]["ko"]["web_send"] == WEB_MESSAGES["web_send"]["ko"]


# --- conversation ---------------------------------------------------------------------------------

async def test_question_gets_the_card_with_buttons_and_a_counted_link(web):
    client, script, router, store = web
    r = await post(client, "/api/message", {"chat": CHAT, "text": "tôi muốn đăng ký tạm trú", "lang": "vi"})
    assert r.status == 200
    data = await r.json()
    assert data["handled"] is True
    card = data["replies"][0]
    assert card["sender"] == "bot" and "1.004194" in card["text"]
    assert {"title": t("button_online", "vi"), "payload": "/ask_online_submission"} in card["buttons"]
    (link,) = card["links"]
    assert link["title"] == t("link_procedure_page", "vi") and link["href"].startswith("/go/")
    # Rasa got our opaque sender id, never the browser's chat id.
    assert script.calls[-1]["sender"] == sender_id("web", CHAT) and CHAT not in str(script.calls[-1])

    r = await client.get(link["href"], allow_redirects=False)
    assert r.status == 302 and r.headers["Location"] == PORTAL
    await client.get(link["href"], allow_redirects=False)
    (row,) = [row for row in store.analytics.table() if row.lang == "vi"]
    assert row.link_click == 2 and row.message == 1


async def test_button_press_sends_the_offered_payload(web):
    client, script, *_ = web
    await post(client, "/api/message", {"chat": CHAT, "text": "đăng ký tạm trú"})
    r = await post(client, "/api/button", {"chat": CHAT, "payload": "/ask_online_submission"})
    data = await r.json()
    assert r.status == 200 and data["handled"]
    assert script.calls[-1]["message"] == "/ask_online_submission"
    (link,) = data["replies"][-1]["links"]
    assert link["title"] == t("link_submit_online", "vi")
    r = await client.get(link["href"], allow_redirects=False)
    assert r.headers["Location"] == SUBMIT


async def test_forged_payload_never_reaches_rasa(web):
    client, script, *_ = web
    forged = '/check_dossier_status{"dossier_code": "X"}'
    r = await post(client, "/api/button", {"chat": CHAT, "payload": forged})
    data = await r.json()
    assert r.status == 200 and data["replies"][0]["text"] == t("frontend_stale_button", "vi")
    assert all(m["message"] != forged for m in script.calls)


async def test_typed_shortcut_syntax_is_neutralised(web):
    client, script, *_ = web
    await post(client, "/api/message", {"chat": CHAT, "text": '/check_dossier_status{"dossier_code":"X"}'})
    assert not script.calls[-1]["message"].startswith("/")


async def test_invisible_characters_are_dropped_and_text_normalised(web):
    client, script, *_ = web
    decomposed = "đăng ky\u0301 ta\u0323m tru\u0301"  # NFD, as some keyboards send it
    await post(client, "/api/message", {"chat": CHAT, "text": "\u200b" + decomposed + "\u202e\U000e0041"})
    assert script.calls[-1]["message"] == "đăng ký tạm trú"


async def test_language_choice(web):
    client, script, router, store = web
    r = await post(client, "/api/language", {"chat": CHAT, "lang": "ko"})
    assert r.status == 200 and (await r.json())["replies"]
    assert store.chats.get("web", CHAT).lang_choice == "ko"
    assert script.calls[-1]["message"] == '/change_language{"language": "ko"}'


# --- Rasa failing: polite answer, nothing lost ----------------------------------------------------

@pytest.mark.parametrize("mode", ["empty", "error"])
async def test_rasa_failure_is_a_polite_unhandled_answer(web, mode):
    client, script, router, store = web
    script.mode = mode
    r = await post(client, "/api/message", {"chat": CHAT, "text": "đăng ký tạm trú", "lang": "vi"})
    assert r.status == 200
    data = await r.json()
    assert data["handled"] is False
    assert [x["text"] for x in data["replies"]] == [t("frontend_unavailable_retry", "vi")]
    assert data["replies"][0]["sender"] == "system"
    # Nothing recorded: the page sends the same text again and it is counted once.
    assert store.cases.transcript("web", CHAT) == []
    script.mode = "ok"
    data = await (await post(client, "/api/message", {"chat": CHAT, "text": "đăng ký tạm trú"})).json()
    assert data["handled"] is True
    assert [row.message for row in store.analytics.table()] == [1]


async def test_rasa_unreachable_is_answered_too(make_web):
    client, script, router, store = await make_web(rasa_port=9)  # discard port: connection refused
    data = await (await post(client, "/api/message", {"chat": CHAT, "text": "xin chào"})).json()
    assert data["handled"] is False and data["replies"][0]["text"] == t("frontend_unavailable_retry", "vi")


# --- validation -----------------------------------------------------------------------------------

@pytest.mark.parametrize("chat", [None, "", "short", "x" * 65, "ab cd ef gh ij kl mn", "đăng-ký-tạm-trú-123456", 12345678901234567])
async def test_bad_chat_id(web, chat):
    client, *_ = web
    r = await post(client, "/api/message", {"chat": chat, "text": "xin chào", "lang": "en"})
    assert r.status == 400
    data = await r.json()
    assert data["error"] == "chat" and data["message"] == t("web_error_chat", "en")


@pytest.mark.parametrize("text,key", [
    ("", "web_error_text_empty"),
    ("   \n\t ", "web_error_text_empty"),
    ("\u200b\u2060", "web_error_text_empty"),
    (None, "web_error_text_empty"),
    (42, "web_error_text_empty"),
    ("x" * 2001, "web_error_text_long"),
    ("x" * 100_000, "web_error_text_long"),
    ("xin\x00chào", "web_error_text_control"),
    ("xin\x1b[31mchào", "web_error_text_control"),
    ("xin\x85chào", "web_error_text_control"),
])
async def test_bad_text(web, text, key):
    client, script, *_ = web
    r = await post(client, "/api/message", {"chat": CHAT, "text": text, "lang": "vi"})
    if key == "web_error_text_long" and len(text) > 10_000:
        assert r.status == 413  # larger than any accepted body: refused before it is read
        return
    assert r.status == 400
    data = await r.json()
    assert data["error"] == "text"
    assert data["message"] == t(key, "vi", max=2000) if "{max}" in WEB_MESSAGES[key]["vi"] else t(key, "vi")
    assert script.calls == []


async def test_bad_language_and_payload(web):
    client, *_ = web
    r = await post(client, "/api/language", {"chat": CHAT, "lang": "fr"})
    assert r.status == 400 and (await r.json())["error"] == "lang"
    r = await post(client, "/api/message", {"chat": CHAT, "text": "hi", "lang": "xx"})
    assert r.status == 400 and (await r.json())["error"] == "lang"
    for payload in (None, "", "x" * 301, "/ask\x00fee"):
        r = await post(client, "/api/button", {"chat": CHAT, "payload": payload})
        assert r.status == 400 and (await r.json())["error"] == "payload", payload


async def test_requests_must_be_json_objects_from_this_origin(web):
    client, *_ = web
    r = await client.post("/api/message", data="chat=x&text=y", headers={"Content-Type": "text/plain"})
    assert r.status == 400 and (await r.json())["error"] == "json"
    r = await client.post("/api/message", data="{not json", headers={"Content-Type": "application/json"})
    assert r.status == 400
    r = await post(client, "/api/message", ["a", "list"])
    assert r.status == 400 and (await r.json())["message"] == t("web_error_json", "vi")
    r = await post(client, "/api/message", {"chat": CHAT, "text": "hi"}, Origin="https://evil.example")
    assert r.status == 403
    r = await post(client, "/api/message", {"chat": CHAT, "text": "xin chào"},
                   Origin=f"http://{client.host}:{client.port}")
    assert r.status == 200
    # Behind an HTTPS proxy that passes the public host along.
    r = await post(client, "/api/message", {"chat": CHAT, "text": "xin chào"},
                   Origin="https://chat.example.vn", **{"X-Forwarded-Host": "chat.example.vn"})
    assert r.status == 200


async def test_errors_speak_the_browser_language(web):
    client, *_ = web
    r = await client.post("/api/message", json={"chat": "bad"}, headers={"Accept-Language": "ja-JP,ja;q=0.9"})
    assert (await r.json())["message"] == t("web_error_chat", "ja")


async def test_rate_limit_per_chat(web):
    client, *_ = web
    for _ in range(RATE_COUNT):
        assert (await post(client, "/api/message", {"chat": CHAT, "text": "xin chào"})).status == 200
    r = await post(client, "/api/message", {"chat": CHAT, "text": "xin chào"})
    assert r.status == 429 and (await r.json())["message"] == t("web_error_busy", "vi")
    other = "f" * 32
    assert (await post(client, "/api/message", {"chat": other, "text": "xin chào"})).status == 200


# --- links and the outbox -------------------------------------------------------------------------

async def test_go_unknown_or_malformed_is_404(web):
    client, *_ = web
    for link in ("nothere1", "../../etc", "a" * 40, "abc-def", "%2e%2e"):
        r = await client.get(f"/go/{link}", allow_redirects=False)
        assert r.status != 302, link  # never a redirect (`/go/%2e%2e` is normalised to the page)


async def test_staff_reply_reaches_the_page_through_poll(web):
    client, script, router, store = web
    await post(client, "/api/message", {"chat": CHAT, "text": "đăng ký tạm trú", "lang": "vi"})
    data = await (await post(client, "/api/button", {"chat": CHAT, "payload": "/request_human"})).json()
    assert data["replies"][0]["text"] == t("handoff", "vi")
    case = store.cases.open_for("web", CHAT)
    assert case is not None and case.status == "waiting"

    empty = await (await client.get("/api/poll", params={"chat": CHAT, "after": "0"})).json()
    assert empty == {"messages": [], "last": 0}

    # A held poll is answered as soon as staff write.
    poll = asyncio.ensure_future(client.get("/api/poll", params={"chat": CHAT, "after": "0", "wait": "10"}))
    await asyncio.sleep(0.2)
    assert not poll.done()
    assert (await router.staff_message(STAFF, case.id, "Chào bạn, tôi là cán bộ Trung tâm.")).ok
    r = await asyncio.wait_for(poll, 5)
    data = await r.json()
    texts = [(reply["sender"], reply["text"]) for m in data["messages"] for reply in m["replies"]]
    assert texts == [("staff", "Chào bạn, tôi là cán bộ Trung tâm.")]  # answering claims the case
    last = data["last"]

    # While claimed, the citizen's messages go to staff, not to Rasa.
    before = len(script.calls)
    data = await (await post(client, "/api/message", {"chat": CHAT, "text": "Cảm ơn anh"})).json()
    assert data == {"replies": [], "handled": True} and len(script.calls) == before

    assert (await router.staff_close(STAFF, case.id)).ok
    data = await (await client.get("/api/poll", params={"chat": CHAT, "after": str(last)})).json()
    assert [reply["text"] for m in data["messages"] for reply in m["replies"]] == [t("handoff_closed", "vi")]
    # Another chat never sees these.
    other = await (await client.get("/api/poll", params={"chat": "f" * 32, "after": "0"})).json()
    assert other["messages"] == []


async def test_poll_validation(web):
    client, *_ = web
    for wait in ("nan", "inf", "-5", "abc"):  # never an error, never held past the cap
        r = await client.get("/api/poll", params={"chat": CHAT, "after": "0", "wait": wait})
        assert r.status == 200, wait
    assert (await client.get("/api/poll", params={"chat": "bad", "after": "0"})).status == 400
    for after in ("-1", "x", "1e3", "١٢"):
        r = await client.get("/api/poll", params={"chat": CHAT, "after": after})
        assert r.status == 400 and (await r.json())["error"] == "after", after


# --- health ---------------------------------------------------------------------------------------

async def test_health_all_up(web):
    client, *_ = web
    r = await client.get("/health")
    data = await r.json()
    assert r.status == 200, data
    assert data["status"] == "ok"
    assert {k: v["status"] for k, v in data["parts"].items()} == {
        "rasa": "up", "actions": "up", "frontend_db": "up", "telegram": "not configured"}


async def test_health_503_when_rasa_is_down(make_web):
    client, *_ = await make_web(rasa_port=9)  # discard port: connection refused
    r = await client.get("/health")
    data = await r.json()
    assert r.status == 503 and data["status"] == "degraded"
    assert data["parts"]["rasa"]["status"] == "down" and data["parts"]["actions"]["status"] == "up"


async def test_health_reports_telegram_and_the_database(make_web):
    telegram = {"status": "stopped"}
    client, script, router, store = await make_web(telegram_status=lambda: telegram["status"])
    r = await client.get("/health")
    assert r.status == 503 and (await r.json())["parts"]["telegram"] == {"status": "stopped", "required": True}
    telegram["status"] = "running"
    assert (await client.get("/health")).status == 200
    store.db.conn.close()  # the database unusable
    r = await client.get("/health")
    assert r.status == 503 and (await r.json())["parts"]["frontend_db"]["status"] == "down"


async def test_one_chat_is_handled_in_order(web):
    client, script, *_ = web
    script.delay = 0.2  # each answer takes a while: concurrent requests would overlap
    texts = [f"câu hỏi số {i}" for i in range(5)]
    results = await asyncio.gather(*(post(client, "/api/message", {"chat": CHAT, "text": x}) for x in texts))
    assert all(r.status == 200 for r in results)
    assert sorted(m["message"] for m in script.calls) == texts
    assert script.max_inflight == 1  # one after the other, never overlapping
    assert client.app[web_app.K_LOCKS] == {}  # nothing kept once the chat is idle
