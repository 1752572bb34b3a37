"""Greetings, thanks, goodbye, bot challenge, out of scope, language change, fallback, handoff."""

from __future__ import annotations

import abc
import logging

from rasa_sdk.events import EventType, SlotSet

from ..i18n import SUPPORTED
from .base import ThutucAction, say

log = logging.getLogger(__name__)


class _Say(ThutucAction, abc.ABC):
    key = ""

    @abc.abstractmethod
    def name(self) -> str: ...

    async def act(self, dispatcher, tracker, domain, lang) -> list[EventType]:
        say(dispatcher, self.key, lang)
        return []


class ActionGreet(_Say):
    key = "greet"

    def name(self) -> str:
        return "action_greet"


class ActionGoodbye(_Say):
    key = "goodbye"

    def name(self) -> str:
        return "action_goodbye"


class ActionThank(_Say):
    key = "thank"

    def name(self) -> str:
        return "action_thank"


class ActionBotChallenge(_Say):
    key = "bot_challenge"

    def name(self) -> str:
        return "action_bot_challenge"


class ActionOutOfScope(_Say):
    key = "out_of_scope"

    def name(self) -> str:
        return "action_out_of_scope"


class ActionAnythingElse(_Say):
    key = "anything_else"

    def name(self) -> str:
        return "action_anything_else"


class ActionAskProcedure(_Say):
    key = "ask_procedure"

    def name(self) -> str:
        return "action_ask_procedure"


class ActionFallback(_Say):
    key = "fallback"

    def name(self) -> str:
        return "action_default_fallback"


class ActionChangeLanguage(ThutucAction):
    def name(self) -> str:
        return "action_change_language"

    async def act(self, dispatcher, tracker, domain, lang) -> list[EventType]:
        wanted = next(tracker.get_latest_entity_values("language"), None)
        if wanted not in SUPPORTED:
            wanted = lang
        say(dispatcher, "language_changed", wanted)
        return [SlotSet("language_choice", wanted), SlotSet("language", wanted)]


class ActionHandoff(ThutucAction):
    """Records why and hands the conversation to staff through a custom payload the front end acts on."""

    def name(self) -> str:
        return "action_handoff"

    async def act(self, dispatcher, tracker, domain, lang) -> list[EventType]:
        reason = tracker.get_slot("handoff_reason") or "requested"
        procedure = tracker.get_slot("procedure_code")
        log.info("handoff: reason=%s procedure=%s", reason, procedure)
        say(dispatcher, "handoff", lang)
        dispatcher.utter_message(json_message={"handoff": {"reason": reason, "language": lang,
                                                           "procedure_code": procedure}})
        return [SlotSet("handoff_reason", None)]
