"""`/health`: what each part of the running assistant says right now.

Rasa (`GET /` on its port), the action server (`GET /health`), the front-end SQLite file (a real
query, not a file-exists check) and Telegram (not configured / running / stopped). Required parts:
Rasa, the action server, the database, and Telegram only when a token is configured. The answer
carries no paths or secrets: the page may be reachable by citizens.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx

__all__ = ["HealthReport", "Part", "check_health", "http_probe"]

UP, DOWN = "up", "down"


@dataclass(frozen=True)
class Part:
    name: str
    status: str              # up | down | running | stopped | not configured
    required: bool
    ms: float | None = None
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.status in (UP, "running", "not configured")


@dataclass(frozen=True)
class HealthReport:
    parts: tuple[Part, ...]

    @property
    def ok(self) -> bool:
        return all(p.ok for p in self.parts if p.required)

    def as_json(self) -> dict:
        return {
            "status": "ok" if self.ok else "degraded",
            "parts": {p.name: {k: v for k, v in (("status", p.status), ("required", p.required),
                                                 ("ms", p.ms), ("detail", p.detail)) if v not in (None, "")}
                      for p in self.parts},
        }


async def http_probe(client: httpx.AsyncClient, name: str, url: str) -> Part:
    start = time.perf_counter()
    try:
        r = await client.get(url, timeout=2.0)
    except httpx.HTTPError as e:
        return Part(name, DOWN, True, detail=type(e).__name__)
    ms = round((time.perf_counter() - start) * 1000, 1)
    if r.status_code != 200:
        return Part(name, DOWN, True, ms, f"HTTP {r.status_code}")
    return Part(name, UP, True, ms)


async def check_health(client: httpx.AsyncClient, *, rasa_port: int, actions_port: int,
                       db_check: Callable[[], None],
                       telegram_status: Callable[[], Awaitable[str] | str] | None) -> HealthReport:
    """Probe every part concurrently; `db_check` raises when the database cannot be queried;
    `telegram_status` is None when no token is configured."""

    async def db() -> Part:
        start = time.perf_counter()
        try:
            db_check()
        except Exception as e:  # noqa: BLE001 - any failure means the part is down
            return Part("frontend_db", DOWN, True, detail=type(e).__name__)
        return Part("frontend_db", UP, True, round((time.perf_counter() - start) * 1000, 1))

    async def telegram() -> Part:
        if telegram_status is None:
            return Part("telegram", "not configured", False)
        status = telegram_status()
        if asyncio.iscoroutine(status):
            status = await status
        return Part("telegram", "running" if status == "running" else "stopped", True, detail="" if status in
                    ("running", "stopped") else str(status))

    parts = await asyncio.gather(
        http_probe(client, "rasa", f"http://127.0.0.1:{rasa_port}/"),
        http_probe(client, "actions", f"http://127.0.0.1:{actions_port}/health"),
        db(), telegram())
    return HealthReport(tuple(parts))
