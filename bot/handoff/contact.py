"""Call-back contacts a citizen leaves outside working hours: Vietnamese phone numbers and e-mail.

A contact is personal data: it is stored on its case for staff to call back, purged with the case's
other personal data after the retention period, and never logged (`Contact.__repr__` hides it).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

__all__ = ["Contact", "parse_contact", "looks_like_contact"]

# Mobile numbers since the 2018 renumbering start 03, 05, 07, 08 or 09 (10 digits); landlines are
# 02 + area code + subscriber (11 digits). +84 / 84 replace the leading 0.
_MOBILE = re.compile(r"0[35789]\d{8}")
_LANDLINE = re.compile(r"02\d{9}")
_PHONE_CANDIDATE = re.compile(r"(?<![\w+])(?:\+\s?84|0084|84|0)[\d\s.\-()]{8,16}\d")
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.[A-Za-z]{2,24}(?![\w-])")


@dataclass(frozen=True)
class Contact:
    kind: str  # "phone" | "email"
    value: str = field(repr=False)  # normalised: 0xxxxxxxxx, or the e-mail address


def _national(digits: str) -> str | None:
    if digits.startswith("0084"):
        digits = "0" + digits[4:]
    elif digits.startswith("84") and len(digits) in (11, 12):
        digits = "0" + digits[2:]
    return digits if _MOBILE.fullmatch(digits) or _LANDLINE.fullmatch(digits) else None


def parse_contact(text: str) -> Contact | None:
    """The first valid e-mail address or Vietnamese phone number in `text`, normalised; else None.

    Full-width digits and separators (spaces, dots, dashes, brackets) are accepted, as typed on phones.
    """
    text = unicodedata.normalize("NFKC", text or "")[:500]
    m = _EMAIL.search(text)
    if m and len(m.group(0)) <= 254:
        return Contact("email", m.group(0))
    for m in _PHONE_CANDIDATE.finditer(text):
        number = _national(re.sub(r"\D", "", m.group(0)))
        if number:
            return Contact("phone", number)
    return None


_NUMBERISH = re.compile(r"[+\d\s.\-()]+")
_PROCEDURE_CODE = re.compile(r"\d\.\d{6}")


def looks_like_contact(text: str) -> bool:
    """Whether the text seems a mistyped phone or e-mail (ask again) rather than a question (move on):
    a lone word with "@", or only digits and separators (6+ digits) that are not a procedure code."""
    text = unicodedata.normalize("NFKC", text or "").strip()
    if "@" in text and len(text.split()) == 1:
        return True
    return (bool(_NUMBERISH.fullmatch(text)) and sum(ch.isdigit() for ch in text) >= 6
            and not _PROCEDURE_CODE.fullmatch(text))
