"""ConversationRouter against a real HTTP server on 127.0.0.1 that answers like Rasa's REST channel.

The fake (tests/scripted_rasa.py, `router_script`) answers by the message it receives: scripted replies
(buttons, links, meta band, handoff), `[]` (what Rasa says when the action server is down), HTTP 500,
or an echo.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import string
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import httpx
import pytest
from conftest import Clock
from scripted_rasa import ScriptedRasa, free_port, router_script

from bot.channels import (
    AsyncRasaClient,
    Button,
    Link,
    RasaClient,
    RasaUnavailable,
    Reply,
    parse_rasa,
    sender_id,
)
from bot.channels.router import MAX_TEXT, ConversationRouter, RetryLater, normalise_lang
from bot.channels.store import FrontendStore
from bot.config import Settings
from bot.i18n.messages import MESSAGES, t
from bot.i18n.messages_handoff import HANDOFF_MESSAGES

VN = ZoneInfo("Asia/Ho_Chi_Minh")
STAFF, OTHER_STAFF, CITIZEN_ID = 101, 102, 999

OFFICE_HOURS = """
hours:
  mon: ["07:00-11:30", "13:30-17:00"]
  tue: ["07:00-11:30", "13:30-17:00"]
  wed: ["07:00-11:30", "13:30-17:00"]
  thu: ["07:00-11:30", "13:30-17:00"]
  fri: ["07:00-11:30", "13:30-17:00"]
holidays: []
timezone: Asia/Ho_Chi_Minh
portals: {national: https://dichvucong.gov.vn}
"""
OFFICE_UNKNOWN = "hours: null\nholidays: []\ntimezone: Asia/Ho_Chi_Minh\nportals: {national: https://dichvucong.gov.vn}\n"


class Desk:
    def __init__(self):
        self.posted, self.forwarded, self.changed = [], [], []

    async def post_case(self, case, transcript):
        self.posted.append((case, transcript))

    async def forward(self, case, text):
        self.forwarded.append((case.id, text))

    async def case_changed(self, case):
        self.changed.append((case.id, case.status))


class Inbox:
    """A channel's Deliver: what reached each citizen outside a request."""

    def __init__(self):
        self.sent: list[tuple[str, Reply]] = []

    async def __call__(self, chat, replies):
        self.sent.extend((chat, r) for r in replies)


@pytest.fixture
async def rasa():
    fake = await ScriptedRasa(router_script).start()
    yield fake
    await fake.stop()


class Env:
    def __init__(self, tmp_path, rasa: ScriptedRasa, office: str, at: datetime):
        office_file = tmp_path / "office.yml"
        office_file.write_text(office, encoding="utf-8")
        self.settings = Settings(frontend_db=tmp_path / "frontend.db", office_file=office_file,
                                 staff_ids=f"{STAFF},{OTHER_STAFF}", sender_secret="pepper")
        self.clock = Clock(at)
        self.rasa = rasa
        self.store = FrontendStore.open(self.settings.frontend_db, self.clock)
        self.client = AsyncRasaClient(rasa.url, timeout=5)
        self.router = ConversationRouter(self.settings, self.client, self.store, clock=self.clock)
        self.desk = Desk()
        self.router.staff_desk = self.desk
        self.web = Inbox()
        self.router.register("web", self.web)

    def count(self, metric: str, lang: str) -> int:
        row = self.store.db.execute("SELECT n FROM analytics WHERE metric = ? AND lang = ?", [metric, lang]).fetchone()
        return row[0] if row else 0


MONDAY_9 = datetime(2025, 3, 3, 9, 0, tzinfo=VN)
MONDAY_20 = datetime(2025, 3, 3, 20, 0, tzinfo=VN)


@pytest.fixture
async def make_env(tmp_path, rasa):
    made: list[Env] = []

    def make(office: str = OFFICE_HOURS, at: datetime = MONDAY_9) -> Env:
        made.append(Env(tmp_path, rasa, office, at))
        return made[-1]

    yield make
    for env in made:
        await env.client.aclose()


@pytest.fixture
async def env(make_env):
    return make_env()


def texts(replies: list[Reply]) -> list[str]:
    return [r.text for r in replies]


# --- replies and texts ----------------------------------------------------------------------------

def test_parse_rasa():
    replies, customs = parse_rasa([
        {"custom": {"links": [{"title": "Portal", "url": "https://dichvucong.gov.vn"}]}},  # before any text
        {"text": "Hồ sơ gồm…", "buttons": [{"title": "Lệ phí", "payload": "/ask_fee"}, {"title": "", "payload": "/x"},
                                            {"title": "No payload"}, "junk"]},
        {"custom": {"links": [{"title": "Nộp", "url": "https://example.gov.vn/a"},
                              {"title": "x", "url": "javascript:alert(1)"}, {"title": "y", "url": "data:,x"},
                              {"title": "", "url": "https://no-title.example"}, "junk"]}},
        {"custom": {"meta": {"band": "low"}}},
        {"custom": {"handoff": {"reason": "requested", "language": "vi", "procedure_code": None}}},
        {"text": "   "}, {"image": "https://x/y.png"}, "junk", {"custom": "not a dict"}, {"custom": {}},
    ])
    assert replies == [
        Reply(links=[Link("Portal", "https://dichvucong.gov.vn")]),
        Reply("Hồ sơ gồm…", [Button("Lệ phí", "/ask_fee")], [Link("Nộp", "https://example.gov.vn/a")]),
    ]
    assert [next(iter(c)) for c in customs] == ["links", "links", "meta", "handoff"]
    assert parse_rasa("not a list") == ([], [])
    with pytest.raises(ValueError):
        Reply("x", sender="admin")


def test_router_texts_exist_in_five_languages_with_the_same_placeholders():
    assert HANDOFF_MESSAGES
    for key, by_lang in HANDOFF_MESSAGES.items():
        assert key.startswith(("handoff_", "frontend_")), key
        assert set(by_lang) == {"vi", "en", "zh", "ko", "ja"}, key
        fields = {lang: {f for _, f, _, _ in string.Formatter().parse(text) if f} for lang, text in by_lang.items()}
        assert len({frozenset(f) for f in fields.values()}) == 1, (key, fields)
        assert all(by_lang[lang] != by_lang["en"] for lang in ("vi", "zh", "ko", "ja")), key
        assert MESSAGES[key] is by_lang  # merged into the one catalogue


def test_router_texts_state_no_office_fact():
    # Hours, address and phone come only from data/office.yml (unknown now): no text may carry one.
    for key, by_lang in HANDOFF_MESSAGES.items():
        for text in by_lang.values():
            assert not re.search(r"\d{1,2}[:h]\d{2}|\d{3,}", text), (key, text)


# --- Rasa client ----------------------------------------------------------------------------------

async def test_async_client_semantics(rasa):
    client = AsyncRasaClient(rasa.url, timeout=5)
    try:
        assert await client.healthy()
        assert await client.send_text("s1", "xin chào", {"language": "vi"}) == [
            {"recipient_id": "s1", "text": "echo: xin chào"}]
        await client.send_text("s1", '/check_dossier_status{"dossier_code": "X"}')
        assert rasa.messages[-1].startswith("／")  # typed shortcut syntax neutralised
        await client.send_payload("s1", "/greet")
        assert rasa.messages[-1] == "/greet"  # our own button payloads go as they are
        assert rasa.calls[0]["sender"] == "s1" and rasa.calls[0]["metadata"] == {"language": "vi"}
        with pytest.raises(RasaUnavailable, match="nothing"):
            await client.send_text("s1", "down")
        with pytest.raises(RasaUnavailable, match="500"):
            await client.send_text("s1", "boom")
    finally:
        await client.aclose()


async def test_async_client_connection_refused_and_bad_bodies():
    client = AsyncRasaClient(f"http://127.0.0.1:{free_port()}", timeout=2)
    with pytest.raises(RasaUnavailable, match="unreachable"):
        await client.send_text("s", "hi")
    assert not await client.healthy()
    await client.aclose()
    for body in (b"not json", b'{"a": 1}'):
        mock = AsyncRasaClient(transport=httpx.MockTransport(lambda r, b=body: httpx.Response(200, content=b)))
        with pytest.raises(RasaUnavailable):
            await mock.send_text("s", "hi")
        await mock.aclose()


def test_sync_client_shares_the_checks():
    client = RasaClient(transport=httpx.MockTransport(lambda r: httpx.Response(200, json=[])))
    with pytest.raises(RasaUnavailable, match="nothing"):
        client.send_text("s", "hi")
    client = RasaClient(transport=httpx.MockTransport(lambda r: httpx.Response(200, json={"x": 1})))
    with pytest.raises(RasaUnavailable, match="list"):
        client.send_text("s", "hi")


# --- answering ------------------------------------------------------------------------------------

async def test_answer_with_buttons_links_and_opaque_sender(env):
    replies = await env.router.on_text("web", "chat-1", "khai sinh")
    (reply,) = replies
    assert reply.sender == "bot" and reply.text.startswith("Đăng ký khai sinh")
    assert [b.title for b in reply.buttons] == ["Lệ phí", "Gặp cán bộ"]
    assert [(link.title, link.url) for link in reply.links] == [("Nộp trực tuyến", "https://dichvucong.gov.vn/p/1.001193")]
    request = env.rasa.calls[-1]
    assert request["sender"] == sender_id("web", "chat-1", "pepper") and request["sender"] != "default"
    assert "chat-1" not in request["sender"]
    assert request["metadata"] == {"language": "vi"}
    await env.router.on_text("web", "chat-2", "khai sinh")
    assert env.rasa.calls[-1]["sender"] != request["sender"]  # one conversation per chat
    assert env.count("message", "vi") == 2 and env.count("low_confidence", "vi") == 0
    lines = env.store.cases.transcript("web", "chat-1")
    assert [(line.role, line.text[:10]) for line in lines] == [("user", "khai sinh"), ("bot", "Đăng ký kh")]


async def test_typed_shortcut_syntax_never_reaches_rasa_as_an_intent(env):
    await env.router.on_text("web", "c", '/check_dossier_status{"dossier_code": "X"}')
    assert not env.rasa.messages[-1].startswith("/")


async def test_low_confidence_is_counted(env):
    await env.router.on_text("web", "c", "mơ hồ quá")
    assert env.count("low_confidence", "vi") == 1 and env.count("message", "vi") == 1


@pytest.mark.parametrize("message", ["down", "boom"])
async def test_rasa_failure_is_answered_politely_in_the_users_language(env, message):
    # The fake answers by text, so a Korean sentence is sent first to fix the chat's language.
    await env.router.on_language("web", "c", "ko")
    replies = await env.router.on_text("web", "c", message)
    assert texts(replies) == [t("frontend_unavailable", "ko")] and replies[0].sender == "system"
    assert env.count("message", "ko") == 1  # without retry the message is counted and kept


async def test_rasa_failure_with_retry_raises_and_records_nothing(env):
    with pytest.raises(RetryLater) as e:
        await env.router.on_text("web", "c", "down", lang_hint="ja", retry=True)
    assert isinstance(e.value, RasaUnavailable)
    assert texts(e.value.replies) == [t("frontend_unavailable_retry", "ja")]  # one word: the hint decides
    assert env.count("message", "ja") == 0 and env.store.cases.transcript("web", "c") == []


async def test_rasa_unreachable(make_env, tmp_path):
    env = make_env()
    await env.client.aclose()
    env.router.rasa = env.client = AsyncRasaClient(f"http://127.0.0.1:{free_port()}", timeout=2)
    replies = await env.router.on_text("web", "c", "안녕하세요 임시거주증")
    assert texts(replies) == [t("frontend_unavailable", "ko")]


async def test_empty_and_too_long_messages(env):
    assert await env.router.on_text("web", "c", "  \u200b ") == []
    replies = await env.router.on_text("web", "c", "x" * (MAX_TEXT + 1))
    assert texts(replies) == [t("frontend_too_long", env.router.language("web", "c"), limit=MAX_TEXT)]
    assert env.rasa.calls == []


# --- language -------------------------------------------------------------------------------------

async def test_language_detected_hint_and_stored(env):
    await env.router.on_text("web", "k", "임시거주증 발급 절차")
    assert env.rasa.calls[-1]["metadata"] == {"language": "ko"}
    await env.router.on_text("web", "k", "ok", lang_hint="en")  # inconclusive: the conversation's language
    assert env.rasa.calls[-1]["metadata"] == {"language": "ko"}
    await env.router.on_text("web", "new", "ok", lang_hint="ja-JP")  # first message: the channel hint
    assert env.rasa.calls[-1]["metadata"] == {"language": "ja"}
    await env.router.on_text("web", "new", "đăng ký tạm trú ở đâu")  # the text's own language wins
    assert env.rasa.calls[-1]["metadata"] == {"language": "vi"}
    assert env.router.language("web", "new") == "vi"


async def test_explicit_choice_wins_and_is_passed_to_rasa(env):
    replies = await env.router.on_language("web", "c", "en")
    assert texts(replies) == [t("language_changed", "en")]
    assert env.rasa.messages[-1] == '/change_language{"language": "en"}'
    await env.router.on_text("web", "c", "thủ tục đăng ký khai sinh cho con")
    assert env.rasa.calls[-1]["metadata"] == {"language": "en"}
    with pytest.raises(ValueError):
        await env.router.on_language("web", "c", "fr")


async def test_language_choice_survives_rasa_down(env, rasa):
    await env.client.aclose()
    env.router.rasa = env.client = AsyncRasaClient(f"http://127.0.0.1:{free_port()}", timeout=2)
    assert texts(await env.router.on_language("web", "c", "zh")) == [t("language_changed", "zh")]
    assert env.router.language("web", "c") == "zh"


def test_normalise_lang():
    assert [normalise_lang(x) for x in ("ko", "en-US", "zh-hans", "pt-br", None, "")] == ["ko", "en", "zh", None, None, None]


# --- buttons --------------------------------------------------------------------------------------

async def test_offered_buttons_pass_forged_ones_do_not(env):
    await env.router.on_text("web", "c", "khai sinh")
    replies = await env.router.on_button("web", "c", '/ask_fee{"procedure_code": "1.001193"}')
    assert texts(replies) == ["Lệ phí: miễn."]
    assert env.store.cases.transcript("web", "c")[-2].text == "[Lệ phí]"
    sent = len(env.rasa.calls)
    forged = await env.router.on_button("web", "c", '/check_dossier_status{"dossier_code": "X"}')
    assert texts(forged) == [t("frontend_stale_button", "vi")] and len(env.rasa.calls) == sent
    other_chat = await env.router.on_button("web", "other", '/ask_fee{"procedure_code": "1.001193"}')
    assert texts(other_chat) == [t("frontend_stale_button", "vi")]  # offered to another chat only
    assert texts(await env.router.on_button("web", "other", "/greet")) == ["Xin chào!"]  # bare intent


async def test_button_rasa_down_with_retry(env):
    env.router.rasa = AsyncRasaClient(transport=httpx.MockTransport(lambda r: httpx.Response(200, json=[])))
    with pytest.raises(RetryLater):
        await env.router.on_button("web", "c", "/greet", retry=True)
    assert texts(await env.router.on_button("web", "c", "/greet")) == [t("frontend_unavailable", "vi")]
    await env.router.rasa.aclose()


# --- handoff --------------------------------------------------------------------------------------

async def test_handoff_in_hours_opens_one_case_posts_the_card_and_tells_the_position(env):
    await env.router.on_text("web", "a", "khai sinh")
    replies = await env.router.on_text("web", "a", "gặp cán bộ")
    assert texts(replies) == ["Tôi đã chuyển cuộc trò chuyện cho cán bộ.", t("handoff_position", "vi", position=1)]
    assert replies[1].sender == "system"
    case = env.store.cases.open_for("web", "a")
    assert (case.status, case.language, case.procedure_code, case.reason) == ("waiting", "vi", "1.004194", "requested")
    (posted, transcript), = env.desk.posted
    assert posted.id == case.id
    assert [line.text for line in transcript if line.role == "user"] == ["khai sinh", "gặp cán bộ"]
    # the same chat asking again gets the same case, no second card, no second count
    again = await env.router.on_button("web", "a", "/request_human")
    assert texts(again)[-1] == t("handoff_position", "vi", position=1)
    assert len(env.desk.posted) == 1 and env.count("handoff", "vi") == 1
    # a second chat queues behind
    replies_b = await env.router.on_text("web", "b", "talk to staff")
    assert texts(replies_b)[-1] == t("handoff_position", "en", position=2)
    assert env.store.chats.get("web", "a").awaiting_contact is None  # in hours: no call-back asked


async def test_handoff_outside_hours_says_when_staff_are_back_and_takes_a_contact(make_env):
    env = make_env(at=MONDAY_20.astimezone(timezone.utc))
    replies = await env.router.on_text("web", "a", "gặp cán bộ")
    said, ask = replies[1:]
    assert "Th 3, 4 tháng 3, 07:00" in said.text and "(giờ Việt Nam)" in said.text  # Tuesday 07:00
    assert "vị trí số 1" in said.text
    assert ask.text == t("handoff_ask_contact", "vi")
    case = env.store.cases.open_for("web", "a")
    # a mistyped number is asked again and never reaches Rasa or the transcript
    sent = len(env.rasa.calls)
    assert texts(await env.router.on_text("web", "a", "0912 345")) == [t("handoff_contact_invalid", "vi")]
    assert texts(await env.router.on_text("web", "a", "+84 912 345 678")) == [t("handoff_contact_saved", "vi")]
    assert len(env.rasa.calls) == sent
    assert env.store.cases.get(case.id).contact == "0912345678"
    assert not any("912" in line.text for line in env.store.cases.transcript("web", "a"))
    assert (case.id, "waiting") in env.desk.changed  # the card shows the contact was left
    # afterwards the bot answers again while the case stays queued
    assert texts(await env.router.on_text("web", "a", "khai sinh"))[0].startswith("Đăng ký khai sinh")
    assert env.store.cases.position(case.id) == 1


async def test_contact_wait_ends_when_the_citizen_asks_something_else(make_env):
    env = make_env(at=MONDAY_20)
    await env.router.on_text("web", "a", "gặp cán bộ")
    replies = await env.router.on_text("web", "a", "khai sinh")
    assert texts(replies)[0].startswith("Đăng ký khai sinh")
    assert env.store.chats.get("web", "a").awaiting_contact is None
    assert env.store.cases.open_for("web", "a").status == "waiting"


async def test_unknown_hours_are_said_as_unknown(make_env):
    env = make_env(office=OFFICE_UNKNOWN)
    replies = await env.router.on_text("web", "a", "talk to staff")
    said = replies[1].text
    assert said == t("handoff_hours_unknown", "en", position=1, portal="https://dichvucong.gov.vn")
    assert not any(ch.isdigit() and ch != "1" for ch in said.replace("https://dichvucong.gov.vn", ""))
    assert replies[2].text == t("handoff_ask_contact", "en")
    assert texts(await env.router.on_text("web", "a", "me@example.org")) == [t("handoff_contact_saved", "en")]


async def test_the_project_office_file_gives_no_invented_hours(rasa, tmp_path):
    settings = Settings(frontend_db=tmp_path / "f.db", staff_ids="1")  # data/office.yml as shipped
    store = FrontendStore.open(settings.frontend_db)
    client = AsyncRasaClient(rasa.url)
    router = ConversationRouter(settings, client, store)
    if router.hours.known:
        pytest.skip("the centre has set its hours")
    replies = await router.on_text("web", "a", "talk to staff")
    assert "dichvucong.gov.vn" in replies[1].text
    await client.aclose()


async def test_desk_failure_keeps_the_case_queued(env):
    async def broken(case, transcript):
        raise RuntimeError("telegram down")

    env.desk.post_case = broken
    replies = await env.router.on_text("web", "a", "gặp cán bộ")
    assert texts(replies)[-1] == t("handoff_position", "vi", position=1)
    assert env.store.cases.open_for("web", "a").status == "waiting"


# --- staff ----------------------------------------------------------------------------------------

async def test_full_staff_flow(env):
    await env.router.on_text("web", "a", "gặp cán bộ")
    case = env.store.cases.open_for("web", "a")
    claim = await env.router.staff_claim(STAFF, case.id)
    assert claim.ok and claim.status == "claimed" and claim.case.staff_id == STAFF
    assert env.web.sent == [("a", Reply(t("handoff_claimed", "vi"), sender="system"))]
    assert (case.id, "claimed") in env.desk.changed
    # while claimed, citizen text goes to staff, not to Rasa
    sent = len(env.rasa.calls)
    assert await env.router.on_text("web", "a", "Tôi cần hỏi thêm về giấy tờ") == []
    assert env.desk.forwarded == [(case.id, "Tôi cần hỏi thêm về giấy tờ")] and len(env.rasa.calls) == sent
    assert texts(await env.router.on_button("web", "a", "/greet")) == [t("handoff_with_staff", "vi")]
    # staff answer reaches the citizen labelled as staff
    answer = await env.router.staff_message(STAFF, case.id, "Chào bạn, bạn cần bản sao giấy khai sinh.")
    assert answer.ok and answer.status == "sent"
    assert env.web.sent[-1] == ("a", Reply("Chào bạn, bạn cần bản sao giấy khai sinh.", sender="staff"))
    roles = [line.role for line in env.store.cases.transcript("web", "a")]
    assert roles[-2:] == ["user", "staff"]
    # close: the citizen is told, and the bot answers again
    closed = await env.router.staff_close(STAFF, case.id)
    assert closed.ok and closed.status == "closed"
    assert env.web.sent[-1] == ("a", Reply(t("handoff_closed", "vi"), sender="system"))
    assert texts(await env.router.on_text("web", "a", "khai sinh"))[0].startswith("Đăng ký khai sinh")
    assert [e["kind"] for e in env.store.cases.events(case.id)] == ["opened", "claimed", "closed"]


async def test_only_allow_listed_staff_can_claim_reply_or_close(env):
    await env.router.on_text("web", "a", "gặp cán bộ")
    case = env.store.cases.open_for("web", "a")
    for result in (await env.router.staff_claim(CITIZEN_ID, case.id),
                   await env.router.staff_message(CITIZEN_ID, case.id, "hi"),
                   await env.router.staff_close(CITIZEN_ID, case.id),
                   await env.router.staff_claim(True, case.id)):  # a bool is not an account id
        assert (result.ok, result.status, result.case) == (False, "not_staff", None)
    assert env.store.cases.get(case.id).status == "waiting" and env.web.sent == []


async def test_one_claimer_under_concurrency(env):
    await env.router.on_text("web", "a", "gặp cán bộ")
    case = env.store.cases.open_for("web", "a")
    results = await asyncio.gather(*(env.router.staff_claim(s, case.id) for s in (STAFF, OTHER_STAFF) * 3))
    assert sum(r.ok for r in results) == 3  # the winner's repeats are harmless
    winners = {r.case.staff_id for r in results}
    assert len(winners) == 1
    loser = OTHER_STAFF if winners == {STAFF} else STAFF
    assert {r.status for r in results if not r.ok} == {"taken"}
    assert len(env.web.sent) == 1  # the citizen is told once
    refused = await env.router.staff_message(loser, case.id, "tôi trả lời")
    assert (refused.ok, refused.status) == (False, "not_claimer")
    assert (await env.router.staff_close(loser, case.id)).status == "not_claimer"


async def test_staff_reply_to_a_waiting_case_claims_it(env):
    await env.router.on_text("web", "a", "gặp cán bộ")
    case = env.store.cases.open_for("web", "a")
    result = await env.router.staff_message(OTHER_STAFF, case.id, "Chào bạn")
    assert result.ok and result.case.staff_id == OTHER_STAFF and result.case.status == "claimed"
    assert (await env.router.staff_claim(STAFF, case.id)).status == "taken"


async def test_staff_errors(env):
    assert (await env.router.staff_claim(STAFF, "NOPE99")).status == "unknown_case"
    assert (await env.router.staff_message(STAFF, "NOPE99", "x")).status == "unknown_case"
    assert (await env.router.staff_close(STAFF, "NOPE99")).status == "unknown_case"
    await env.router.on_text("telegram", "t1", "gặp cán bộ")  # no Deliver registered for telegram
    case = env.store.cases.open_for("telegram", "t1")
    assert (await env.router.staff_message(STAFF, case.id, "  ")).status == "empty"
    assert (await env.router.staff_message(STAFF, case.id, "Chào bạn")).status == "undelivered"
    await env.router.staff_close(STAFF, case.id)
    assert (await env.router.staff_close(STAFF, case.id)).status == "closed_already"
    assert (await env.router.staff_message(STAFF, case.id, "x")).status == "closed_already"
    assert (await env.router.staff_claim(STAFF, case.id)).status == "closed_already"


async def test_forward_failure_propagates_for_the_callers_retry(env):
    await env.router.on_text("web", "a", "gặp cán bộ")
    case = env.store.cases.open_for("web", "a")
    await env.router.staff_claim(STAFF, case.id)

    async def broken(case, text):
        raise ConnectionError("staff group unreachable")

    env.desk.forward = broken
    lines = len(env.store.cases.transcript("web", "a"))
    with pytest.raises(ConnectionError):
        await env.router.on_text("web", "a", "còn đó không?")
    assert len(env.store.cases.transcript("web", "a")) == lines  # nothing recorded: the retry starts clean


# --- links and housekeeping -----------------------------------------------------------------------

async def test_link_tracker_counts_clicks(env):
    link_id = env.store.links.register("https://dichvucong.gov.vn/p/1.001193", "ko")
    assert env.store.links.register("https://dichvucong.gov.vn/p/1.001193", "ko") == link_id
    assert len(link_id) == 8 and link_id.isalnum()
    assert env.store.links.resolve(link_id) == "https://dichvucong.gov.vn/p/1.001193"
    assert env.store.links.resolve(link_id, count=False) == "https://dichvucong.gov.vn/p/1.001193"
    assert env.store.links.resolve("https-evil") is None
    assert env.count("link_click", "ko") == 1


async def test_router_purges_past_retention(env):
    await env.router.on_text("web", "old", "khai sinh")
    env.clock.at = datetime(2025, 5, 1, 9, 0, tzinfo=VN)
    await env.router.on_text("web", "new", "khai sinh")
    assert env.store.cases.transcript("web", "old") == []
    assert len(env.store.cases.transcript("web", "new")) == 2


def test_store_file_is_wal_with_busy_timeout_and_normal_sync(env):
    db = env.store.db
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA busy_timeout").fetchone()[0] >= 5000
    assert db.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
    versions = dict(db.execute("SELECT component, version FROM schema_versions").fetchall())
    assert {"handoff", "analytics", "frontend"} <= set(versions)


def test_case_and_contact_not_in_logs_by_repr(env):
    case, _ = env.store.cases.open("web", "a", language="vi")
    case = env.store.cases.set_contact(case.id, "me@example.org")
    assert "me@example.org" not in repr(case)


async def test_no_personal_data_in_logs(make_env, caplog):
    caplog.set_level(logging.DEBUG)
    env = make_env(at=MONDAY_20)
    await env.router.on_text("web", "a", "gặp cán bộ")
    await env.router.on_text("web", "a", "số tôi là 0912 345 678")
    case = env.store.cases.open_for("web", "a")
    await env.router.staff_claim(CITIZEN_ID, case.id)  # refused: logged without the account id
    await env.router.staff_claim(STAFF, case.id)
    env.desk.forward = None  # a broken desk: the error is logged by type only
    with pytest.raises(TypeError):
        await env.router.on_text("web", "a", "Nguyễn Văn A, CCCD 051234567890")
    await env.router.staff_message(STAFF, case.id, "Chào anh Nguyễn Văn A")
    env.router.register("web", None)  # delivery fails: logged by type only
    await env.router.staff_close(STAFF, case.id)
    for secret in ("0912", "345 678", "Nguyễn", "051234567890", str(CITIZEN_ID), "gặp cán bộ"):
        assert secret not in caplog.text, secret


async def test_clients_send_each_sender_to_the_same_rasa_process_of_several():
    from bot.channels.rasa_client import rasa_url_for

    urls = ["http://127.0.0.1:5005", "http://127.0.0.1:5006"]
    senders = [f"sender-{i}" for i in range(200)]
    picked = {s: rasa_url_for(urls, s) for s in senders}
    assert set(picked.values()) == set(urls)  # both processes get conversations
    assert all(rasa_url_for(urls, s) == picked[s] for s in senders)  # always the same one
    assert rasa_url_for(urls[:1], "anyone") == urls[0]
    seen: list[tuple[str, str]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append((json.loads(request.content)["sender"], f"{request.url.scheme}://{request.url.host}:{request.url.port}"))
        return httpx.Response(200, json=[{"text": "ok"}])

    sync = RasaClient(urls, transport=httpx.MockTransport(answer))
    both = AsyncRasaClient(urls, transport=httpx.MockTransport(answer))
    for s in senders[:20]:
        sync.send_text(s, "xin chào")
        await both.send_payload(s, "/greet")
    await both.aclose()
    assert seen and all(url == picked[s] for s, url in seen)
    with pytest.raises(ValueError):
        RasaClient([])
