"""`thutuc train`, `thutuc serve`, `thutuc frontend` and `thutuc run`: the Rasa model, the two
servers on 127.0.0.1, the front-end process, and all three together (`make run`)."""

from __future__ import annotations

import ctypes
import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Optional

import typer

from ..channels import RasaClient, RasaUnavailable, sender_id
from .common import console, fail, settings

# data/procedures: the accent restorer (bot/nlu/accents.py) learns from the procedures' Vietnamese text.
RASA_INPUTS = ("config.yml", "domain.yml", "data/nlu", "data/rules.yml", "data/stories.yml", "data/procedures")


def _rasa_bin() -> str:
    return str(Path(sys.executable).with_name("rasa"))


def _fingerprint(home: Path) -> str:
    """The training inputs and the code of our trained NLU components (bot.nlu.code_fingerprint)."""
    from ..nlu import code_fingerprint

    h = hashlib.sha256(code_fingerprint().encode())
    for name in RASA_INPUTS:
        path = home / name
        files = sorted(path.rglob("*.yml")) if path.is_dir() else [path]
        for f in files:
            h.update(str(f.relative_to(home)).encode())
            h.update(f.read_bytes())
    return h.hexdigest()


def model_path(home: Path) -> Path:
    return Path(home) / "models" / "rasa" / "thutuc.tar.gz"


def train_command(
    if_stale: bool = typer.Option(False, "--if-stale", help="Do nothing when the model matches its data."),
) -> None:
    """Train the Rasa model (NLU + dialogue) into models/rasa/thutuc.tar.gz."""
    home = Path(settings().home)
    stamp = home / "models" / "rasa" / "fingerprint"
    fp = _fingerprint(home)
    if if_stale and model_path(home).exists() and stamp.exists() and stamp.read_text() == fp:
        console.print("Rasa model is up to date.")
        return
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false"}
    start = time.perf_counter()
    result = subprocess.run(
        [_rasa_bin(), "train", "--config", "config.yml", "--domain", "domain.yml", "--data", "data/nlu",
         "data/rules.yml", "data/stories.yml", "--out", "models/rasa", "--fixed-model-name", "thutuc"],
        cwd=home, env=env)
    if result.returncode != 0:
        fail("rasa train failed (see above)")
    stamp.write_text(fp)
    console.print(f"Trained the Rasa model in {time.perf_counter() - start:.0f} s → {model_path(home)}")


def _wait(check, what: str, proc: subprocess.Popen, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            fail(f"the {what} stopped while starting (exit {proc.returncode})")
        if check():
            return
        time.sleep(0.5)
    fail(f"the {what} did not start within {seconds:.0f} s")


def _die_with_parent():
    """A preexec_fn: the child gets SIGTERM if the process that started it dies, even by `kill -9`,
    so no Rasa or action server is left behind holding its port (Linux; elsewhere nothing)."""
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    parent = os.getpid()

    def preexec() -> None:
        prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
        if os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(1)

    return preexec


def start_servers(home: Path, rasa_port: int, actions_port: int,
                  model: Path | None = None, rasa_processes: int = 1) -> list[subprocess.Popen]:
    """Start the action server and `rasa_processes` Rasa servers (ports rasa_port, rasa_port + 1, …), all
    on 127.0.0.1; return the processes (action server first) once every one is healthy."""
    import httpx

    # OMP_WAIT_POLICY: beside Rasa's own OpenMP copy, busy-waiting embedder threads stalled for seconds.
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "SANIC_HOST": "127.0.0.1", "OMP_WAIT_POLICY": "PASSIVE",
           "THUTUC_ACTIONS_PORT": str(actions_port)}
    actions = subprocess.Popen([sys.executable, "-m", "bot.actions.server", "--port", str(actions_port)],
                               cwd=home, env=env, preexec_fn=_die_with_parent())

    def actions_ok() -> bool:
        try:
            return httpx.get(f"http://127.0.0.1:{actions_port}/health", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    # All start at once (Rasa does not need the action server until the first message): the cold
    # start is the slowest of them, not their sum.
    procs = [actions]
    try:
        endpoints = home / "models" / "rasa" / "endpoints.yml"
        endpoints.write_text(f'action_endpoint:\n  url: "http://127.0.0.1:{actions_port}/webhook"\n')
        # Through our launcher: Rasa's CLI with the response-validation fix (see bot/nlu/launcher.py).
        # Each Rasa process keeps its own conversations in memory; the front end sends a sender to
        # the same one every time (bot.channels.rasa_client.rasa_url_for).
        for port in range(rasa_port, rasa_port + rasa_processes):
            procs.append(subprocess.Popen(
                [sys.executable, "-m", "bot.nlu.launcher", "run", "--model", str(model or model_path(home)),
                 "--interface", "127.0.0.1", "--port", str(port), "--endpoints", str(endpoints),
                 "--credentials", "credentials.yml"],
                cwd=home, env=env, preexec_fn=_die_with_parent()))
        _wait(actions_ok, "action server", actions)
        for port, rasa in zip(range(rasa_port, rasa_port + rasa_processes), procs[1:]):
            _wait(RasaClient(f"http://127.0.0.1:{port}").healthy, f"Rasa server on port {port}", rasa, seconds=180)
    except BaseException:
        stop_servers(procs)
        raise
    return procs


def stop_servers(procs: list[subprocess.Popen]) -> None:
    for p in reversed(procs):
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    for p in procs:
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            p.kill()


def _print_replies(replies: list[dict]) -> None:
    for r in replies:
        if r.get("text"):
            typer.echo(r["text"])
        for i, b in enumerate(r.get("buttons") or [], 1):
            typer.echo(f"  [{i}] {b.get('title')}")
        if r.get("custom"):
            typer.echo(f"  (for the front end: {r['custom']})")


def serve_command(
    rasa_port: int = typer.Option(5005, help="Rasa REST port (127.0.0.1)."),
    actions_port: int = typer.Option(5055, help="Action server port (127.0.0.1)."),
    chat: bool = typer.Option(True, help="Open a terminal chat once both servers are up."),
    lang: Optional[str] = typer.Option(None, help="Language hint sent with each message (vi|en|zh|ko|ja)."),
) -> None:
    """Start the action server and Rasa on 127.0.0.1 and chat with the assistant in the terminal.

    Ctrl-C (or an empty line) stops both servers.
    """
    home = Path(settings().home)
    if not model_path(home).exists():
        fail("no Rasa model: run `thutuc train`")
    conf = settings()
    procs = start_servers(home, rasa_port, actions_port, rasa_processes=conf.rasa_processes)
    urls = conf.with_(rasa_port=rasa_port).rasa_urls
    url = f"http://127.0.0.1:{rasa_port}/webhooks/rest/webhook"
    console.print(f"Rasa REST: {url}   action server: http://127.0.0.1:{actions_port}/webhook")
    try:
        if not chat:
            while all(p.poll() is None for p in procs):
                time.sleep(1)
            return
        client = RasaClient(urls)
        me = sender_id("terminal", str(os.getpid()))
        console.print("Write in vi, en, zh, ko or ja; a number presses a button; an empty line quits.")
        buttons: list[dict] = []
        while True:
            try:
                text = input("> ").strip()
            except EOFError:
                break
            if not text:
                break
            try:
                if text.isdigit() and 0 < int(text) <= len(buttons):
                    replies = client.send_payload(me, buttons[int(text) - 1]["payload"], {"language": lang})
                else:
                    replies = client.send_text(me, text, {"language": lang} if lang else None)
            except RasaUnavailable as e:
                console.print(f"[yellow]The assistant is not answering right now ({e}). Try again.[/yellow]")
                continue
            _print_replies(replies)
            buttons = [b for r in replies for b in (r.get("buttons") or [])]
    except KeyboardInterrupt:
        pass
    finally:
        stop_servers(procs)
        console.print("Stopped.")



def frontend_command(
    web_host: Optional[str] = typer.Option(None, help="Web chat host (default THUTUC_WEB_HOST, 127.0.0.1)."),
    web_port: Optional[int] = typer.Option(None, help="Web chat port (default THUTUC_WEB_PORT, 8080)."),
) -> None:
    """Run the front end: the web chat and /health, plus Telegram when THUTUC_TELEGRAM_TOKEN is set.

    Talks to a Rasa already running on 127.0.0.1 (THUTUC_RASA_PORT); SIGINT or SIGTERM stops it.
    """
    from ..channels.frontend import FrontendError, run_frontend

    conf = settings().with_(**{k: v for k, v in (("web_host", web_host), ("web_port", web_port)) if v is not None})

    def ready(started) -> None:
        console.print(f"Web chat: {started.web_url}   Telegram: {started.telegram}", highlight=False)

    try:
        run_frontend(conf, ready)
    except FrontendError as e:
        fail(str(e))


def _port_free(host: str, port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def _frontend_health(url: str) -> dict | None:
    """The front end's /health JSON once it answers (200 or 503), None while it does not."""
    import httpx

    try:
        r = httpx.get(f"{url}/health", timeout=5)
    except httpx.HTTPError:
        return None
    try:
        return r.json()
    except json.JSONDecodeError:
        return None


def run_command(
    rasa_port: Optional[int] = typer.Option(None, help="Rasa REST port on 127.0.0.1 (default THUTUC_RASA_PORT, 5005)."),
    actions_port: Optional[int] = typer.Option(None, help="Action server port on 127.0.0.1 (default THUTUC_ACTIONS_PORT, 5055)."),
    web_port: Optional[int] = typer.Option(None, help="Web chat port (default THUTUC_WEB_PORT, 8080)."),
) -> None:
    """Start the action server, Rasa and the front end (web chat, Telegram if configured); Ctrl-C stops all.

    Trains nothing: `make run` trains the model first when its data changed.
    """
    conf = settings()
    conf = conf.with_(**{k: v for k, v in (("rasa_port", rasa_port), ("actions_port", actions_port),
                                          ("web_port", web_port)) if v is not None})
    home = Path(conf.home)
    if not model_path(home).exists():
        fail("no Rasa model: run `thutuc train` (or `make run`, which trains it)")
    # Fail in a second rather than after Rasa's minute of loading.
    for what, host, port, var in (("the action server", "127.0.0.1", conf.actions_port, "THUTUC_ACTIONS_PORT"),
                                  *(("Rasa", "127.0.0.1", port, "THUTUC_RASA_PORT")
                                    for port in range(conf.rasa_port, conf.rasa_port + conf.rasa_processes)),
                                  ("the web chat", conf.web_host, conf.web_port, "THUTUC_WEB_PORT")):
        if not _port_free(host, port):
            fail(f"port {port} for {what} is in use (another `make run`?); stop it or set {var}")

    # SIGTERM (or the terminal closing) must stop the children too, as Ctrl-C does. SIGINT is set here
    # too: a process started in the background by a shell script inherits SIGINT ignored, and Python
    # then installs no KeyboardInterrupt handler (`kill -INT` did nothing).
    def _interrupt(signum, frame):
        raise KeyboardInterrupt

    previous = {sig: signal.signal(sig, _interrupt) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    procs: list[subprocess.Popen] = []
    try:
        console.print("Starting the action server and Rasa (about a minute)…")
        procs = start_servers(home, conf.rasa_port, conf.actions_port, rasa_processes=conf.rasa_processes)
        env = {**os.environ, "THUTUC_RASA_PORT": str(conf.rasa_port), "THUTUC_ACTIONS_PORT": str(conf.actions_port),
               "THUTUC_RASA_PROCESSES": str(conf.rasa_processes),  # the front end routes over the same set
               "THUTUC_WEB_HOST": conf.web_host, "THUTUC_WEB_PORT": str(conf.web_port)}
        front = subprocess.Popen([sys.executable, "-m", "bot.cli", "frontend"], cwd=home, env=env,
                                 preexec_fn=_die_with_parent())
        procs.append(front)
        host = "127.0.0.1" if conf.web_host in ("0.0.0.0", "") else conf.web_host
        url = f"http://{host}:{conf.web_port}"
        deadline = time.monotonic() + 60
        health = None
        while health is None:
            if front.poll() is not None:
                fail(f"the front end stopped while starting (exit {front.returncode})")
            if time.monotonic() > deadline:
                fail("the front end did not start within 60 s")
            time.sleep(0.3)
            health = _frontend_health(url)
        telegram = (health.get("parts", {}).get("telegram") or {}).get("status", "unknown")
        if telegram == "not configured":
            telegram = "not configured (set THUTUC_TELEGRAM_TOKEN to chat on Telegram too)"
        elif telegram == "stopped":
            telegram = "not running (see the front end's messages above; the web chat works without it)"
        console.print(f"\n[bold]Open {url} in a browser to chat with the assistant.[/bold]\n"
                      f"Telegram: {telegram}\nHealth: {url}/health   Rasa REST: {conf.rasa_url}/webhooks/rest/webhook\n"
                      "Ctrl-C stops everything.", highlight=False)
        names = ("action server", *(["Rasa"] * (len(procs) - 2)), "front end")
        while True:
            for name, p in zip(names, procs):
                if p.poll() is not None:
                    fail(f"the {name} stopped (exit {p.returncode}); stopping the others")
            time.sleep(1)
    except KeyboardInterrupt:
        console.print("\nStopping…")
    finally:
        stop_servers(procs)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    console.print("Stopped.")
