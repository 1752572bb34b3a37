"""The web chat end to end in headless Chromium (Debian's `chromium`, driven by Playwright for Python).

The front end (router, store, web app) runs in a thread of this process with a scripted Rasa on
loopback, so the test can also act as staff (a staff reply must show up labelled) and make Rasa fail.
`make test` installs Chromium and Playwright (`make browser`); without them these tests skip.
Playwright never downloads a browser here: it drives /usr/bin/chromium through `executable_path`.
"""

from __future__ import annotations

import asyncio
import os
import re
import threading
from pathlib import Path

import pytest
from aiohttp import web
from scripted_rasa import SUBMIT, ScriptedRasa, free_port, make_actions_app, serve, web_script

from bot.channels.rasa_client import AsyncRasaClient
from bot.channels.router import ConversationRouter
from bot.channels.store import FrontendStore
from bot.channels.web import create_app
from bot.config import PROJECT_ROOT, Settings
from bot.i18n.messages import t

CHROMIUM = os.environ.get("THUTUC_CHROMIUM", "/usr/bin/chromium")
# The last one makes every host name but localhost unresolvable: a test must never reach the real
# portal (or anything else) from here, whatever a page links to.
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1"]
STAFF = 777

sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is installed by `make browser`")
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                reason=f"{CHROMIUM} missing: `make browser` installs Debian's chromium")
expect = sync_api.expect


class Stack:
    """Scripted Rasa + action server + the front end's web app, in one event loop on a thread."""

    def __init__(self, tmp: Path, ports: tuple[int, int] | None = None):
        """`ports`: (rasa, actions) of real servers already running; None = scripted ones."""
        self.rasa = ScriptedRasa(web_script)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.runners: list[web.AppRunner] = []
        self.url = self.call(self._start(tmp, ports))

    def call(self, coro, timeout: float = 30):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    async def _serve(self, app: web.Application) -> int:
        runner = await serve(app, shutdown_timeout=1)
        self.runners.append(runner)
        return runner.addresses[0][1]

    async def _start(self, tmp: Path, ports: tuple[int, int] | None) -> str:
        if ports is None:
            ports = (await self._serve(self.rasa.app()), await self._serve(make_actions_app()))
        rasa_port, actions_port = ports
        settings = Settings(home=tmp, frontend_db=tmp / "frontend.db", rasa_port=rasa_port,
                            actions_port=actions_port, office_file=PROJECT_ROOT / "data" / "office.yml",
                            staff_ids=str(STAFF))
        self.store = FrontendStore.open(settings.frontend_db)
        self.router = ConversationRouter(settings, AsyncRasaClient(settings.rasa_url, timeout=60), self.store)
        port = await self._serve(create_app(settings, self.router, self.store))
        return f"http://127.0.0.1:{port}"

    async def _stop(self) -> None:
        for runner in reversed(self.runners):
            await runner.cleanup()
        await self.router.rasa.aclose()
        self.store.close()

    def link_clicks(self) -> int:
        async def count() -> int:
            return sum(row.link_click for row in self.store.analytics.table())
        return self.call(count())

    def close(self) -> None:
        self.call(self._stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


@pytest.fixture
def stack(tmp_path):
    s = Stack(tmp_path)
    yield s
    s.close()


@pytest.fixture
def browser(tmp_path):
    with sync_api.sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=CHROMIUM, args=ARGS, headless=True,
            locale="vi-VN", viewport={"width": 900, "height": 900})
        errors: list[str] = []
        page = context.pages[0] if context.pages else context.new_page()
        page.on("pageerror", lambda e: errors.append(str(e)))
        yield context, page, errors
        context.close()


def _open(page, url: str) -> None:
    page.goto(url)
    expect(page.locator("body")).to_have_attribute("data-ready", "1")


def test_vietnamese_question_answer_link_and_button(stack, browser):
    context, page, errors = browser
    _open(page, stack.url)
    expect(page.locator("#title")).to_have_text(t("web_title", "vi"))

    page.fill("#text", "tôi muốn đăng ký tạm trú")
    page.keyboard.press("Enter")
    card = page.locator(".msg.bot").filter(has_text="Đăng ký tạm trú (1.004194)")
    expect(card).to_be_visible()
    expect(card.get_by_role("link", name=t("link_procedure_page", "vi"))).to_have_attribute("href", re.compile(r"^/go/"))

    # A button sends its payload; the answer carries the online-submission link.
    card.get_by_role("button", name=t("button_online", "vi")).click()
    submit = page.get_by_role("link", name=t("link_submit_online", "vi"))
    expect(submit).to_be_visible()
    assert stack.rasa.calls[-1]["message"] == "/ask_online_submission"

    # Clicking it goes through /go/<id> (counted) and is redirected to the portal, in a new tab (which
    # cannot load here: no name resolves).
    requests = []
    context.on("request", lambda r: requests.append(r))
    with context.expect_page():
        submit.click()
    for _ in range(50):
        to_portal = [r for r in requests if r.url == SUBMIT]
        if to_portal:
            break
        page.wait_for_timeout(100)
    assert to_portal and re.search(r"/go/[a-z0-9]+$", to_portal[0].redirected_from.url)
    assert stack.link_clicks() == 1
    assert errors == []


def test_text_is_never_markup_and_history_survives_a_reload(stack, browser):
    context, page, errors = browser
    _open(page, stack.url)
    hostile = '<img src=x onerror="document.body.dataset.pwned=1"><b>đậm</b>'
    page.fill("#text", hostile)
    page.click("#send")
    expect(page.locator(".msg.user .bubble").last).to_have_text(hostile)
    expect(page.locator(".msg.bot").last).to_contain_text("1.004194")
    assert page.locator("#log img, #log b").count() == 0
    assert page.locator("body").get_attribute("data-pwned") is None

    chat = page.evaluate("localStorage.getItem('thutuc.chat')")
    assert re.fullmatch(r"[0-9a-f]{32}", chat)
    page.reload()
    expect(page.locator("body")).to_have_attribute("data-ready", "1")
    expect(page.locator(".msg.user .bubble").first).to_have_text(hostile)
    assert page.evaluate("localStorage.getItem('thutuc.chat')") == chat


def test_language_picker_staff_label_and_rasa_down(stack, browser):
    context, page, errors = browser
    _open(page, stack.url)
    page.select_option("#lang", "ko")
    expect(page.locator("#title")).to_have_text(t("web_title", "ko"))
    expect(page.locator("#text")).to_have_attribute("placeholder", t("web_placeholder", "ko"))
    expect(page.locator(".msg.system, .msg.bot").last).to_have_text(re.compile(re.escape(t("language_changed", "ko"))))

    # Rasa answers [] (action server down): polite notice, the message kept and sent again.
    stack.rasa.mode = "empty"
    page.fill("#text", "임시거주증 발급")
    page.keyboard.press("Enter")
    expect(page.get_by_text(t("frontend_unavailable_retry", "ko"))).to_be_visible()
    failed = page.locator(".msg.user.failed")
    expect(failed).to_have_count(1)
    expect(failed.get_by_role("button", name=t("web_retry", "ko"))).to_be_visible()
    stack.rasa.mode = "ok"
    failed.get_by_role("button", name=t("web_retry", "ko")).click()
    expect(page.locator(".msg.user.failed")).to_have_count(0)
    expect(page.locator(".msg.bot").last).to_contain_text("1.004194")
    handled = [m["message"] for m in stack.rasa.calls if m["message"] == "임시거주증 발급"]
    assert len(handled) >= 2  # the failed attempt and the retry
    # The notice was shown once, not once per attempt.
    expect(page.get_by_text(t("frontend_unavailable_retry", "ko"))).to_have_count(1)

    # Staff take over: their answer arrives through the poll, labelled as staff.
    page.locator(".msg.bot").last.get_by_role("button", name=t("button_staff", "ko")).click()
    expect(page.get_by_text(t("handoff", "ko"))).to_be_visible()

    chat = page.evaluate("localStorage.getItem('thutuc.chat')")

    async def staff_reply() -> bool:
        case = stack.store.cases.open_for("web", chat)
        return (await stack.router.staff_message(STAFF, case.id, "안녕하세요, 센터 직원입니다.")).ok

    assert stack.call(staff_reply())
    staff = page.locator(".msg.staff")
    expect(staff).to_contain_text("안녕하세요, 센터 직원입니다.", timeout=15_000)
    expect(staff.locator(".who")).to_have_text(t("web_staff", "ko"))
    assert errors == []


# --- against the real assistant (optional) --------------------------------------------------------

@pytest.mark.skipif(os.environ.get("THUTUC_RASA_E2E") != "1", reason="real Rasa only with THUTUC_RASA_E2E=1 (make test)")
def test_real_assistant_answers_in_the_browser(tmp_path, browser):
    from bot.cli.run import model_path, start_servers, stop_servers

    if not model_path(PROJECT_ROOT).exists() or not (PROJECT_ROOT / "models" / "search" / "manifest.json").exists():
        pytest.skip("no trained Rasa model or search index (tests/test_rasa.py trains it under make test)")
    rasa_port, actions_port = free_port(), free_port()
    procs = start_servers(PROJECT_ROOT, rasa_port, actions_port)
    stack = None
    try:
        stack = Stack(tmp_path, ports=(rasa_port, actions_port))
        context, page, errors = browser
        _open(page, stack.url)
        page.fill("#text", "tôi muốn đăng ký tạm trú")
        page.keyboard.press("Enter")
        # The answer: a card or "did you mean", both with buttons (the page's welcome has none).
        answer = page.locator(".msg.bot").filter(has=page.locator("button")).first
        expect(answer.locator("button").first).to_be_visible(timeout=90_000)
        online = t("button_online", "vi")
        if answer.get_by_role("button", name=online).count() == 0:  # "did you mean": take the first
            answer.locator("button").first.click()
            expect(page.get_by_role("button", name=online).last).to_be_visible(timeout=60_000)
        page.get_by_role("button", name=online).last.click()
        link = page.locator(".msg.bot").last.get_by_role(
            "link", name=re.compile(f"{t('link_submit_online', 'vi')}|{t('link_procedure_page', 'vi')}"))
        expect(link).to_have_attribute("href", re.compile(r"^/go/"), timeout=60_000)
        assert errors == []
    finally:
        if stack is not None:
            stack.close()
        stop_servers(procs)
