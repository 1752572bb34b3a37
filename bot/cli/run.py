"""`thutuc train` and `thutuc serve`: the Rasa model and the two servers on 127.0.0.1."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Optional

import typer

from ..channels import RasaClient, RasaUnavailable, sender_id
from .common import console, fail, settings

RASA_INPUTS = ("config.yml", "domain.yml", "data/nlu", "data/rules.yml", "data/stories.yml")


def _rasa_bin() -> str:
    return str(Path(sys.executable).with_name("rasa"))


def _fingerprint(home: Path) -> str:
    h = hashlib.sha256()
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


def start_servers(home: Path, rasa_port: int, actions_port: int) -> list[subprocess.Popen]:
    """Start the action server, then Rasa, both on 127.0.0.1; return the processes (both healthy)."""
    import httpx

    # OMP_WAIT_POLICY: beside Rasa's own OpenMP copy, busy-waiting embedder threads stalled for seconds.
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "SANIC_HOST": "127.0.0.1", "OMP_WAIT_POLICY": "PASSIVE",
           "THUTUC_ACTIONS_PORT": str(actions_port)}
    actions = subprocess.Popen([sys.executable, "-m", "bot.actions.server", "--port", str(actions_port)],
                               cwd=home, env=env)

    def actions_ok() -> bool:
        try:
            return httpx.get(f"http://127.0.0.1:{actions_port}/health", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    procs = [actions]
    try:
        _wait(actions_ok, "action server", actions)
        endpoints = home / "models" / "rasa" / "endpoints.yml"
        endpoints.write_text(f'action_endpoint:\n  url: "http://127.0.0.1:{actions_port}/webhook"\n')
        rasa = subprocess.Popen(
            [_rasa_bin(), "run", "--model", str(model_path(home)), "--interface", "127.0.0.1",
             "--port", str(rasa_port), "--endpoints", str(endpoints), "--credentials", "credentials.yml"],
            cwd=home, env=env)
        procs.append(rasa)
        client = RasaClient(f"http://127.0.0.1:{rasa_port}")
        _wait(client.healthy, "Rasa server", rasa, seconds=180)
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
    procs = start_servers(home, rasa_port, actions_port)
    url = f"http://127.0.0.1:{rasa_port}/webhooks/rest/webhook"
    console.print(f"Rasa REST: {url}   action server: http://127.0.0.1:{actions_port}/webhook")
    try:
        if not chat:
            while all(p.poll() is None for p in procs):
                time.sleep(1)
            return
        client = RasaClient(f"http://127.0.0.1:{rasa_port}")
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

