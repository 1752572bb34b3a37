"""What the assistant says, independent of any channel: replies with buttons and links.

Rasa's REST channel answers a list of messages, each with `text`, `buttons` ([{title, payload}]) or
`custom` (our actions' JSON messages). `parse_rasa` turns them into `Reply` objects every front end
renders its own way, and hands the custom payloads (`handoff`, `links`, `meta`) to the router.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Button", "Link", "Reply", "parse_rasa", "SENDERS"]

SENDERS = ("bot", "staff", "system")
# A link goes into an <a href> on the web and a URL button on Telegram: only web addresses, never
# javascript: or data: URLs, whoever produced the payload.
_URL_SCHEMES = ("https://", "http://")


@dataclass(frozen=True)
class Button:
    title: str
    payload: str  # payload of our own buttons, sent to Rasa as is


@dataclass(frozen=True)
class Link:
    title: str
    url: str


@dataclass
class Reply:
    text: str = ""
    buttons: list[Button] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    sender: str = "bot"  # "bot" | "staff" | "system"

    def __post_init__(self) -> None:
        if self.sender not in SENDERS:
            raise ValueError(f"sender must be one of {SENDERS}, not {self.sender!r}")


def _buttons(raw) -> list[Button]:
    out = []
    for b in raw if isinstance(raw, list) else []:
        if isinstance(b, dict) and isinstance(b.get("title"), str) and isinstance(b.get("payload"), str):
            if b["title"].strip() and b["payload"].strip():
                out.append(Button(b["title"], b["payload"]))
    return out


def _links(raw) -> list[Link]:
    out = []
    for item in raw if isinstance(raw, list) else []:
        if isinstance(item, dict) and isinstance(item.get("url"), str) and isinstance(item.get("title"), str):
            url = item["url"].strip()
            if url.lower().startswith(_URL_SCHEMES) and item["title"].strip():
                out.append(Link(item["title"].strip(), url))
    return out


def parse_rasa(messages: list[dict]) -> tuple[list[Reply], list[dict]]:
    """Rasa REST messages → replies, plus the custom payloads (`{"handoff": …}`, `{"links": …}`,
    `{"meta": {"band": "high|mid|low"}}`) for the router. Links in `custom.links` attach to the
    reply before them (a reply with links only when nothing came before)."""
    replies: list[Reply] = []
    customs: list[dict] = []
    for message in messages if isinstance(messages, list) else []:
        if not isinstance(message, dict):
            continue
        text = message.get("text") if isinstance(message.get("text"), str) else ""
        buttons = _buttons(message.get("buttons"))
        if text.strip() or buttons:
            replies.append(Reply(text=text, buttons=buttons))
        custom = message.get("custom")
        if isinstance(custom, dict) and custom:
            customs.append(custom)
            links = _links(custom.get("links"))
            if links:
                if not replies:
                    replies.append(Reply())
                replies[-1].links.extend(links)
    return replies, customs
