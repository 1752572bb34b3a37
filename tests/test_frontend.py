"""The front-end process in one loop: web chat and Telegram together (fake Bot API on loopback),
`/health` telling whether Telegram runs, a refused token not taking the web chat down, a staff reply
crossing channels, and a clean stop.
"""

from __future__ import annotations

import asyncio
import socket

import httpx
import pytest
from fake_telegram import FakeTelegram
from scripted_rasa import free_port, scripted_servers, web_script

from bot.channels.frontend import FrontendError, Started, serve_frontend
from bot.config import PROJECT_ROOT, Settings

CHAT = "c" * 32


@pytest.fixture
async def servers():
    async with scripted_servers(web_script) as (rasa, actions_port):
        yield rasa.port, actions_port


def _settings(tmp_path, rasa_port, actions_port, **extra) -> Settings:
    # One scripted Rasa: every conversation goes to it.
    return Settings(home=tmp_path, frontend_db=tmp_path / "fe.db", rasa_port=rasa_port, rasa_processes=1,
                    actions_port=actions_port,
                    office_file=PROJECT_ROOT / "data" / "office.yml", web_port=free_port(), **extra)


async def _start(settings):
    stop = asyncio.Event()
    started: list[Started] = []
    task = asyncio.create_task(serve_frontend(settings, stop, started.append))
    for _ in range(200):
        if started or task.done():
            break
        await asyncio.sleep(0.05)
    if task.done():
        task.result()  # raises what made it stop
    return stop, task, started[0]


async def test_web_and_telegram_in_one_loop(servers, tmp_path):
    fake = await FakeTelegram().start()
    settings = _settings(tmp_path, *servers, telegram_token=fake.token, telegram_api_url=fake.base_url)
    stop, task, started = await _start(settings)
    try:
        assert started.telegram == "running" and started.web_url == f"http://127.0.0.1:{settings.web_port}"
        async with httpx.AsyncClient(base_url=started.web_url) as http:
            r = await http.get("/health")
            assert r.status_code == 200, r.text
            assert r.json()["parts"]["telegram"] == {"status": "running", "required": True}
            r = await http.post("/api/message", json={"chat": CHAT, "text": "đăng ký tạm trú"})
            assert r.json()["handled"] is True
        fake.text(42, "tôi muốn đăng ký tạm trú")
        sent = await asyncio.wait_for(fake.wait_sent(42, 1), 20)
        assert "1.004194" in sent[0].text
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)
        await fake.stop()


async def test_refused_token_leaves_the_web_chat_running(servers, tmp_path):
    fake = await FakeTelegram(token="123456:RIGHT").start()
    settings = _settings(tmp_path, *servers, telegram_token="999:WRONG", telegram_api_url=fake.base_url)
    stop, task, started = await _start(settings)
    try:
        assert started.telegram.startswith("failed")
        async with httpx.AsyncClient(base_url=started.web_url) as http:
            r = await http.get("/health")
            assert r.status_code == 503 and r.json()["parts"]["telegram"]["status"] == "stopped"
            assert (await http.post("/api/message", json={"chat": CHAT, "text": "xin chào"})).json()["handled"]
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)
        await fake.stop()


async def test_taken_port_is_a_clear_error(servers, tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        settings = _settings(tmp_path, *servers).with_(web_port=busy.getsockname()[1])
        with pytest.raises(FrontendError, match="THUTUC_WEB_PORT"):
            await _start(settings)


async def test_stop_releases_held_polls_at_once(servers, tmp_path):
    settings = _settings(tmp_path, *servers)
    stop, task, started = await _start(settings)
    async with httpx.AsyncClient(base_url=started.web_url, timeout=30) as http:
        poll = asyncio.create_task(http.get("/api/poll", params={"chat": CHAT, "after": "0", "wait": "25"}))
        await asyncio.sleep(0.3)
        loop = asyncio.get_running_loop()
        begun = loop.time()
        stop.set()
        await asyncio.wait_for(task, 10)
        assert loop.time() - begun < 3  # not the 25 s of the held poll
        r = await poll
        assert r.status_code == 200 and r.json()["messages"] == []
