"""Normalisation of what people type: dossier codes, verification digits, identity numbers, phones.

Codes are compared after NFKC (full-width letters and digits become ASCII), removal of spaces and
invisible characters, one kind of dash and upper case, then must match the configured pattern
(`THUTUC_DOSSIER_CODE_PATTERN`). Error messages never repeat the input.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from .model import DossierConfigError, InvalidDossierCode, InvalidVerification

#: Default pattern: `<agency id>-<yymmdd>-<4-digit counter>`, the agency id being dot-separated groups
#: of letters and digits, e.g. `H56.14-240823-0001`, `000.00.12.H48-240823-0001`, `G22.01.02-…`.
DEFAULT_CODE_PATTERN = r"[0-9A-Z]{1,8}(?:\.[0-9A-Z]{1,8}){0,5}-\d{6}-\d{4}"
MAX_CODE_LENGTH = 64  # checked before the pattern so that no pattern ever sees a huge input
MAX_INPUT_LENGTH = 256

_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u30fc\uff70"), "-")


def _clean(text: str) -> str:
    """NFKC, then drop whitespace and invisible format characters (zero-width, bidi marks)."""
    text = unicodedata.normalize("NFKC", text).translate(_DASHES)
    return "".join(ch for ch in text if not ch.isspace() and unicodedata.category(ch) not in ("Cf", "Cc"))


@lru_cache(maxsize=16)
def compile_pattern(pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern or DEFAULT_CODE_PATTERN)
    except re.error as e:
        raise DossierConfigError(f"THUTUC_DOSSIER_CODE_PATTERN is not a valid regular expression: {e}") from None


def normalise_code(raw: str, pattern: str = DEFAULT_CODE_PATTERN) -> str:
    """The canonical form of a dossier code, or `InvalidDossierCode`."""
    if not isinstance(raw, str) or len(raw) > MAX_INPUT_LENGTH:
        raise InvalidDossierCode("a dossier code looks like H56.14-240823-0001")
    code = _clean(raw).upper()
    if not code or len(code) > MAX_CODE_LENGTH or not compile_pattern(pattern).fullmatch(code):
        raise InvalidDossierCode("a dossier code looks like H56.14-240823-0001")
    return code


def normalise_verification(raw: str) -> str:
    """Exactly 4 digits (full-width digits, spaces and dashes allowed), or `InvalidVerification`."""
    if not isinstance(raw, str) or len(raw) > MAX_INPUT_LENGTH:
        raise InvalidVerification("the verification is the last 4 digits")
    digits = _clean(raw).replace("-", "").replace(".", "")
    if len(digits) != 4 or not digits.isascii() or not digits.isdigit():
        raise InvalidVerification("the verification is the last 4 digits")
    return digits


def normalise_id_number(raw: str) -> str:
    """Identity number (CCCD 12 digits, CMND 9 digits) or passport number: upper-case letters and digits.

    Raises ValueError (without the value) when it cannot be one.
    """
    value = _clean(raw).replace("-", "").replace(".", "").upper()
    if not (6 <= len(value) <= 20) or not value.isascii() or not value.isalnum():
        raise ValueError("must be 6 to 20 letters or digits")
    if sum(ch.isdigit() for ch in value) < 4:
        raise ValueError("must contain at least 4 digits")
    return value


def normalise_phone(raw: str) -> str:
    """A phone number as national digits: +84 / 84 / 0084 prefixes become a leading 0."""
    value = _clean(raw)
    for ch in "-.()/":
        value = value.replace(ch, "")
    if value.startswith("+"):
        value = value[1:]
        if value.startswith("84"):
            value = "0" + value[2:]
    elif value.startswith("0084"):
        value = "0" + value[4:]
    elif value.startswith("84") and len(value) == 11:
        value = "0" + value[2:]
    if not value.isascii() or not value.isdigit() or not (9 <= len(value) <= 15):
        raise ValueError("must be 9 to 15 digits")
    return value


def last4(value: str) -> str:
    """The last 4 digits (letters of a passport number are skipped)."""
    digits = "".join(ch for ch in value if ch.isdigit())
    if len(digits) < 4:
        raise ValueError("must contain at least 4 digits")
    return digits[-4:]
