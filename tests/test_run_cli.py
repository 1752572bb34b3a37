"""`thutuc run` and `thutuc frontend` as processes: where to chat is printed, /health answers, and
Ctrl-C, SIGTERM or even `kill -9` of `thutuc run` leaves no process behind.

Rasa and the action server are replaced by scripted servers (tests/scripted_rasa.py, one process
each, started with the same die-with-parent guard as the real ones): the orchestration is what is
tested here; tests/test_rasa.py starts the real servers.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import httpx
import pytest
from scripted_rasa import free_port, free_port_run

from bot.config import PROJECT_ROOT, Settings

RASA_PROCESSES = Settings.from_env().rasa_processes  # `thutuc run` takes that many ports from THUTUC_RASA_PORT

TESTS = Path(__file__).parent

# Runs `thutuc run` with start_servers and the model check swapped for scripted servers.
RUNNER = textwrap.dedent("""
    import subprocess, sys, time
    import httpx
    from bot.cli import app, run

    def fake_start_servers(home, rasa_port, actions_port, rasa_processes=1):
        procs = []
        rasa_ports = range(rasa_port, rasa_port + rasa_processes)
        for args in ((0, actions_port), *((port, 0) for port in rasa_ports)):
            procs.append(subprocess.Popen([sys.executable, {script!r}, *map(str, args)],
                                          preexec_fn=run._die_with_parent()))
        for url in (f"http://127.0.0.1:{{actions_port}}/health", *(f"http://127.0.0.1:{{p}}/" for p in rasa_ports)):
            for _ in range(100):
                try:
                    if httpx.get(url, timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.1)
        return procs

    run.start_servers = fake_start_servers
    run.model_path = lambda home: __import__("pathlib").Path({script!r})
    app(["run"], prog_name="thutuc")
""").format(script=str(TESTS / "scripted_rasa.py"))


def _children(pid: int) -> set[int]:
    """All descendants of `pid` (Linux /proc)."""
    found: set[int] = set()
    todo = [pid]
    while todo:
        p = todo.pop()
        for task in Path(f"/proc/{p}/task").glob("*"):
            try:
                kids = {int(k) for k in (task / "children").read_text().split()}
            except (OSError, ValueError):
                kids = set()
            todo += list(kids - found)
            found |= kids
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _wait_gone(pids: set[int], seconds: float = 30) -> set[int]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        left = {p for p in pids if _alive(p)}
        if not left:
            return set()
        time.sleep(0.2)
    return {p for p in pids if _alive(p)}


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@pytest.fixture
def started(tmp_path, request):
    """A `thutuc run` in its own session (like a terminal's foreground job), ready to chat."""
    ignored = request.node.get_closest_marker("sigint_ignored") is not None
    ports = {"THUTUC_RASA_PORT": free_port_run(RASA_PROCESSES), "THUTUC_ACTIONS_PORT": free_port(),
             "THUTUC_WEB_PORT": free_port()}
    env = {**os.environ, **{k: str(v) for k, v in ports.items()}, "THUTUC_FRONTEND_DB": str(tmp_path / "fe.db"),
           "THUTUC_TELEGRAM_TOKEN": ""}
    log = open(tmp_path / "run.log", "w+")
    proc = subprocess.Popen([sys.executable, "-c", RUNNER], cwd=PROJECT_ROOT, env=env, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True,
                            preexec_fn=_ignore_sigint if ignored else None)
    url = f"http://127.0.0.1:{ports['THUTUC_WEB_PORT']}"
    deadline = time.monotonic() + 60
    while f"Open {url}" not in (tmp_path / "run.log").read_text():
        assert proc.poll() is None, (tmp_path / "run.log").read_text()
        assert time.monotonic() < deadline, (tmp_path / "run.log").read_text()
        time.sleep(0.2)
    kids = _children(proc.pid)
    assert len(kids) >= 3, kids  # action server, Rasa, front end
    yield proc, url, kids, tmp_path / "run.log", ports
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
    for pid in kids:
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)
    log.close()


def test_run_prints_where_to_chat_and_serves(started):
    proc, url, kids, log, ports = started
    out = log.read_text()
    assert "Telegram: not configured" in out and f"{url}/health" in out
    r = httpx.get(f"{url}/health", timeout=5)
    assert r.status_code == 200, r.text
    assert {k: v["status"] for k, v in r.json()["parts"].items()} == {
        "rasa": "up", "actions": "up", "frontend_db": "up", "telegram": "not configured"}
    r = httpx.post(f"{url}/api/message", json={"chat": "a" * 32, "text": "đăng ký tạm trú"}, timeout=10)
    assert r.status_code == 200 and r.json()["handled"] is True


def test_ctrl_c_stops_everything(started):
    proc, url, kids, log, ports = started
    os.killpg(proc.pid, signal.SIGINT)  # what the terminal does on Ctrl-C: the whole foreground group
    assert proc.wait(30) == 0, log.read_text()
    assert _wait_gone(kids) == set()
    assert "Stopped." in log.read_text()
    for port in ports.values():
        with socket.socket() as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("127.0.0.1", port))  # every port is free again


def test_sigterm_to_run_alone_stops_its_children(started):
    proc, url, kids, log, ports = started
    proc.send_signal(signal.SIGTERM)  # e.g. a service manager stopping `make run`
    assert proc.wait(30) == 0, log.read_text()
    assert _wait_gone(kids) == set()


@pytest.mark.sigint_ignored
def test_sigint_stops_a_run_started_in_the_background(started):
    proc, url, kids, log, ports = started  # SIGINT inherited as ignored, as `make run &` in a script
    proc.send_signal(signal.SIGINT)
    assert proc.wait(30) == 0, log.read_text()
    assert _wait_gone(kids) == set()
    assert "Stopped." in log.read_text()


def test_kill_9_of_run_leaves_no_orphan(started):
    proc, url, kids, log, ports = started
    proc.kill()
    proc.wait(10)
    assert _wait_gone(kids) == set()  # each child had asked for SIGTERM when its parent dies


def test_run_refuses_a_taken_port(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        env = {**os.environ, "THUTUC_WEB_PORT": str(port), "THUTUC_RASA_PORT": str(free_port_run(RASA_PROCESSES)),
               "THUTUC_ACTIONS_PORT": str(free_port()), "THUTUC_FRONTEND_DB": str(tmp_path / "fe.db")}
        result = subprocess.run([sys.executable, "-c", RUNNER], cwd=PROJECT_ROOT, env=env, capture_output=True,
                                text=True, timeout=60)
    assert result.returncode == 1
    assert f"port {port}" in result.stderr and "THUTUC_WEB_PORT" in result.stderr


def test_frontend_alone_reports_rasa_down_and_stops_on_sigterm(tmp_path):
    port = free_port()
    env = {**os.environ, "THUTUC_WEB_PORT": str(port), "THUTUC_RASA_PORT": str(free_port_run(RASA_PROCESSES)),
           "THUTUC_ACTIONS_PORT": str(free_port()), "THUTUC_FRONTEND_DB": str(tmp_path / "fe.db"),
           "THUTUC_TELEGRAM_TOKEN": ""}
    proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "frontend"], cwd=PROJECT_ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/health", timeout=2)
                break
            except httpx.HTTPError:
                assert proc.poll() is None and time.monotonic() < deadline
                time.sleep(0.2)
        assert r.status_code == 503
        parts = json.loads(r.text)["parts"]
        assert parts["rasa"]["status"] == "down" and parts["frontend_db"]["status"] == "up"
        # Rasa down: the citizen gets the polite notice, not an error.
        r = httpx.post(f"http://127.0.0.1:{port}/api/message", json={"chat": "b" * 32, "text": "xin chào"}, timeout=10)
        assert r.status_code == 200 and r.json()["handled"] is False
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=20)
    assert proc.returncode == 0, out
    assert f"Web chat: http://127.0.0.1:{port}" in out
