"""Procedure questions: search with confidence bands, and follow-ups on the procedure in context."""

from __future__ import annotations

import abc
import json
from typing import TYPE_CHECKING, Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from ..catalogue import Procedure
from ..i18n.messages import t
from ..nlu import ACCENTED_TEXT
from .base import ThutucAction, mark_confidence, offer_links, say
from .services import services

if TYPE_CHECKING:  # types only: the search service is loaded by `services()`, not on import
    from ..catalogue.gaps import Gap
    from ..search import Hit

LOW_CONFIDENCE_HANDOFF = 2  # low-confidence answers in a row before staff are brought in


def _entity(tracker: Tracker, name: str) -> str | None:
    return next(tracker.get_latest_entity_values(name), None)


def _question(tracker: Tracker) -> str:
    """What to search with: the message with its accents restored when the NLU restored them (a
    Vietnamese question typed without any), else the message as typed."""
    message = tracker.latest_message or {}
    return message.get(ACCENTED_TEXT) or message.get("text") or ""


def _buttons(lang: str) -> list[dict[str, Any]]:
    return [
        {"title": t("button_documents", lang), "payload": "/ask_documents"},
        {"title": t("button_fee", lang), "payload": "/ask_fee"},
        {"title": t("button_online", lang), "payload": "/ask_online_submission"},
        {"title": t("button_staff", lang), "payload": "/request_human"},
    ]


def time_text(p: Procedure, lang: str) -> list[str]:
    lines = []
    for row in p.channels:
        if row.time_value is not None and row.time_unit in ("working_day", "day", "hour", "month", None):
            n = int(row.time_value) if float(row.time_value).is_integer() else row.time_value
            when = t(f"unit_{row.time_unit or 'none'}", lang, n=n)
        elif row.time_text:
            when = row.time_text
        else:
            continue
        lines.append(t("time_line", lang, channel=t(f"channel_{row.channel}", lang), time=when))
    return lines


def fee_text(p: Procedure, lang: str, quantity: int = 1) -> str:
    from ..fees import render_comparison

    return render_comparison(services().fees.compare(p.code, quantity=quantity, lang=lang), lang)


def answer_card(dispatcher: CollectingDispatcher, p: Procedure, lang: str) -> None:
    lines = [f"{p.name_in(lang)} ({p.code})"]
    if p.name_in(lang) != p.name["vi"]:
        # Our translation is what the user reads; the counter and the portal know the official name.
        lines.append(t("card_official_name", lang, name=p.name["vi"]))
    if p.text_in(p.summary, lang):
        lines.append(p.text_in(p.summary, lang))
    if p.documents:
        lines.append(t("card_summary_docs", lang, n=len(p.documents)))
    lines += time_text(p, lang)
    try:
        fees = fee_text(p, lang)
        if fees:
            lines += fees.splitlines()[1:]  # the title repeats the name
    except Exception:  # noqa: BLE001 - a fee problem must not hide the rest of the card
        pass
    if p.url:
        lines.append(t("card_link", lang, url=p.url))
    dispatcher.utter_message(text="\n".join(lines), buttons=_buttons(lang))
    offer_links(dispatcher, lang, ("link_procedure_page", p.url))


def _search_button(code: str, title: str) -> dict[str, Any]:
    return {"title": title[:60], "payload": "/search_procedure" + json.dumps({"procedure_code": code})}


def answer_gap(dispatcher: CollectingDispatcher, gap: Gap, related: list[Hit], lang: str) -> None:
    """A topic the catalogue lacks (data/gaps.yml): say so, where to ask (the centre's note, else its
    staff), and the procedures search found at mid or high confidence only as buttons, never as the
    answer."""
    lines = [t("gap_topic", lang, topic=gap.name_in(lang)), gap.where_in(lang) or t("gap_ask_staff", lang)]
    if related:
        lines.append(t("gap_related", lang))
    buttons = [_search_button(h.code, h.name) for h in related[:2]]
    buttons.append({"title": t("button_staff", lang), "payload": "/request_human"})
    dispatcher.utter_message(text="\n".join(lines), buttons=buttons)


def procedure_in_context(tracker: Tracker) -> Procedure | None:
    code = _entity(tracker, "procedure_code") or tracker.get_slot("procedure_code")
    if code and code in services().catalogue:
        return services().catalogue.get(code)
    return None


class ActionSearchProcedure(ThutucAction):
    def name(self) -> str:
        return "action_search_procedure"

    async def act(self, dispatcher, tracker, domain, lang) -> list[EventType]:
        dossier = _entity(tracker, "dossier_code")
        if dossier:
            # A dossier code on its own ("H56.14-240823-0001", read as `inform`) is no procedure
            # question: start the status form with it filled (the form validates it, then asks for
            # the verification digits).
            return [SlotSet("dossier_code", dossier), FollowupAction("dossier_form")]
        code = _entity(tracker, "procedure_code")
        if code and code in services().catalogue:
            answer_card(dispatcher, services().catalogue.get(code), lang)
            return [SlotSet("procedure_code", code), SlotSet("low_confidence_count", 0.0)]
        question = _question(tracker)
        hits = services().search.search(question, lang=lang, top_k=3)
        gap = services().gaps.match(question)
        if gap:
            answer_gap(dispatcher, gap, [h for h in hits if h.band != "low"], lang)
            mark_confidence(dispatcher, "low")
            return [SlotSet("low_confidence_count", 0.0)]
        band = hits[0].band if hits else "low"
        if band == "high":
            answer_card(dispatcher, services().catalogue.get(hits[0].code), lang)
            mark_confidence(dispatcher, band)
            return [SlotSet("procedure_code", hits[0].code), SlotSet("low_confidence_count", 0.0)]
        if hits and hits[0].band == "mid":
            buttons = [_search_button(h.code, h.name) for h in hits]
            dispatcher.utter_message(text=t("did_you_mean", lang), buttons=buttons)
            mark_confidence(dispatcher, band)
            return [SlotSet("low_confidence_count", 0.0)]
        mark_confidence(dispatcher, band)
        count = float(tracker.get_slot("low_confidence_count") or 0) + 1
        if count >= LOW_CONFIDENCE_HANDOFF:
            return [SlotSet("low_confidence_count", 0.0), SlotSet("handoff_reason", "low_confidence"),
                    FollowupAction("action_handoff")]
        dispatcher.utter_message(text=t("low_confidence", lang),
                                 buttons=[{"title": t("button_staff", lang), "payload": "/request_human"}])
        return [SlotSet("low_confidence_count", count)]


class _FollowUp(ThutucAction):
    """Answers about the procedure in context; asks which one when there is none."""

    async def act(self, dispatcher, tracker, domain, lang) -> list[EventType]:
        p = procedure_in_context(tracker)
        text = _question(tracker)
        if text and not _entity(tracker, "procedure_code"):
            # A question that names its own procedure ("lệ phí làm hộ chiếu?") is about that one, even
            # when another is in context; one that only asks ("bao nhiêu tiền?") is about the context.
            named = services().search.named_procedure(text, lang, p.code if p else None)
            if named:
                p = services().catalogue.get(named)
        if p is None:
            say(dispatcher, "ask_procedure", lang)
            return []
        self.answer(dispatcher, tracker, p, lang)
        return [SlotSet("procedure_code", p.code)]

    @abc.abstractmethod
    def answer(self, dispatcher, tracker, p: Procedure, lang: str) -> None: ...


class ActionShowDocuments(_FollowUp):
    def name(self) -> str:
        return "action_show_documents"

    def answer(self, dispatcher, tracker, p, lang) -> None:
        if not p.documents:
            say(dispatcher, "documents_unknown", lang, url=p.url or "https://dichvucong.gov.vn")
            return
        lines = [t("documents_header", lang, name=p.name_in(lang))]
        lines += [f"{i}. {p.text_in(d, lang)}" for i, d in enumerate(p.documents, 1)]
        if p.steps:
            lines.append(t("steps_header", lang))
            lines += [f"{i}. {p.text_in(s, lang)}" for i, s in enumerate(p.steps, 1)]
        dispatcher.utter_message(text="\n".join(lines))


class ActionShowProcessingTime(_FollowUp):
    def name(self) -> str:
        return "action_show_processing_time"

    def answer(self, dispatcher, tracker, p, lang) -> None:
        lines = time_text(p, lang)
        if not lines:
            say(dispatcher, "time_unknown", lang, url=p.url or "https://dichvucong.gov.vn")
            return
        dispatcher.utter_message(text="\n".join([t("time_header", lang, name=p.name_in(lang))] + lines))


class ActionShowWhere(_FollowUp):
    def name(self) -> str:
        return "action_show_where"

    def answer(self, dispatcher, tracker, p, lang) -> None:
        lines = []
        if p.agency and p.agency != "Không có thông tin":
            lines.append(t("where", lang, name=p.name_in(lang), agency=p.agency))
        office = services().office or {}
        centre = office.get("centre") or {}
        portal = (office.get("portals") or {}).get("national") or "https://dichvucong.gov.vn"
        if centre.get("address"):
            name = (centre.get("name") or {}).get(lang) or (centre.get("name") or {}).get("vi", "")
            lines.append(t("office_known", lang, centre=name, address=centre["address"]))
        else:
            lines.append(t("office_unknown", lang, portal=portal))
        dispatcher.utter_message(text="\n".join(lines))


class ActionShowOnlineSubmission(_FollowUp):
    def name(self) -> str:
        return "action_show_online_submission"

    def answer(self, dispatcher, tracker, p, lang) -> None:
        url = p.url or "https://dichvucong.gov.vn"
        key = "online_yes" if p.online_submission else "online_no"
        lines = [t(key, lang, name=p.name_in(lang), url=url)]
        provincial = (services().office.get("portals") or {}).get("provincial") or services().settings.provincial_portal
        if provincial:
            lines.append(t("provincial_portal", lang, url=provincial))
        dispatcher.utter_message(text="\n".join(lines))
        offer_links(dispatcher, lang, ("link_submit_online", url if p.online_submission else None),
                    ("link_procedure_page", None if p.online_submission else url),
                    ("link_provincial_portal", provincial or None))


class ActionShowFee(_FollowUp):
    def name(self) -> str:
        return "action_show_fee"

    def answer(self, dispatcher, tracker, p, lang) -> None:
        raw = next(tracker.get_latest_entity_values("quantity"), None) or tracker.get_slot("quantity") or 1
        try:
            quantity = max(1, min(int(float(raw)), 1000))
        except (TypeError, ValueError):
            quantity = 1
        text = fee_text(p, lang, quantity)
        dispatcher.utter_message(text=text or t("documents_unknown", lang, url=p.url or "https://dichvucong.gov.vn"))
