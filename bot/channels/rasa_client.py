"""Talking to Rasa's REST channel safely.

- User text starting with "/" would reach Rasa's intent shortcut (`/intent{"slot": …}` sets slots
  without NLU): it is neutralised. Only payloads of our own buttons are sent as they are.
- Rasa answers HTTP 200 with `[]` when its action server is down or an action failed: that is a
  failure, not an empty answer.
- Every call carries our own opaque sender id (a message without one lands in a conversation shared
  by everyone).
- Several Rasa processes (THUTUC_RASA_PROCESSES): each keeps its conversations in memory, so a sender
  always goes to the same one (`rasa_url_for`). One Rasa process's Python (event loop and NLU thread
  share one GIL) was what limited 20 concurrent conversations, not the CPU.
"""

from __future__ import annotations

import hashlib
import json
from typing import Sequence

import httpx


class RasaUnavailable(RuntimeError):
    """Rasa did not answer, answered an error, or answered nothing."""


def neutralise(text: str) -> str:
    # A full-width solidus reads the same to a person and to NLU, and is not Rasa's shortcut.
    stripped = text.lstrip()
    return "／" + stripped[1:] if stripped.startswith("/") else text


def sender_id(channel: str, chat: str, secret: str = "") -> str:
    return hashlib.sha256(f"{secret}:{channel}:{chat}".encode()).hexdigest()[:32]


WEBHOOK = "/webhooks/rest/webhook"


def _urls(url: str | Sequence[str]) -> list[str]:
    urls = [url] if isinstance(url, str) else list(url)
    if not urls:
        raise ValueError("no Rasa URL given")
    return [u.rstrip("/") for u in urls]


def rasa_url_for(urls: Sequence[str], sender: str) -> str:
    """The Rasa process that holds `sender`'s conversation: stable for a sender and a number of processes."""
    if len(urls) == 1:
        return urls[0]
    return urls[int(hashlib.sha256(sender.encode()).hexdigest()[:8], 16) % len(urls)]


def _request(sender: str, message: str, metadata: dict | None) -> dict:
    return {"sender": sender, "message": message, "metadata": metadata or {}}


def _transport_error(e: httpx.HTTPError) -> RasaUnavailable:
    # The exception's type says enough; its text could carry the URL with the message body.
    return RasaUnavailable(f"Rasa unreachable: {type(e).__name__}")


def _check(r: httpx.Response) -> list[dict]:
    """One reading of Rasa's answer for both clients: non-200, non-JSON, not a list, or `[]` fail."""
    if r.status_code != 200:
        raise RasaUnavailable(f"Rasa answered HTTP {r.status_code}")
    try:
        replies = r.json()
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise RasaUnavailable("Rasa answered something that is not JSON") from e
    if not isinstance(replies, list):
        raise RasaUnavailable("Rasa answered something that is not a list of messages")
    if not replies:
        raise RasaUnavailable("Rasa answered nothing (action server down or an action failed)")
    return replies


class RasaClient:
    """Blocking client (the terminal chat)."""

    def __init__(self, url: str | Sequence[str] = "http://127.0.0.1:5005", timeout: float = 20.0,
                 transport: httpx.BaseTransport | None = None):
        self.urls = _urls(url)
        self.url = self.urls[0]
        self._http = httpx.Client(timeout=timeout, transport=transport)

    def _post(self, sender: str, message: str, metadata: dict | None) -> list[dict]:
        try:
            r = self._http.post(rasa_url_for(self.urls, sender) + WEBHOOK, json=_request(sender, message, metadata))
        except httpx.HTTPError as e:
            raise _transport_error(e) from e
        return _check(r)

    def send_text(self, sender: str, text: str, metadata: dict | None = None) -> list[dict]:
        return self._post(sender, neutralise(text), metadata)

    def send_payload(self, sender: str, payload: str, metadata: dict | None = None) -> list[dict]:
        """A payload of one of our own buttons (never text a user typed)."""
        return self._post(sender, payload, metadata)

    def healthy(self) -> bool:
        """Every Rasa process answers."""
        try:
            return all(self._http.get(f"{url}/", timeout=2).status_code == 200 for url in self.urls)
        except httpx.HTTPError:
            return False

    def close(self) -> None:
        self._http.close()


class AsyncRasaClient:
    """The same contract for the front-end process (one asyncio loop serving Telegram and the web)."""

    def __init__(self, url: str | Sequence[str] = "http://127.0.0.1:5005", timeout: float = 20.0,
                 transport: httpx.AsyncBaseTransport | None = None):
        self.urls = _urls(url)
        self.url = self.urls[0]
        self._http = httpx.AsyncClient(timeout=timeout, transport=transport)

    async def _post(self, sender: str, message: str, metadata: dict | None) -> list[dict]:
        try:
            r = await self._http.post(rasa_url_for(self.urls, sender) + WEBHOOK,
                                      json=_request(sender, message, metadata))
        except httpx.HTTPError as e:
            raise _transport_error(e) from e
        return _check(r)

    async def send_text(self, sender: str, text: str, metadata: dict | None = None) -> list[dict]:
        return await self._post(sender, neutralise(text), metadata)

    async def send_payload(self, sender: str, payload: str, metadata: dict | None = None) -> list[dict]:
        """A payload of one of our own buttons (never text a user typed)."""
        return await self._post(sender, payload, metadata)

    async def healthy(self) -> bool:
        """Every Rasa process answers."""
        try:
            for url in self.urls:
                if (await self._http.get(f"{url}/", timeout=2)).status_code != 200:
                    return False
            return True
        except httpx.HTTPError:
            return False

    async def aclose(self) -> None:
        await self._http.aclose()
