"""The fee calculator: per-channel base amounts from the catalogue, dated rules from data/fees/.

Policy (see docs/fees.md):
- Base amounts come from the catalogue's channel rows. Where the portal gives a channel its own
  amount (online differs from in person), that amount wins and channel-specific percentage rules are
  not applied on top of it (fixed amounts and exemptions still are); rules for "all" channels
  (e.g. a temporary 50% cut) still apply.
- "Miễn phí" on the portal is exempt (0). A row without an amount is "no data", never 0.
- Amounts the importer flagged as inconsistent (`amount_mismatch`: "40 Việt Nam Đồng" beside
  "40.000đ") and VND amounts under 1,000 đ are not quoted: the item is marked unverified.
- Rules apply inclusively on valid_from and valid_to. Reductions never stack: when several cover a
  date, the most favourable result applies; on a tie, the rule with the latest valid_from (a later
  text), then a confirmed one over an unverified one.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Iterable

from ..catalogue import Catalogue, Procedure
from ..config import Settings
from .model import (
    MAX_QUANTITY,
    BadQuantity,
    ChannelNotAvailable,
    Comparison,
    FeeItem,
    ItemSpec,
    LineItem,
    Note,
    Quote,
    Rule,
)
from .rules import FeeData, load_fee_data

CHANNEL_ORDER = ("online", "offline", "post")
PORTAL_BASIS = "Cổng Dịch vụ công quốc gia"
#: No Vietnamese fee is below this; a smaller VND amount is a unit slip on the portal.
MIN_PLAUSIBLE_VND = 1000


def fee_data_dir(settings: Settings) -> Path:
    return Path(settings.home) / "data" / "fees"


def _fee_basis(p: Procedure) -> tuple[str, ...]:
    """The fee texts among the procedure's legal basis (Ministry of Finance circulars, HĐND)."""
    return tuple(r.number for r in p.legal_basis if r.number.endswith("-BTC") or "HĐND" in r.number)


def check_quantity(quantity) -> int:
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        raise BadQuantity(f"quantity must be a whole number, not {quantity!r}")
    if not 1 <= quantity <= MAX_QUANTITY:
        raise BadQuantity(f"quantity must be between 1 and {MAX_QUANTITY}, not {quantity}")
    return quantity


def _round(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


class FeeCalculator:
    """Quotes fees; build it once (`FeeCalculator.load(settings)`) and reuse it: a quote is cheap."""

    def __init__(self, catalogue: Catalogue, data: FeeData, findings: Iterable = ()):
        self.catalogue = catalogue
        self.data = data
        self._mismatch: dict[tuple[str, str], str] = {}
        self._stale: dict[tuple[str, str], str] = {}
        for f in findings:
            channel, _, detail = f.detail.partition(":")
            if f.kind == "amount_mismatch":
                self._mismatch[(f.code, channel.strip())] = detail.strip()
            elif f.kind == "stale_note":
                self._stale[(f.code, channel.strip())] = detail.strip()

    @classmethod
    def load(cls, settings: Settings, catalogue: Catalogue | None = None) -> "FeeCalculator":
        from ..catalogue import list_findings

        catalogue = catalogue if catalogue is not None else Catalogue.load(settings)
        return cls(catalogue, load_fee_data(fee_data_dir(settings)), list_findings(Path(settings.catalogue_db)))

    # -- items -------------------------------------------------------------------------------------

    def channels(self, code: str) -> tuple[str, ...]:
        p = self.catalogue.get(code)
        present = {c.channel for c in p.channels}
        return tuple(c for c in CHANNEL_ORDER if c in present)

    def items(self, code: str, channel: str) -> tuple[FeeItem, ...]:
        """The published fee items of one channel (raises UnknownProcedure, ChannelNotAvailable)."""
        p = self.catalogue.get(code)
        rows = [r for r in p.channels if r.channel == channel]
        if not rows:
            raise ChannelNotAvailable(p.code, channel, self.channels(p.code))
        offline = sorted((m.currency, m.amount) for r in p.channels if r.channel == "offline" for m in r.fees)
        specs = self.data.item_specs(p.code)
        basis = _fee_basis(p)
        out: list[FeeItem] = []
        for row in rows:
            own = sorted((m.currency, m.amount) for m in row.fees)
            explicit = channel != "offline" and bool(offline) and bool(own) and own != offline
            for m in row.fees:
                spec = next((s for s in specs if s.currency == m.currency), None)
                suspicious = self._mismatch.get((p.code, channel), "")
                if not suspicious and m.currency == "VND" and 0 < m.amount < MIN_PLAUSIBLE_VND:
                    suspicious = f"{row.fee_text or m.amount} < {MIN_PLAUSIBLE_VND} đ"
                out.append(self._item(p, channel, m.currency, None if suspicious else m.amount, spec,
                                      fee_text=row.fee_text, suspicious=suspicious,
                                      explicit=explicit, basis=basis))
            if row.free and not row.fees:
                spec = next((s for s in specs if s.currency == "VND"), None)
                out.append(self._item(p, channel, "VND", 0, spec, fee_text=row.fee_text, free=True,
                                      basis=(PORTAL_BASIS + ": " + (row.fee_text or "Miễn phí"),)))
            if not row.fees and not row.free:
                out.append(self._item(p, channel, "VND", None, None, fee_text=row.fee_text, basis=()))
        return tuple(out)

    def _item(self, p: Procedure, channel: str, currency: str, base: int | None, spec: ItemSpec | None,
              *, fee_text: str, basis: tuple[str, ...], suspicious: str = "", explicit: bool = False,
              free: bool = False) -> FeeItem:
        own = spec.legal_basis if spec else ()
        basis = tuple(b for b in basis if not any(o.startswith(b) for o in own))
        tiers = spec.tiers if spec and base is not None and spec.tiers and spec.tiers[0].amount == base else ()
        return FeeItem(
            code=p.code, channel=channel, currency=currency, base=base,
            unit=spec.unit if spec else "dossier",
            name=dict(spec.name) if spec and spec.name else {},
            tiers=tiers, cap=spec.cap if spec and tiers else None, free=free, fee_text=fee_text,
            suspicious=suspicious, explicit_channel_amount=explicit,
            legal_basis=tuple(dict.fromkeys(own + basis)), provincial=bool(spec and spec.provincial),
        )

    # -- rules -------------------------------------------------------------------------------------

    def _gross(self, item: FeeItem, quantity: int) -> int:
        if not item.tiers:
            return item.base * quantity  # type: ignore[operator]
        total = 0
        for t in item.tiers:
            last = quantity if t.last is None else min(t.last, quantity)
            if last >= t.first:
                total += (last - t.first + 1) * t.amount
        return min(total, item.cap) if item.cap is not None else total

    def _pick_rule(self, item: FeeItem, on: date, gross: int) -> tuple[Rule | None, list[Note]]:
        notes: list[Note] = []
        in_scope = [r for r in self.data.rules_for(item.code) if r.applies_to_channel(item.channel)
                    and (r.effect != "fixed" or r.currency == item.currency)]
        if item.explicit_channel_amount:
            # the published channel amount already includes a channel discount: do not apply another
            # percentage on top (fixed amounts and exemptions state the amount outright, so they do)
            skipped = [r for r in in_scope if r.channel != "all" and r.effect == "percent"]
            if skipped:
                notes.append(Note.of("portal_channel_amount", rule=skipped[0].legal_basis))
            in_scope = [r for r in in_scope if r not in skipped]
        covering = [r for r in in_scope if r.covers(on)]
        if not covering:
            for r in in_scope:
                notes.append(Note.of("rule_not_in_force", basis=r.legal_basis,
                                     start=r.valid_from.isoformat() if r.valid_from else "",
                                     end=r.valid_to.isoformat() if r.valid_to else ""))
            return None, notes
        best = min(covering, key=lambda r: (self._apply(r, gross, item.quantity_hint),
                                            -(r.valid_from or date.min).toordinal(), r.confidence != "confirmed"))
        return best, notes

    @staticmethod
    def _apply(rule: Rule | None, gross: int, quantity: int) -> int:
        if rule is None:
            return gross
        if rule.effect == "exempt":
            return 0
        if rule.effect == "percent":
            return _round(Decimal(gross) * Decimal(str(rule.percent)) / 100)
        return min(gross, rule.amount * quantity)  # type: ignore[operator]

    def _line(self, item: FeeItem, quantity: int, on: date) -> LineItem:
        name = item.name
        common = dict(name=name, unit=item.unit, quantity=quantity, currency=item.currency, base=item.base)
        if item.suspicious:
            return LineItem(**common, amount=None, legal_basis=item.legal_basis, confidence="unverified",
                            notes=(Note.of("suspicious_amount", text=item.fee_text, detail=item.suspicious),))
        if item.base is None:
            return LineItem(**common, amount=None, confidence="no_data", notes=(Note.of("no_fee_data"),))
        if item.free:
            return LineItem(**common, amount=0, exempt=True, legal_basis=item.legal_basis,
                            notes=(Note.of("portal_free"),))
        notes: list[Note] = []
        gross = self._gross(item, quantity)
        rule, rule_notes = self._pick_rule(replace(item, quantity_hint=quantity), on, gross)
        # A stale portal note matters only when no confirmed rule of ours governs the date.
        stale = "" if rule and rule.confidence == "confirmed" else self._stale.get((item.code, item.channel), "")
        if stale:
            notes.append(Note.of("stale_portal_note", detail=stale))
        if item.provincial:
            notes.append(Note.of("provincial_fee"))
        notes += rule_notes
        amount = self._apply(rule, gross, quantity)
        confidence = "unverified" if stale or item.provincial or (rule and rule.confidence == "unverified") else "confirmed"
        basis = item.legal_basis if rule is None else (rule.legal_basis,) + item.legal_basis
        if rule is not None:
            notes.insert(0, Note.of("rule_applied", basis=rule.legal_basis,
                                    start=rule.valid_from.isoformat() if rule.valid_from else "",
                                    end=rule.valid_to.isoformat() if rule.valid_to else ""))
        return LineItem(**common, amount=amount, rule=rule, exempt=rule is not None and amount == 0,
                        legal_basis=tuple(dict.fromkeys(basis)), confidence=confidence, notes=tuple(notes))

    # -- public API --------------------------------------------------------------------------------

    def quote(self, code: str, channel: str, quantity: int = 1, on: date | None = None,
              lang: str = "vi") -> Quote:
        """The fee of `quantity` units of procedure `code` submitted on `channel` on date `on`."""
        quantity = check_quantity(quantity)
        on = on or date.today()
        p = self.catalogue.get(code)
        lines = tuple(self._line(it, quantity, on) for it in self.items(p.code, channel))
        totals: dict[str, int] = {}
        unknown: set[str] = set()
        for ln in lines:
            if ln.amount is None:
                if ln.confidence != "no_data":
                    unknown.add(ln.currency)
            else:
                totals[ln.currency] = totals.get(ln.currency, 0) + ln.amount
        for cur in unknown:  # a total with an unquotable item in it would mislead
            totals.pop(cur, None)
        if any(ln.confidence == "unverified" for ln in lines):
            confidence = "unverified"
        elif not totals:
            confidence = "no_data"
        else:
            confidence = "confirmed"
        notes: list[Note] = []
        if confidence == "no_data":
            notes.append(Note.of("no_fee_data_link", url=p.url or ""))
        elif confidence == "unverified":
            notes.append(Note.of("confirm_at_centre"))
        if len(totals) > 1:
            notes.append(Note.of("several_currencies"))
        return Quote(code=p.code, channel=channel, quantity=quantity, on=on, items=lines, totals=totals,
                     confidence=confidence, notes=tuple(notes), url=p.url, procedure_name=dict(p.name),
                     lang=lang)

    def compare(self, code: str, quantity: int = 1, on: date | None = None, lang: str = "vi") -> Comparison:
        """Every channel of the procedure, and the saving of online over in person."""
        quantity = check_quantity(quantity)
        on = on or date.today()
        quotes = tuple(self.quote(code, c, quantity, on, lang) for c in self.channels(code))
        by = {q.channel: q for q in quotes}
        saving = currency = None
        online, offline = by.get("online"), by.get("offline")
        if online and offline and len(online.totals) == 1 and online.totals.keys() == offline.totals.keys():
            currency = next(iter(online.totals))
            saving = offline.totals[currency] - online.totals[currency]
        return Comparison(code=quotes[0].code if quotes else code, quantity=quantity, on=on, quotes=quotes,
                          saving_online=saving, saving_currency=currency if saving is not None else None)


def with_rules(calc: FeeCalculator, rules: Iterable[Rule]) -> FeeCalculator:
    """A copy of `calc` with other rules (tests, what-if checks by an operator)."""
    data = replace(calc.data, rules=tuple(rules))
    new = FeeCalculator(calc.catalogue, data)
    new._mismatch, new._stale = calc._mismatch, calc._stale
    return new
