"""What every action shares: language resolution, a never-raise wrapper, redacted logging."""

from __future__ import annotations

import abc
import logging
import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from ..i18n import SUPPORTED, detect_language
from ..i18n.messages import t
from .services import services

log = logging.getLogger(__name__)
_DIGITS = re.compile(r"\d{3,}")


def redact(text: str) -> str:
    """Logs never carry numbers that could be identity numbers, phones or verification digits."""
    return _DIGITS.sub("<digits>", text or "")


def resolve_language(tracker: Tracker) -> str:
    """Explicit choice > the message's own language > the channel's hint > the conversation's > default."""
    chosen = tracker.get_slot("language_choice")
    if chosen in SUPPORTED:
        return chosen
    message = tracker.latest_message or {}
    metadata = message.get("metadata") or {}
    hint = metadata.get("language") if metadata.get("language") in SUPPORTED else None
    previous = tracker.get_slot("language") if tracker.get_slot("language") in SUPPORTED else None
    text = message.get("text") or ""
    if text.startswith("/"):  # a button payload from our own UI carries no language
        return previous or hint or services().settings.default_lang
    detected = detect_language(text, hint=hint or previous)
    return detected or hint or previous or services().settings.default_lang


class ThutucAction(Action, abc.ABC):
    """Resolves the language, runs `act`, and never raises: a raising action makes Rasa dump the whole
    tracker (user text included) into its log and answer nothing."""

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[EventType]:
        lang = resolve_language(tracker)
        events: list[EventType] = []
        if tracker.get_slot("language") != lang:
            events.append(SlotSet("language", lang))
        try:
            events += await self.act(dispatcher, tracker, domain, lang)
        except Exception as e:  # noqa: BLE001 - the point is to never let one escape
            log.error("%s failed: %s", self.name(), redact(f"{type(e).__name__}: {e}"))
            dispatcher.utter_message(text=t("error", lang))
        return events

    @abc.abstractmethod
    async def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict,
                  lang: str) -> list[EventType]: ...


def offer_links(dispatcher: CollectingDispatcher, lang: str, *links: tuple[str, str | None]) -> None:
    """Links as a custom payload the front ends render as link buttons (Telegram URL buttons, web links
    counted through /go/…); the URLs also stay in the text for plain clients. `links` are (message key, url)."""
    rendered = [{"title": t(key, lang), "url": url} for key, url in links if url]
    if rendered:
        dispatcher.utter_message(json_message={"links": rendered})


def mark_confidence(dispatcher: CollectingDispatcher, band: str) -> None:
    """Tells the front end how sure the search was (it counts low-confidence answers per language)."""
    dispatcher.utter_message(json_message={"meta": {"band": band}})


def say(dispatcher: CollectingDispatcher, key: str, lang: str, **values: Any) -> None:
    dispatcher.utter_message(text=t(key, lang, **values))
