"""Dossier records, lookup results, import reports and the errors of the dossier package.

Everything here is a frozen value: the store returns `Dossier` records (never the owner's hashes), the
service returns `LookupResult`s, the importer returns an `ImportReport`. The owner's name, identity
number and phone never appear in any of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

#: Status codes used when syncing with the national portal (see docs/dossiers.md).
STATUS_CODES: tuple[int, ...] = tuple(range(1, 11))
#: Statuses in which the dossier is still open, so it can be overdue.
OPEN_STATUSES: frozenset[int] = frozenset({1, 2, 4, 5, 6})
CHANNELS: tuple[str, ...] = ("online", "offline", "post")
#: Exactly the columns (CSV) or keys (JSON) of an import file.
IMPORT_COLUMNS: tuple[str, ...] = (
    "code", "national_code", "procedure_code", "agency", "channel", "received_at", "appointment_at",
    "completed_at", "status_code", "owner_name", "owner_id_number", "owner_phone", "amount_due",
    "missing_documents",
)
#: What the verification digits are compared with (setting THUTUC_VERIFY_WITH).
VERIFY_WITH: tuple[str, ...] = ("id_number", "phone", "either")
OUTCOMES: tuple[str, ...] = ("ok", "not_verified", "rate_limited")
#: Vietnam has one time zone and no daylight saving time.
VN_TZ = timezone(timedelta(hours=7), "ICT")


class DossierError(Exception):
    """Base class of the errors raised by `bot.dossiers`."""


class InvalidDossierCode(DossierError, ValueError):
    """The text does not look like a dossier code (after normalisation). Says nothing about existence."""


class InvalidVerification(DossierError, ValueError):
    """The verification is not 4 digits."""


class DossierConfigError(DossierError, ValueError):
    """A setting is unusable (salt too short, bad pattern, database newer than the code)."""


@dataclass(frozen=True)
class RowProblem:
    """One bad row of an import file. The reason never repeats a cell's value."""

    line: int
    reason: str
    column: str | None = None

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", {self.column}" if self.column else "")
        return f"{where}: {self.reason}"


class DossierImportError(DossierError):
    """A fatal import error: nothing was applied to the store."""

    def __init__(self, message: str, problems: tuple[RowProblem, ...] = ()):
        super().__init__(message)
        self.problems = tuple(problems)


@dataclass(frozen=True)
class ImportReport:
    path: str
    rows: int  # data rows read from the file
    inserted: int
    updated: int
    unchanged: int
    problems: tuple[RowProblem, ...] = ()  # bad rows, skipped

    @property
    def applied(self) -> int:
        return self.inserted + self.updated + self.unchanged


@dataclass(frozen=True)
class DemoReport:
    """The demo dossiers written; `verify` maps each code to the digits that verify it (fake data)."""

    codes: tuple[str, ...]
    verify: dict[str, str]
    status: dict[str, int]


@dataclass(frozen=True)
class Dossier:
    """What the store knows about a dossier, minus the owner (only hashes of the owner are stored)."""

    code: str
    national_code: str | None
    procedure_code: str
    procedure_name: str | None
    agency: str
    channel: str
    received_at: str  # ISO 8601 date or date-time, as imported (naive = Vietnam time)
    appointment_at: str | None
    completed_at: str | None
    status_code: int
    status_note: str | None
    amount_due: int | None  # VND
    missing_documents: tuple[str, ...]
    demo: bool
    updated_at: str


def parse_when(value: str) -> date | datetime:
    """An ISO 8601 date or date-time; a naive date-time is Vietnam local time."""
    value = value.strip()
    if len(value) == 10:
        return date.fromisoformat(value)
    text = value[:-1] + "+00:00" if value.endswith(("Z", "z")) else value
    dt = datetime.fromisoformat(text)
    return dt if dt.tzinfo else dt.replace(tzinfo=VN_TZ)


def is_overdue(status_code: int, appointment_at: str | None, now: datetime) -> bool:
    """Overdue = still open (1, 2, 4, 5, 6) and past the appointment date (the whole day counts)."""
    if status_code not in OPEN_STATUSES or not appointment_at:
        return False
    when = parse_when(appointment_at)
    if isinstance(when, datetime):
        return now > when
    return now.astimezone(VN_TZ).date() > when


@dataclass(frozen=True)
class LookupResult:
    """The answer to one lookup. `text` is the full message for the user in `lang`.

    Only an `ok` result carries dossier fields; `not_verified` is the same for an unknown code and
    for a wrong verification.
    """

    outcome: str  # ok | not_verified | rate_limited
    code: str
    lang: str
    text: str
    next_step: str
    status_code: int | None = None
    status: str | None = None
    meaning: str | None = None
    received_at: str | None = None
    appointment_at: str | None = None
    completed_at: str | None = None
    overdue: bool | None = None
    procedure_code: str | None = None
    procedure_name: str | None = None
    agency: str | None = None
    channel: str | None = None
    amount_due: int | None = None
    missing_documents: tuple[str, ...] = ()
    demo: bool = False
    retry_after_s: int | None = None

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"

    def to_json(self) -> dict:
        """Exactly the keys of the CLI contract."""
        return {
            "outcome": self.outcome, "code": self.code, "status_code": self.status_code,
            "status": self.status, "received_at": self.received_at,
            "appointment_at": self.appointment_at, "completed_at": self.completed_at,
            "overdue": self.overdue, "next_step": self.next_step,
        }
