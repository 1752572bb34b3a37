"""Handoff to the centre's staff: the case queue, office hours and call-back contacts.

Channel-agnostic: the router (`bot.channels.router`) drives it; the Telegram staff group shows it.
Staff rights come from `THUTUC_STAFF_IDS` only, never from anything a citizen can send.
"""

from .cases import (
    MAX_LINE,
    RETENTION,
    TRANSCRIPT_LINES,
    Case,
    CaseClosed,
    CaseError,
    CaseStore,
    CaseTaken,
    NotClaimer,
    TranscriptLine,
    UnknownCase,
    utcnow,
)
from .contact import Contact, looks_like_contact, parse_contact
from .hours import OfficeConfigError, OfficeHours

__all__ = [
    "Case", "CaseClosed", "CaseError", "CaseStore", "CaseTaken", "Contact", "MAX_LINE", "NotClaimer",
    "OfficeConfigError", "OfficeHours", "RETENTION", "TRANSCRIPT_LINES", "TranscriptLine", "UnknownCase",
    "looks_like_contact", "parse_contact", "utcnow",
]
