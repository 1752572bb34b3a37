"""Throughput and latency of the whole assistant through Rasa's REST channel (issue 5 targets).

Starts the action server and `rasa run` on 127.0.0.1 (the trained model in models/rasa), measures the
cold start, then:
- one sender, conversations in five languages (question → fee → documents → thanks), p50/p95;
- 20 concurrent senders for a fixed time: p50/p95 and messages per second;
- RSS of both servers afterwards.

Every message does real work: NLU with the e5 featurizer, the policies, and for procedure questions
the action server's search, fee calculation and catalogue lookup.

Run: `make bench-rest` (or `.venv/bin/python bench/rest_bench.py [--seconds 30] [--senders 20]
[--no-vector-cache]`).
Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import time
from pathlib import Path

import httpx

from bot.channels import sender_id
from bot.channels.rasa_client import WEBHOOK, rasa_url_for
from bot.cli.run import model_path, start_servers, stop_servers
from bot.config import PROJECT_ROOT, Settings

FOLLOW_UPS = {
    "vi": ["lệ phí bao nhiêu?", "cần giấy tờ gì?", "cảm ơn"],
    "en": ["how much is the fee?", "what documents do I need?", "thanks"],
    "zh": ["费用是多少？", "需要什么材料？", "谢谢"],
    "ko": ["수수료는 얼마예요?", "필요한 서류는 뭐예요?", "감사합니다"],
    "ja": ["手数料はいくらですか？", "必要な書類は何ですか？", "ありがとう"],
}


# Lead-ins that keep a question a question, so that a long run does not ask the very same question
# text twice (the NLU vector cache would then skip its embedding, which real questions rarely allow).
LEAD_INS = {
    "vi": ["Cho tôi hỏi, ", "Mình muốn hỏi: "],
    "en": ["I'd like to know: ", "Question: "],
    "zh": ["请问，", "我想问一下，"],
    "ko": ["질문이 있어요. ", "궁금한 게 있는데요, "],
    "ja": ["すみません、", "質問です。"],
}


def conversations() -> list[list[str]]:
    """Question → fee → documents → thanks. The questions (the dev set, shuffled) come bare first, then
    with each lead-in: every conversation of a 30 s run asks a question text no other one asked."""
    rows = [json.loads(line) for line in (PROJECT_ROOT / "tests/data/retrieval_dev.jsonl").open(encoding="utf-8")]
    random.Random(7).shuffle(rows)
    convs = []
    for lead in range(3):
        for r in rows:
            question = r["query"] if lead == 0 else LEAD_INS[r["lang"]][lead - 1] + r["query"]
            convs.append([question, *FOLLOW_UPS[r["lang"]]])
    return convs


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def rss_mb(pid: int) -> float:
    total = 0.0
    for p in [pid, *_children(pid)]:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) / 1024
        except FileNotFoundError:
            pass
    return total


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its children so far (robust to other load on the box)."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    for p in [pid, *_children(pid)]:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
        except (FileNotFoundError, IndexError):
            pass
    return total


def _children(pid: int) -> list[int]:
    try:
        kids = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except FileNotFoundError:
        return []
    out = [int(k) for k in kids]
    for k in list(out):
        out += _children(k)
    return out


async def say(client: httpx.AsyncClient, urls: list[str], sender: str, text: str) -> float:
    """One message to the Rasa process that holds the sender's conversation (as the front end routes)."""
    start = time.perf_counter()
    r = await client.post(rasa_url_for(urls, sender) + WEBHOOK, json={"sender": sender, "message": text})
    elapsed = time.perf_counter() - start
    if r.status_code != 200 or not r.json():
        raise RuntimeError(f"bad answer {r.status_code}: {r.text[:200]}")
    return elapsed


async def single(url: list[str], convs: list[list[str]], n_conv: int) -> list[float]:
    times = []
    async with httpx.AsyncClient(timeout=60) as client:
        for i, conv in enumerate(convs[:n_conv]):
            sender = sender_id("bench-single", str(i))
            for text in conv:
                times.append(await say(client, url, sender, text))
    return times


async def concurrent(url: list[str], convs: list[list[str]], senders: int,
                     seconds: float) -> tuple[list[float], int, float, int]:
    times: list[float] = []
    texts: set[str] = set()
    deadline = time.perf_counter() + seconds
    errors = 0

    async def user(k: int) -> None:
        nonlocal errors
        async with httpx.AsyncClient(timeout=60) as client:
            j = k
            while time.perf_counter() < deadline:
                conv = convs[j % len(convs)]
                sender = sender_id("bench-many", f"{k}-{j}")
                for text in conv:
                    try:
                        times.append(await say(client, url, sender, text))
                        texts.add(text)
                    except (RuntimeError, httpx.HTTPError):
                        errors += 1
                j += senders

    start = time.perf_counter()
    await asyncio.gather(*(user(k) for k in range(senders)))
    return times, errors, time.perf_counter() - start, len(texts)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--senders", type=int, default=20)
    ap.add_argument("--conversations", type=int, default=25, help="single-sender conversations (4 messages each)")
    ap.add_argument("--model", type=Path, default=None, help="a model other than models/rasa/thutuc.tar.gz")
    ap.add_argument("--rasa-processes", type=int, default=None,
                    help="Rasa processes (default THUTUC_RASA_PROCESSES, 2); senders are routed as the front end does")
    ap.add_argument("--no-vector-cache", action="store_true",
                    help="Rasa embeds every message, even a text it has seen (THUTUC_NLU_VECTOR_CACHE=0)")
    args = ap.parse_args()
    if args.no_vector_cache:
        os.environ["THUTUC_NLU_VECTOR_CACHE"] = "0"  # the servers inherit it
    settings = Settings.from_env()
    if args.rasa_processes is not None:
        settings = settings.with_(rasa_processes=args.rasa_processes)
    home = Path(settings.home)
    if not (args.model or model_path(home)).exists():
        raise SystemExit("no Rasa model: run `make train` first")
    t0 = time.perf_counter()
    procs = start_servers(home, settings.rasa_port, settings.actions_port, args.model, settings.rasa_processes)
    cold = time.perf_counter() - t0
    url = settings.rasa_urls
    try:
        convs = conversations()
        asyncio.run(single(url, convs[-3:], 3))  # warm-up: first calls load lazily built parts
        times = asyncio.run(single(url, convs, args.conversations))
        convs = convs[args.conversations:-3]  # the concurrent senders ask questions not asked yet
        print(f"cold start (action server + {settings.rasa_processes} rasa, all healthy): {cold:.1f} s")
        print(f"single sender: {len(times)} messages  p50 {1000 * statistics.median(times):.0f} ms  "
              f"p95 {1000 * pct(times, 0.95):.0f} ms  max {1000 * max(times):.0f} ms")
        cpu_before = [cpu_seconds(p.pid) for p in procs]
        times, errors, wall, distinct = asyncio.run(concurrent(url, convs, args.senders, args.seconds))
        cpu = [(cpu_seconds(p.pid) - before) * 1000 / max(1, len(times)) for p, before in zip(procs, cpu_before)]
        cpu = [cpu[0], sum(cpu[1:])]  # action server, all Rasa processes
        print(f"{args.senders} concurrent senders for {wall:.0f} s: {len(times)} messages  "
              f"{len(times) / wall:.1f} msg/s  p50 {1000 * statistics.median(times):.0f} ms  "
              f"p95 {1000 * pct(times, 0.95):.0f} ms  errors {errors}")
        # The mix repeats texts as chats do (every conversation ends with "thanks" and asks the fee and
        # the documents in the same words): with the NLU vector cache on, a repeated text is not
        # embedded again. Compare with --no-vector-cache for every message embedded.
        print(f"  distinct texts: {distinct} of {len(times)} messages; NLU vector cache "
              f"{'off' if args.no_vector_cache else 'on'}")
        print(f"CPU per message: action server {cpu[0]:.1f} ms, rasa {cpu[1]:.1f} ms "
              f"(the box's {os.cpu_count()} cores allow at most {os.cpu_count() * 1000 / sum(cpu):.0f} msg/s)")
        rss = {"action server": rss_mb(procs[0].pid),
               **{f"rasa {i + 1}": rss_mb(p.pid) for i, p in enumerate(procs[1:])}}
        print("RSS: " + ", ".join(f"{k} {v:.0f} MB" for k, v in rss.items()) + f", total {sum(rss.values()):.0f} MB")
    finally:
        stop_servers(procs)


if __name__ == "__main__":
    main()
