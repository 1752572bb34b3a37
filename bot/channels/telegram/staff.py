"""The staff group as the router's `StaffDesk`: case cards, forwarded citizen messages, card updates.

A card shows the case (language, procedure, reason, last transcript lines) with Claim / Close
buttons; staff answer the citizen by replying to the card or to a forwarded message. Which cases a
message stands for is kept in `tg_case_messages` when Telegram accepts it (see inbox.py).
Staff-facing texts are in Vietnamese, the centre's working language.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Callable

from bot.handoff import Case, TranscriptLine
from bot.i18n.messages import t

from .inbox import Outgoing
from .render import LANGUAGE_NAMES, split_text

if TYPE_CHECKING:
    from bot.channels.router import StaffResult

__all__ = ["STAFF_LANG", "TelegramStaffDesk", "card_text", "card_keyboard", "staff_answer"]

STAFF_LANG = "vi"
CARD_TRANSCRIPT_LINES = 8
CARD_LINE_CHARS = 300
_ROLE_MARK = {"user": "👤", "bot": "🤖", "staff": "🧑‍💼", "system": "ℹ️"}


def _esc(text: str) -> str:
    return html.escape(text, quote=False)


def card_text(case: Case, transcript: list[TranscriptLine], staff_name: str | None = None,
              lang: str = STAFF_LANG) -> str:
    """The card's HTML. Lines after the case opened are left out so the card reads the same when it
    is edited on claim or close."""
    lines = [f"<b>{_esc(t('tg_card_title', lang, case_id=case.id))}</b>",
             _esc(t("tg_card_details", lang, channel=case.channel,
                    language=LANGUAGE_NAMES.get(case.language, case.language),
                    procedure=case.procedure_code or t("tg_card_no_procedure", lang),
                    reason=case.reason, created=case.created_at.replace("T", " ")[:16]))]
    if case.contact:
        lines.append(_esc(t("tg_card_contact", lang, contact=case.contact)))
    shown = [line for line in transcript if line.at <= case.created_at][-CARD_TRANSCRIPT_LINES:]
    if shown:
        lines.append("")
        lines.append(f"<i>{_esc(t('tg_card_transcript', lang))}</i>")
        for line in shown:
            text = line.text if len(line.text) <= CARD_LINE_CHARS else line.text[:CARD_LINE_CHARS - 1] + "…"
            lines.append(f"{_ROLE_MARK.get(line.role, '•')} {_esc(text)}")
    lines.append("")
    staff = staff_name or (f"#{case.staff_id}" if case.staff_id else "")
    status_key = {"waiting": "tg_card_waiting", "claimed": "tg_card_claimed"}.get(case.status, "tg_card_closed")
    lines.append(f"<b>{_esc(t(status_key, lang, staff=staff))}</b>")
    return "\n".join(lines)


def card_keyboard(case: Case, lang: str = STAFF_LANG) -> dict | None:
    claim = {"text": t("tg_claim_button", lang), "callback_data": f"c:{case.id}"}
    close = {"text": t("tg_close_button", lang), "callback_data": f"x:{case.id}"}
    if case.status == "waiting":
        return {"inline_keyboard": [[claim, close]]}
    if case.status == "claimed":
        return {"inline_keyboard": [[close]]}
    return None


def staff_answer(result: "StaffResult", lang: str = STAFF_LANG) -> str:
    """What a staff member is told about their action (callback answer or a reply in the group)."""
    key = {"claimed": "tg_staff_done", "closed": "tg_staff_done", "sent": "tg_staff_done",
           "not_staff": "tg_staff_not_allowed", "taken": "tg_staff_taken", "not_claimer": "tg_staff_taken",
           "closed_already": "tg_staff_case_closed", "unknown_case": "tg_staff_unknown_case",
           "undelivered": "tg_staff_undelivered", "empty": "tg_staff_text_only"}.get(result.status, "tg_staff_done")
    return t(key, lang)


class TelegramStaffDesk:
    """`StaffDesk` for one staff group. `emit` queues messages durably (see TelegramFrontEnd.emit);
    `transcript(case)` reads the chat's transcript; `staff_name(id)` gives a display name if known."""

    def __init__(self, chat_id: int, emit: Callable[[list[Outgoing]], None],
                 transcript: Callable[[Case], list[TranscriptLine]],
                 staff_name: Callable[[int | None], str | None]):
        self.chat_id = chat_id
        self._emit = emit
        self._transcript = transcript
        self._staff_name = staff_name

    def _card(self, case: Case, transcript: list[TranscriptLine]) -> dict:
        params = {"chat_id": self.chat_id, "text": card_text(case, transcript, self._staff_name(case.staff_id)),
                  "parse_mode": "HTML", "link_preview_options": {"is_disabled": True}}
        markup = card_keyboard(case)
        if markup:
            params["reply_markup"] = markup
        return params

    async def post_case(self, case: Case, transcript: list[TranscriptLine]) -> None:
        self._emit([Outgoing(self.chat_id, "sendMessage", self._card(case, transcript),
                             {"case": case.id, "kind": "card"})])

    async def forward(self, case: Case, text: str) -> None:
        header = f"<b>{_esc(t('tg_forwarded', STAFF_LANG, case_id=case.id))}</b>\n"
        chunks = split_text(text, 4096 - len(header))
        self._emit([Outgoing(self.chat_id, "sendMessage",
                             {"chat_id": self.chat_id, "text": header + _esc(chunk), "parse_mode": "HTML",
                              "link_preview_options": {"is_disabled": True}},
                             {"case": case.id, "kind": "forward"}) for chunk in chunks])

    async def case_changed(self, case: Case) -> None:
        params = self._card(case, self._transcript(case))
        params["case_id"] = case.id
        self._emit([Outgoing(self.chat_id, "editCard", params, {"case": case.id, "kind": "card"})])
