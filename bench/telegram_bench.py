"""Front-end overhead of the Telegram front end per message, without Rasa's own time.

The real front end runs as its own process (`python -m bot.channels.telegram`, production settings:
AIORateLimiter, SQLite file with WAL) against the fake Bot API and an instant scripted Rasa in this
process. Figures:

- CPU of the front-end process per message (its whole share: getUpdates, inbox and outbox commits,
  PTB parsing, router, the Rasa and Telegram HTTP clients), read from /proc;
- latency: end to end (update injected → reply accepted by the fake Telegram, which includes the
  fake's own work and the long-poll hop) and inside the front end (update stored → reply queued,
  from the inbox's timestamps), each minus a bare loopback Rasa round trip; messages are paced
  under Telegram's 30 msg/s so the rate limiter does not queue them;
- the duplicate window: from Telegram accepting a message to the front end recording it as sent;
- the inbox/outbox bookkeeping alone (SQLite), in this process.

    .venv/bin/python bench/telegram_bench.py [--messages N] [--chats N] [--webhook]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from fake_telegram import FakeTelegram  # noqa: E402
from scripted_rasa import ScriptedRasa, free_port  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> tuple[float, float]:
    """(user, system) CPU seconds of a process."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) / TICK, int(fields[12]) / TICK


async def rasa_round_trip(url: str, n: int = 200) -> float:
    async with httpx.AsyncClient() as http:
        body = {"sender": "bench", "message": "xin chào", "metadata": {}}
        for _ in range(20):
            await http.post(url + "/webhooks/rest/webhook", json=body)
        start = time.perf_counter()
        for _ in range(n):
            await http.post(url + "/webhooks/rest/webhook", json=body)
        return (time.perf_counter() - start) / n


def inbox_cycle(path: Path, n: int = 1000) -> float:
    from bot.channels.store import FrontendStore
    from bot.channels.telegram.inbox import Outgoing, TelegramStore

    store = TelegramStore(FrontendStore.open(path).db)     # the same connection settings as production
    raw = {"message": {"message_id": 1, "date": 0, "chat": {"id": 5, "type": "private"}, "text": "lệ phí"}}
    start = time.process_time()
    for update_id in range(1, n + 1):
        store.receive([{"update_id": update_id, **raw}])
        row = store.next_update(5)
        store.finish(row.update_id, [Outgoing(5, "sendMessage", {"chat_id": 5, "text": "Lệ phí: 10.000 đ"})])
        store.mark_sent(store.next_outgoing(5), update_id)
        store.next_outgoing(5), store.next_update(5)
    return (time.process_time() - start) / n


async def main(messages: int, chats: int, webhook: bool) -> None:
    load = os.getloadavg()[0]
    fake = await FakeTelegram().start()
    rasa = await ScriptedRasa().start()
    rtt = await rasa_round_trip(rasa.url)
    rasa.calls.clear()
    tmp = Path(tempfile.mkdtemp(prefix="tg-bench-", dir=ROOT / "var" if (ROOT / "var").is_dir() else None))
    db = tmp / "frontend.db"
    env = {**os.environ, "THUTUC_FRONTEND_DB": str(db), "THUTUC_TELEGRAM_TOKEN": fake.token,
           "THUTUC_TELEGRAM_API_URL": fake.base_url, "THUTUC_RASA_PORT": str(rasa.port),
           "THUTUC_SENDER_SECRET": "bench", "THUTUC_STAFF_CHAT_ID": "", "THUTUC_TELEGRAM_WEBHOOK_URL": ""}
    if webhook:
        port = free_port()
        env.update(THUTUC_TELEGRAM_WEBHOOK_URL=f"http://127.0.0.1:{port}/hook", THUTUC_TELEGRAM_WEBHOOK_PORT=str(port))
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot.channels.telegram", env=env,
                                                cwd=str(ROOT), stdout=asyncio.subprocess.PIPE,
                                                stderr=asyncio.subprocess.DEVNULL)
    try:
        await asyncio.wait_for(proc.stdout.readline(), 60)
        chat = 1
        # Warm-up: imports, language detector, connection pools.
        for i in range(20):
            fake.text(chat, f"khởi động {i}")
        await fake.wait_sent(chat, 20, timeout=30)

        # 1. One chat, one message at a time, paced at 20/s (under the 30/s rate limit).
        latencies = []
        cpu0 = cpu_seconds(proc.pid)
        for i in range(messages):
            before = len(fake.messages(chat))
            t0 = time.monotonic()
            fake.text(chat, f"lệ phí đăng ký tạm trú {i}")
            sent = await fake.wait_sent(chat, before + 1, timeout=10)
            latencies.append(sent[-1].at - t0)
            await asyncio.sleep(max(0.0, 0.05 - (time.monotonic() - t0)))
        cpu_sequential = [(b - a) / messages for a, b in zip(cpu0, cpu_seconds(proc.pid))]

        # 2. A burst over many chats (the rate limiter paces sends at 30/s; CPU is what we measure).
        burst = [100 + c for c in range(chats)]
        cpu0, t0 = cpu_seconds(proc.pid), time.monotonic()
        for n in range(5):
            for c in burst:
                fake.text(c, f"câu {n} của {c}")
        for c in burst:
            await fake.wait_sent(c, 5, timeout=60)
        burst_wall = time.monotonic() - t0
        cpu_burst = [(b - a) / (5 * chats) for a, b in zip(cpu0, cpu_seconds(proc.pid))]
        await asyncio.sleep(0.5)
    finally:
        proc.send_signal(signal.SIGTERM)
        await asyncio.wait_for(proc.wait(), 20)
        await rasa.stop()
        await fake.stop()

    # 3. The duplicate window: Telegram's acceptance (fake, wall clock) → the `sent` mark's timestamp.
    con = sqlite3.connect(db)
    sent_at = [r[0] for r in con.execute(
        "SELECT sent_at FROM tg_outbox WHERE chat_id = ? AND status = 'sent' ORDER BY id", [chat])]
    accepted = [m.wall for m in fake.messages(chat)]
    windows = sorted(max(0.0, s - a) for s, a in zip(sent_at, accepted))
    # Handling inside the front end: stored in the inbox → handled and its reply queued (Rasa included).
    handling = sorted(r[0] for r in con.execute(
        "SELECT finished - received FROM tg_inbox WHERE chat_id = ? AND status = 'done' ORDER BY update_id",
        [chat]))[20:]
    con.close()

    # 4. The durable inbox/outbox alone (in this process): store, take, finish, send-mark one update.
    bookkeeping = inbox_cycle(tmp / "alone.db")

    lat = sorted(latencies)
    p50, p95 = lat[len(lat) // 2], lat[int(len(lat) * 0.95)]
    print(f"load average before              {load:.2f} on {os.cpu_count()} cores (others' work inflates every figure)")
    print(f"receiving                        {'webhook' if webhook else 'long polling'}")
    print(f"messages (sequential)            {messages}")
    print(f"bare Rasa loopback round trip    {rtt * 1000:6.2f} ms")
    print(f"end to end p50 / p95             {p50 * 1000:6.2f} / {p95 * 1000:6.2f} ms (incl. the fake Bot API's "
          f"own work and the long-poll hop)")
    print(f"end to end p50 minus Rasa        {(p50 - rtt) * 1000:6.2f} ms")
    print(f"stored → reply queued, minus Rasa {(statistics.median(handling) - rtt) * 1000:5.2f} ms (p50, inside the front end)")
    for label, (user, system) in (("sequential", cpu_sequential),
                                  (f"{chats} chats × 5, burst, {5 * chats / burst_wall:.1f} msg/s", cpu_burst)):
        print(f"front-end CPU per message        {(user + system) * 1000:6.2f} ms = user {user * 1000:.2f} + "
              f"kernel {system * 1000:.2f} ({label}; target ≤ 10 ms)")
    print(f"inbox + outbox SQLite per message {bookkeeping * 1000:5.2f} ms CPU (store, take, finish+queue, mark sent)")
    if windows:
        print(f"duplicate window p50 / max       {statistics.median(windows) * 1000:6.2f} / "
              f"{windows[-1] * 1000:6.2f} ms  (Telegram accepted → `sent` committed)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--chats", type=int, default=20)
    parser.add_argument("--webhook", action="store_true", help="receive by webhook instead of long polling")
    args = parser.parse_args()
    asyncio.run(main(args.messages, args.chats, args.webhook))
