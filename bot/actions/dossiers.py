"""Dossier status: a form for the code and the verification digits, then the dossier API.

The verification decision is made by `DossierService.lookup` on hashes; no slot says "verified".
The digits slot is cleared right after the lookup and never logged.
"""

from __future__ import annotations

import hashlib
from typing import Any

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from ..i18n.messages import t
from .base import ThutucAction, resolve_language, say
from .services import services


def _user_key(tracker: Tracker) -> str:
    # The rate limit is per user: the channel's opaque sender id, hashed again here.
    return hashlib.sha256(f"rasa:{tracker.sender_id}".encode()).hexdigest()[:32]


class ValidateDossierForm(FormValidationAction):
    def name(self) -> str:
        return "validate_dossier_form"

    def validate_dossier_code(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                              domain: DomainDict) -> dict[str, Any]:
        from ..dossiers import InvalidDossierCode, normalise_code

        lang = resolve_language(tracker)
        try:
            return {"dossier_code": normalise_code(str(value or ""), services().dossiers.pattern)}
        except InvalidDossierCode:
            say(dispatcher, "bad_dossier_code", lang)
            return {"dossier_code": None}
        except Exception:  # noqa: BLE001 - never raise from an action
            say(dispatcher, "error", lang)
            return {"dossier_code": None}

    def validate_verify_digits(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                               domain: DomainDict) -> dict[str, Any]:
        from ..dossiers import InvalidVerification, normalise_verification

        lang = resolve_language(tracker)
        try:
            return {"verify_digits": normalise_verification(str(value or ""))}
        except InvalidVerification:
            say(dispatcher, "bad_verify_digits", lang)
            return {"verify_digits": None}


class ActionAskDossierCode(ThutucAction):
    def name(self) -> str:
        return "action_ask_dossier_code"

    async def act(self, dispatcher, tracker, domain, lang) -> list[EventType]:
        say(dispatcher, "ask_dossier_code", lang)
        return []


class ActionAskVerifyDigits(ThutucAction):
    def name(self) -> str:
        return "action_ask_verify_digits"

    async def act(self, dispatcher, tracker, domain, lang) -> list[EventType]:
        say(dispatcher, "ask_verify_digits", lang)
        return []


class ActionCheckDossierStatus(ThutucAction):
    def name(self) -> str:
        return "action_check_dossier_status"

    async def act(self, dispatcher, tracker, domain, lang) -> list[EventType]:
        code = tracker.get_slot("dossier_code") or ""
        digits = tracker.get_slot("verify_digits") or ""
        clear = [SlotSet("verify_digits", None), SlotSet("dossier_code", None)]
        try:
            result = services().dossiers.lookup(code, digits, user=_user_key(tracker), lang=lang)
        except ValueError:  # malformed input that slipped past validation
            say(dispatcher, "bad_dossier_code", lang)
            return clear
        buttons = None
        if result.outcome != "ok":
            buttons = [{"title": t("button_staff", lang), "payload": "/request_human"}]
        dispatcher.utter_message(text=result.text, buttons=buttons)
        return clear
