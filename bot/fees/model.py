"""The fee model: fee items, dated rules, and the quotes the calculator returns.

Everything here is a frozen value; the calculator (`bot.fees.calculator`) builds them from the
catalogue's channel rows and the rule files in `data/fees/`. Amounts are integers in the legal
currency of the fee (VND, or USD where the law sets dollars): never floats, never converted.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as _field
from datetime import date
from typing import Mapping

CURRENCIES: tuple[str, ...] = ("VND", "USD")
CONFIDENCE: tuple[str, ...] = ("confirmed", "unverified")
RULE_CHANNELS: tuple[str, ...] = ("all", "online", "offline", "post")
EFFECTS: tuple[str, ...] = ("percent", "fixed", "exempt")
UNITS: tuple[str, ...] = ("dossier", "card", "passport", "pass", "copy", "page", "certificate", "time")
#: More than this many units in one quote is treated as a typing mistake.
MAX_QUANTITY = 1000


class FeeError(Exception):
    """Base class of the fee calculator's domain errors."""


class FeeDataError(FeeError, ValueError):
    """A rule or item file in data/fees/ is malformed (the message names file and entry)."""


class BadQuantity(FeeError, ValueError):
    """Quantity is not a whole number between 1 and MAX_QUANTITY."""


class ChannelNotAvailable(FeeError, LookupError):
    """The procedure cannot be submitted through this channel."""

    def __init__(self, code: str, channel: str, available: tuple[str, ...]):
        super().__init__(code, channel)
        self.code, self.channel, self.available = code, channel, available

    def __str__(self) -> str:
        avail = ", ".join(self.available) or "none"
        return f"procedure {self.code} has no {self.channel!r} channel (available: {avail})"


@dataclass(frozen=True)
class Tier:
    """Per-unit amount for units `first`..`last` (inclusive; `last` None = no upper end)."""

    first: int
    last: int | None
    amount: int


@dataclass(frozen=True)
class ItemSpec:
    """Curated description of a procedure's fee item (data/fees/items.yml): unit, names, tiers, cap."""

    code: str
    currency: str
    unit: str = "dossier"
    name: Mapping[str, str] = _field(default_factory=dict)
    tiers: tuple[Tier, ...] = ()
    cap: int | None = None  # at most this much per quote of one copy/dossier
    legal_basis: tuple[str, ...] = ()
    provincial: bool = False  # amount set by the provincial HĐND: the portal figure is a reference


@dataclass(frozen=True)
class FeeItem:
    """One fee of a procedure on one channel, as the catalogue publishes it.

    `base` is None when the portal gives no usable amount (missing, or flagged suspicious);
    `free` means the portal says "Miễn phí" (exempt, 0).
    """

    code: str
    channel: str
    currency: str
    base: int | None
    unit: str = "dossier"
    name: Mapping[str, str] = _field(default_factory=dict)
    tiers: tuple[Tier, ...] = ()
    cap: int | None = None
    free: bool = False
    fee_text: str = ""
    suspicious: str = ""  # why the published amount is not quoted (importer finding)
    explicit_channel_amount: bool = False  # the portal gives this channel its own amount
    legal_basis: tuple[str, ...] = ()
    provincial: bool = False
    quantity_hint: int = 1  # units being quoted (set by the calculator while choosing a rule)
    until: tuple[date, ...] = ()  # end dates of the periods the row's description names
    dated: tuple[int, ...] = ()  # lower amounts the description states for such a period
    alternative: bool = False  # one of several amounts the channel lists for different cases
    no_data: bool = False  # the row gives no amount at all
    case: str = ""  # the start of the row's description (which case an alternative amount is for)

    @property
    def usable(self) -> bool:
        """The published amount (or "Miễn phí") may be quoted as it stands."""
        return not self.suspicious and not self.no_data and (self.base is not None or self.free)


@dataclass(frozen=True)
class Rule:
    """A dated rule: for procedures in scope, on a channel, between two dates (inclusive)."""

    id: str
    effect: str  # percent | fixed | exempt
    channel: str = "all"
    codes: tuple[str, ...] = ()
    group: str = ""
    percent: float | None = None  # percent of base that is charged (50 = half)
    amount: int | None = None  # fixed amount charged per unit
    currency: str = "VND"
    valid_from: date | None = None
    valid_to: date | None = None
    legal_basis: str = ""
    source: str = ""
    confidence: str = "unverified"
    description: Mapping[str, str] = _field(default_factory=dict)
    file: str = ""

    def covers(self, on: date) -> bool:
        return (self.valid_from is None or self.valid_from <= on) and (self.valid_to is None or on <= self.valid_to)

    def applies_to_channel(self, channel: str) -> bool:
        return self.channel in ("all", channel)


@dataclass(frozen=True)
class Note:
    """Something the answer must say, as a message key and its arguments (rendered per language)."""

    key: str
    args: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, key: str, **args) -> "Note":
        return cls(key, tuple((k, str(v)) for k, v in args.items()))


@dataclass(frozen=True)
class LineItem:
    """One computed line of a quote."""

    name: Mapping[str, str]
    unit: str
    quantity: int
    currency: str
    base: int | None  # published amount per unit (None: no usable amount)
    amount: int | None  # what is charged for `quantity` units after any rule
    rule: Rule | None = None
    exempt: bool = False
    legal_basis: tuple[str, ...] = ()
    confidence: str = "confirmed"
    notes: tuple[Note, ...] = ()

    def to_dict(self, lang: str = "vi") -> dict:
        return {
            "name": self.name.get(lang) or self.name.get("vi", ""),
            "unit": self.unit,
            "quantity": self.quantity,
            "currency": self.currency,
            "base": self.base,
            "amount": self.amount,
            "exempt": self.exempt,
            "rule": self.rule.id if self.rule else None,
            "legal_basis": list(self.legal_basis),
            "confidence": self.confidence,
            "notes": [n.key for n in self.notes],
        }


@dataclass(frozen=True)
class Quote:
    """The fee for one procedure on one channel, for `quantity` units, on a date."""

    code: str
    channel: str
    quantity: int
    on: date
    items: tuple[LineItem, ...]
    totals: Mapping[str, int]  # per currency; empty when no amount is known
    confidence: str  # confirmed | unverified | no_data
    notes: tuple[Note, ...] = ()
    url: str | None = None
    procedure_name: Mapping[str, str] = _field(default_factory=dict)
    lang: str = "vi"

    @property
    def has_data(self) -> bool:
        return bool(self.totals)

    @property
    def legal_basis(self) -> tuple[str, ...]:
        out: list[str] = []
        for it in self.items:
            for b in it.legal_basis:
                if b and b not in out:
                    out.append(b)
        return tuple(out)

    def total(self, currency: str) -> int | None:
        return self.totals.get(currency)


@dataclass(frozen=True)
class Comparison:
    """Every available channel of a procedure, and what submitting online saves."""

    code: str
    quantity: int
    on: date
    quotes: tuple[Quote, ...]
    saving_online: int | None  # in-person total − online total (same single currency), else None
    saving_currency: str | None = None

    def quote(self, channel: str) -> Quote | None:
        return next((q for q in self.quotes if q.channel == channel), None)
