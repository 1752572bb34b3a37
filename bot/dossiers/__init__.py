"""Dossier status lookup that protects the owner: store, import, demo data, verification, abuse limits
and the five-language answers.

Plain Python (no Rasa, Telegram or Typer). Adapters build one `DossierService(settings)` and call
`lookup(code, verification, user, lang)`; see docs/dossiers.md.
"""

from .limits import RateLimits
from .model import (
    CHANNELS,
    IMPORT_COLUMNS,
    OUTCOMES,
    STATUS_CODES,
    VERIFY_WITH,
    DemoReport,
    Dossier,
    DossierConfigError,
    DossierError,
    DossierImportError,
    ImportReport,
    InvalidDossierCode,
    InvalidVerification,
    LookupResult,
    RowProblem,
)
from .normalise import DEFAULT_CODE_PATTERN, normalise_code, normalise_verification
from .service import DossierService
from .texts import LANGS, STATUS_TEXTS, StatusText, status_text

__all__ = [
    "CHANNELS", "DEFAULT_CODE_PATTERN", "IMPORT_COLUMNS", "LANGS", "OUTCOMES", "STATUS_CODES", "STATUS_TEXTS",
    "VERIFY_WITH", "DemoReport", "Dossier", "DossierConfigError", "DossierError", "DossierImportError",
    "DossierService", "ImportReport", "InvalidDossierCode", "InvalidVerification", "LookupResult",
    "RateLimits", "RowProblem", "StatusText", "normalise_code", "normalise_verification", "status_text",
]
