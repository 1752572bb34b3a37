"""The channel-agnostic conversation router of the front-end process (see docs/channels.md).

Every front end (Telegram, web chat) hands citizen input to one `ConversationRouter` and renders the
`Reply` objects it gets back. The router owns what must not differ between channels: the chat's
language, the transcript staff will read, usage counts, the call to Rasa, and the handoff to staff
(open a case, tell the queue position or when staff are back, take a call-back contact, route the
citizen's messages to the claiming staff member, staff replies back to the citizen, close).

Personal data (message text, contacts) is stored for staff but never logged: logs name case ids and
error types only.
"""

from __future__ import annotations

import json
import logging
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Awaitable, Callable, Protocol

import yaml

from ..config import Settings
from ..handoff import (
    Case,
    CaseClosed,
    CaseTaken,
    NotClaimer,
    OfficeHours,
    TranscriptLine,
    UnknownCase,
    looks_like_contact,
    parse_contact,
    utcnow,
)
from ..i18n import SUPPORTED, detect_language
from ..i18n.messages import t
from .rasa_client import AsyncRasaClient, RasaUnavailable, sender_id
from .replies import Reply, parse_rasa
from .store import FrontendStore

__all__ = ["ConversationRouter", "Deliver", "MAX_TEXT", "NATIONAL_PORTAL", "RetryLater", "StaffDesk",
           "StaffResult", "normalise_lang"]

log = logging.getLogger(__name__)

#: Longest citizen message passed on (GOV.UK Chat caps questions too); longer ones are refused politely.
MAX_TEXT = 2000
NATIONAL_PORTAL = "https://dichvucong.gov.vn"
PURGE_EVERY = timedelta(hours=1)
# A bare intent payload (`/greet`) is what NLU itself could produce from text: harmless even if forged.
# Payloads with entities (`/intent{"slot": …}`) are accepted only if the chat was offered that button.
_BARE_INTENT = re.compile(r"/[a-z_]{1,64}")
# Zero-width, bidi and Unicode tag characters: invisible to a reader, but they steer NLU and spoof text.
_INVISIBLE = re.compile(r"[\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff\U000e0000-\U000e007f]")


class Deliver(Protocol):
    """One per channel: sends replies to a citizen outside a request (staff messages, claim, close)."""

    async def __call__(self, chat: str, replies: list[Reply]) -> None: ...


class StaffDesk(Protocol):
    """Where staff see cases (the Telegram staff group). Absent: cases wait in the queue."""

    async def post_case(self, case: Case, transcript: list[TranscriptLine]) -> None: ...

    async def forward(self, case: Case, text: str) -> None: ...  # citizen text while claimed

    async def case_changed(self, case: Case) -> None: ...  # claimed / closed / contact left: update card


@dataclass(frozen=True)
class StaffResult:
    """Outcome of a staff action. `status`: claimed | closed | sent (ok) or not_staff | unknown_case |
    taken (someone else claimed it) | not_claimer | closed_already | empty | undelivered."""

    ok: bool
    status: str
    case: Case | None = None


class RetryLater(RasaUnavailable):
    """Rasa could not answer and the caller asked to retry (`retry=True`): nothing was recorded or
    counted, so the same input can be given again; `replies` is the polite notice to send once."""

    def __init__(self, replies: list[Reply]):
        super().__init__("Rasa unavailable; retry later")
        self.replies = replies


def normalise_lang(code: str | None) -> str | None:
    """A channel's language code ("ko", "en-US", "zh-hans") → one of SUPPORTED, or None."""
    if not code:
        return None
    base = re.split(r"[-_]", str(code).strip().lower(), maxsplit=1)[0]
    return base if base in SUPPORTED else None


def _tidy(text: str) -> str:
    text = unicodedata.normalize("NFC", text or "")
    text = _INVISIBLE.sub("", text)
    text = "".join(ch if ch.isprintable() or ch == "\n" else " " for ch in text)
    return text.strip()


def _national_portal(office_file) -> str:
    try:
        data = yaml.safe_load(office_file.read_text(encoding="utf-8")) or {}
        url = (data.get("portals") or {}).get("national")
    except (OSError, yaml.YAMLError, AttributeError):
        url = None
    return url if isinstance(url, str) and url.startswith("https://") else NATIONAL_PORTAL


def format_when(at: datetime, lang: str) -> str:
    """A weekday, date and time in the office's local time, written the way `lang` writes them."""
    from babel.dates import format_skeleton, format_time

    day = format_skeleton("MMMMEEEEd", at, locale=lang, tzinfo=at.tzinfo)
    hour = format_time(at, "short", locale=lang, tzinfo=at.tzinfo)
    return f"{day}, {hour}" if lang in ("vi", "en") else f"{day} {hour}"


class ConversationRouter:
    def __init__(self, settings: Settings, rasa: AsyncRasaClient, store: FrontendStore, *,
                 clock: Callable[[], datetime] = utcnow, hours: OfficeHours | None = None):
        self.settings = settings
        self.rasa = rasa
        self.store = store
        self.clock = clock
        self.hours = hours if hours is not None else OfficeHours.from_file(settings.office_file)
        self.portal = _national_portal(settings.office_file)
        self.staff_ids = settings.staff_id_set
        self.staff_desk: StaffDesk | None = None
        self._deliver: dict[str, Deliver] = {}
        self._last_purge: datetime | None = None

    # --- wiring ---------------------------------------------------------------------------------

    def register(self, channel: str, deliver: Deliver) -> None:
        """The channel's way to reach a citizen outside a request (staff replies, claim, close)."""
        self._deliver[channel] = deliver

    def language(self, channel: str, chat: str, hint: str | None = None) -> str:
        """The chat's current language (for a front end's own texts: help, "text only", errors)."""
        state = self.store.chats.get(channel, str(chat))
        return state.lang_choice or state.lang or normalise_lang(hint) or self.settings.default_lang

    def is_staff(self, staff_id: int) -> bool:
        """Allow-listed in THUTUC_STAFF_IDS (the only source of staff rights)."""
        return isinstance(staff_id, int) and not isinstance(staff_id, bool) and staff_id in self.staff_ids

    # --- citizens -------------------------------------------------------------------------------

    def _resolve_language(self, channel: str, chat: str, text: str, hint: str | None) -> str:
        # Explicit choice › the text's own language › the conversation's › the channel's hint › default.
        # The conversation's language beats the device hint when the text is inconclusive ("ok", "👍"),
        # so a Korean conversation stays Korean on a phone set to English.
        state = self.store.chats.get(channel, chat)
        if state.lang_choice in SUPPORTED:
            lang = state.lang_choice
        else:
            fallback = state.lang or normalise_lang(hint)
            lang = (detect_language(text, hint=fallback) if text else None) or fallback or self.settings.default_lang
        if lang != state.lang:
            self.store.chats.set_lang(channel, chat, lang)
        return lang

    def _sender(self, channel: str, chat: str) -> str:
        return sender_id(channel, chat, self.settings.sender_secret)

    def _system(self, key: str, lang: str, **values) -> Reply:
        return Reply(t(key, lang, **values), sender="system")

    def _unavailable(self, lang: str, retry: bool) -> list[Reply]:
        replies = [self._system("frontend_unavailable_retry" if retry else "frontend_unavailable", lang)]
        if retry:
            raise RetryLater(replies)
        return replies

    def _user_message(self, channel: str, chat: str, lang: str, line: str | None) -> None:
        self.store.analytics.count("message", lang)
        if line:
            self.store.cases.add_line(channel, chat, "user", line)

    async def on_text(self, channel: str, chat: str, text: str, lang_hint: str | None = None, *,
                      retry: bool = False) -> list[Reply]:
        """A citizen's typed message → the replies to show.

        With `retry=True` (the Telegram inbox) a Rasa failure raises `RetryLater` (carrying the polite
        notice) and records nothing, so the same update can be processed again; otherwise the polite
        notice is returned and the message is counted and kept in the transcript."""
        chat = str(chat)
        self._maybe_purge()
        text = _tidy(text)
        lang = self._resolve_language(channel, chat, text, lang_hint)
        if not text:
            return []
        if len(text) > MAX_TEXT:
            self._user_message(channel, chat, lang, None)
            return [self._system("frontend_too_long", lang, limit=MAX_TEXT)]
        cases, chats = self.store.cases, self.store.chats
        case = cases.open_for(channel, chat)
        if case and case.status == "claimed":
            # While a staff member has the case, the citizen talks to them, not to the bot. Forward
            # first: if it raises, nothing is recorded and the caller's retry starts clean.
            if self.staff_desk is not None:
                await self.staff_desk.forward(case, text)
            self._user_message(channel, chat, lang, text)
            return []
        awaiting = chats.get(channel, chat).awaiting_contact
        if awaiting:
            if case and case.status == "waiting" and case.id == awaiting:
                contact = parse_contact(text)
                if contact:
                    # The contact lives on the case only, not in the transcript or analytics details.
                    self._user_message(channel, chat, lang, None)
                    case = cases.set_contact(case.id, contact.value)
                    chats.set_awaiting_contact(channel, chat, None)
                    await self._desk_changed(case)
                    return [self._system("handoff_contact_saved", lang)]
                if looks_like_contact(text):
                    self._user_message(channel, chat, lang, None)
                    return [self._system("handoff_contact_invalid", lang)]
            # Something else: the citizen moved on; the case stays queued and the bot answers.
            chats.set_awaiting_contact(channel, chat, None)
        return await self._ask_rasa(channel, chat, lang, self.rasa.send_text, text, text, "message", retry)

    async def on_button(self, channel: str, chat: str, payload: str, *, retry: bool = False) -> list[Reply]:
        """A press on one of our buttons (its payload). Accepted if the chat was offered that button or
        the payload is a bare intent; a forged or stale payload gets a polite refusal. `retry` as on_text."""
        chat = str(chat)
        lang = self.language(channel, chat)
        payload = (payload or "").strip()
        case = self.store.cases.open_for(channel, chat)
        if case and case.status == "claimed":
            return [self._system("handoff_with_staff", lang)]
        button = self.store.chats.offered(channel, chat, payload)
        if button is None and not _BARE_INTENT.fullmatch(payload):
            return [self._system("frontend_stale_button", lang)]
        if self.store.chats.get(channel, chat).awaiting_contact:
            self.store.chats.set_awaiting_contact(channel, chat, None)
        line = f"[{button.title}]" if button else f"[{payload}]"
        return await self._ask_rasa(channel, chat, lang, self.rasa.send_payload, payload, line, "button", retry)

    async def _ask_rasa(self, channel: str, chat: str, lang: str, send: Callable[..., Awaitable[list[dict]]],
                        message: str, line: str, what: str, retry: bool) -> list[Reply]:
        """Sends `message` to Rasa with `send` and answers; the user's `line` is counted and kept in the
        transcript either way. When Rasa is unavailable: the polite notice, or with `retry` RetryLater
        before anything is recorded."""
        try:
            messages = await send(self._sender(channel, chat), message, {"language": lang})
        except RasaUnavailable as e:
            log.warning("Rasa unavailable for a %s %s: %s", channel, what, e)
            replies = self._unavailable(lang, retry)
            self._user_message(channel, chat, lang, line)
            return replies
        self._user_message(channel, chat, lang, line)
        return await self._answer(channel, chat, lang, messages)

    async def on_language(self, channel: str, chat: str, lang: str) -> list[Reply]:
        """The citizen's explicit language choice (picker, /lang). It wins over detection from now on,
        and Rasa is told too (its `language_choice` slot) so actions answer in it."""
        chat = str(chat)
        chosen = normalise_lang(lang)
        if chosen is None:
            raise ValueError(f"language must be one of {SUPPORTED}, not {lang!r}")
        self.store.chats.set_choice(channel, chat, chosen)
        payload = "/change_language" + json.dumps({"language": chosen})
        try:
            replies, _ = parse_rasa(await self.rasa.send_payload(self._sender(channel, chat), payload,
                                                                  {"language": chosen}))
        except RasaUnavailable:
            replies = []
        # Rasa's answer is the same sentence; say it ourselves when Rasa is down or said something else.
        return replies or [self._system("language_changed", chosen)]

    async def _answer(self, channel: str, chat: str, lang: str, messages: list[dict]) -> list[Reply]:
        replies, customs = parse_rasa(messages)
        for reply in replies:
            self.store.cases.add_line(channel, chat, "bot", reply.text)
        self.store.chats.offer(channel, chat, [b for r in replies for b in r.buttons])
        if any((c.get("meta") or {}).get("band") == "low" for c in customs if isinstance(c.get("meta"), dict)):
            self.store.analytics.count("low_confidence", lang)
        handoff = next((c["handoff"] for c in customs if isinstance(c.get("handoff"), dict)), None)
        if handoff is not None:
            replies += await self._open_case(channel, chat, lang, handoff)
        return replies

    async def _open_case(self, channel: str, chat: str, lang: str, handoff: dict) -> list[Reply]:
        cases = self.store.cases
        case_lang = handoff.get("language") if handoff.get("language") in SUPPORTED else lang
        reason = re.sub(r"[^a-z0-9_]", "", str(handoff.get("reason") or "requested").lower())[:64] or "requested"
        code = handoff.get("procedure_code")
        code = str(code)[:32] if isinstance(code, (str, int)) and str(code).strip() else None
        case, created = cases.open(channel, chat, language=case_lang, reason=reason, procedure_code=code)
        if case.status == "claimed":
            return [self._system("handoff_with_staff", lang)]
        if created:
            self.store.analytics.count("handoff", case_lang)
            log.info("case %s opened (%s, reason=%s)", case.id, channel, reason)
            if self.staff_desk is not None:
                try:
                    await self.staff_desk.post_case(case, cases.transcript(channel, chat))
                except Exception as e:  # noqa: BLE001 - the case stays queued; staff can list the queue
                    log.warning("staff desk could not post case %s: %s", case.id, type(e).__name__)
        now = self.clock()
        is_open = self.hours.is_open(now)
        position = cases.position(case.id)
        if position is None:  # claimed between opening and now
            return [self._system("handoff_with_staff", lang)]
        if is_open:
            return [self._system("handoff_position", lang, position=position)]
        back = self.hours.next_open(now) if is_open is False else None
        if back is not None:
            said = t("handoff_after_hours", lang, when=format_when(back, lang), position=position)
        else:  # hours unknown (or none in the coming year): say so, never guess
            said = t("handoff_hours_unknown", lang, position=position, portal=self.portal)
        replies = [Reply(said, sender="system")]
        if not case.contact:
            replies.append(self._system("handoff_ask_contact", lang))
            self.store.chats.set_awaiting_contact(channel, chat, case.id)
        return replies

    # --- staff ----------------------------------------------------------------------------------

    async def _tell(self, case: Case, replies: list[Reply]) -> bool:
        deliver = self._deliver.get(case.channel)
        if deliver is None:
            log.warning("no delivery registered for channel %s (case %s)", case.channel, case.id)
            return False
        try:
            await deliver(case.chat, replies)
        except Exception as e:  # noqa: BLE001 - reported to the staff member as undelivered
            log.warning("could not deliver to the citizen of case %s: %s", case.id, type(e).__name__)
            return False
        return True

    async def _desk_changed(self, case: Case) -> None:
        if self.staff_desk is not None:
            try:
                await self.staff_desk.case_changed(case)
            except Exception as e:  # noqa: BLE001 - the card is cosmetic; the case state is in SQLite
                log.warning("staff desk could not update case %s: %s", case.id, type(e).__name__)

    def _refused(self, action: str) -> StaffResult:
        log.warning("staff %s refused: account not in THUTUC_STAFF_IDS", action)
        return StaffResult(False, "not_staff")

    async def staff_claim(self, staff_id: int, case_id: str) -> StaffResult:
        """Claim a waiting case; of concurrent claims exactly one wins (others get `taken`)."""
        if not self.is_staff(staff_id):
            return self._refused("claim")
        try:
            case, claimed_now = self.store.cases.claim(case_id, staff_id)
        except UnknownCase:
            return StaffResult(False, "unknown_case")
        except CaseTaken as e:
            return StaffResult(False, "taken", e.case)
        except CaseClosed as e:
            return StaffResult(False, "closed_already", e.case)
        if claimed_now:
            self.store.chats.set_awaiting_contact(case.channel, case.chat, None)
            await self._tell(case, [self._system("handoff_claimed", self.language(case.channel, case.chat))])
            await self._desk_changed(case)
        return StaffResult(True, "claimed", case)

    async def staff_message(self, staff_id: int, case_id: str, text: str) -> StaffResult:
        """A staff member's answer to the citizen of the case (claiming it if still waiting)."""
        if not self.is_staff(staff_id):
            return self._refused("message")
        text = _tidy(text)
        if not text:
            return StaffResult(False, "empty")
        cases = self.store.cases
        try:
            case = cases.get(case_id)
            if case.status == "waiting":
                case, claimed_now = cases.claim(case.id, staff_id)
                if claimed_now:
                    self.store.chats.set_awaiting_contact(case.channel, case.chat, None)
                    await self._desk_changed(case)
            elif case.status == "closed":
                raise CaseClosed(case)
            elif case.staff_id != staff_id:
                raise NotClaimer(case)
        except UnknownCase:
            return StaffResult(False, "unknown_case")
        except CaseTaken as e:  # NotClaimer included
            return StaffResult(False, "not_claimer", e.case)
        except CaseClosed as e:
            return StaffResult(False, "closed_already", e.case)
        cases.add_line(case.channel, case.chat, "staff", text)
        if not await self._tell(case, [Reply(text, sender="staff")]):
            return StaffResult(False, "undelivered", case)
        return StaffResult(True, "sent", case)

    async def staff_close(self, staff_id: int, case_id: str) -> StaffResult:
        """Close the case (a claimed one only by its claimer) and give the chat back to the bot."""
        if not self.is_staff(staff_id):
            return self._refused("close")
        try:
            case = self.store.cases.close(case_id, staff_id)
        except UnknownCase:
            return StaffResult(False, "unknown_case")
        except CaseTaken as e:  # NotClaimer
            return StaffResult(False, "not_claimer", e.case)
        except CaseClosed as e:
            return StaffResult(False, "closed_already", e.case)
        self.store.chats.set_awaiting_contact(case.channel, case.chat, None)
        await self._tell(case, [self._system("handoff_closed", self.language(case.channel, case.chat))])
        await self._desk_changed(case)
        return StaffResult(True, "closed", case)

    # --- housekeeping ---------------------------------------------------------------------------

    def purge(self) -> tuple[int, int]:
        """Delete transcripts and contacts past retention (also done hourly from on_text)."""
        self._last_purge = self.clock()
        return self.store.purge()

    def _maybe_purge(self) -> None:
        now = self.clock()
        if self._last_purge is None or now - self._last_purge >= PURGE_EVERY:
            lines, contacts = self.purge()
            if lines or contacts:
                log.info("purged %d transcript lines and %d contacts past retention", lines, contacts)
