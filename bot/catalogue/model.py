"""The procedure schema: one frozen record per administrative procedure.

A procedure mixes two kinds of content:
- *facts* read from the national portal (official name, field, level, agencies, channels with
  processing time and fees, legal basis, links). The importer refreshes them.
- *curated text* written by the project in five languages (names, aliases, summary, applicants,
  documents, steps). Only curated files carry it; it is never overwritten by an import.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as _field
from typing import Mapping

LANGS: tuple[str, ...] = ("vi", "en", "zh", "ko", "ja")
CHANNELS: tuple[str, ...] = ("online", "offline", "post")
LEVELS: tuple[str, ...] = ("province", "commune", "ministry", "other")

# A text in several languages: {"vi": "...", "en": "..."}.
Texts = Mapping[str, str]


@dataclass(frozen=True)
class Money:
    amount: int
    currency: str  # "VND" or "USD"


@dataclass(frozen=True)
class ChannelRow:
    """One row of the portal's channel table: how to submit, how long, how much."""

    channel: str  # online | offline | post
    time_value: float | None = None
    time_unit: str | None = None  # working_day | day | hour | month
    time_text: str = ""
    fees: tuple[Money, ...] = ()
    free: bool = False  # the portal says "Miễn phí"
    fee_text: str = ""  # the fee cell exactly as published
    note: str = ""  # the free-text description of the row

    def to_dict(self) -> dict:
        d: dict = {"channel": self.channel}
        if self.time_value is not None:
            d["time"] = {"value": self.time_value, "unit": self.time_unit}
        if self.time_text:
            d["time_text"] = self.time_text
        if self.fees:
            d["fees"] = [{"amount": m.amount, "currency": m.currency} for m in self.fees]
        if self.free:
            d["free"] = True
        if self.fee_text:
            d["fee_text"] = self.fee_text
        if self.note:
            d["note"] = self.note
        return d

    @classmethod
    def from_dict(cls, d: Mapping) -> "ChannelRow":
        t = d.get("time") or {}
        return cls(
            channel=d["channel"],
            time_value=t.get("value"),
            time_unit=t.get("unit"),
            time_text=d.get("time_text", ""),
            fees=tuple(Money(int(f["amount"]), f["currency"]) for f in d.get("fees") or ()),
            free=bool(d.get("free", False)),
            fee_text=d.get("fee_text", ""),
            note=d.get("note", ""),
        )


@dataclass(frozen=True)
class LegalRef:
    number: str  # e.g. "75/2022/TT-BTC"
    title: str = ""


@dataclass(frozen=True)
class Procedure:
    code: str
    name: Mapping[str, str]
    field: str = ""
    level: tuple[str, ...] = ()
    aliases: Mapping[str, tuple[str, ...]] = _field(default_factory=dict)
    summary: Mapping[str, str] = _field(default_factory=dict)
    applicants: Mapping[str, str] = _field(default_factory=dict)
    documents: tuple[Mapping[str, str], ...] = ()
    steps: tuple[Mapping[str, str], ...] = ()
    agency: str = ""
    receiving_agency: str = ""
    result: str = ""
    channels: tuple[ChannelRow, ...] = ()
    fully_online: bool | None = None  # None: the source does not say
    links: Mapping[str, str | None] = _field(default_factory=dict)
    legal_basis: tuple[LegalRef, ...] = ()
    source: Mapping[str, str] = _field(default_factory=dict)
    updated: str = ""
    popularity: float = 0.0
    curated: bool = False

    def name_in(self, lang: str | None) -> str:
        """The name in `lang` when we have it, else the official Vietnamese name."""
        return (lang and self.name.get(lang)) or self.name["vi"]

    def text_in(self, texts: Mapping[str, str], lang: str | None) -> str:
        return (lang and texts.get(lang)) or texts.get("vi", "")

    @property
    def online_submission(self) -> bool:
        return any(c.channel == "online" for c in self.channels)

    def channel(self, name: str) -> ChannelRow | None:
        return next((c for c in self.channels if c.channel == name), None)

    @property
    def url(self) -> str | None:
        return self.links.get("national") or self.links.get("provincial")


class UnknownProcedure(LookupError):
    """No procedure has this code."""

    def __init__(self, code: str, suggestions: tuple[str, ...] = ()):
        super().__init__(code)
        self.code = code
        self.suggestions = suggestions

    def __str__(self) -> str:
        s = f"unknown procedure code {self.code!r}"
        if self.suggestions:
            s += "; nearest: " + ", ".join(self.suggestions)
        return s
