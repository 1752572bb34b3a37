"""The fee calculator: per-channel base amounts from the catalogue, dated rules from data/fees/.

Policy (see docs/fees.md):
- Base amounts come from the catalogue's channel rows. Where the portal gives a channel its own
  amount (online differs from in person), that amount wins and channel-specific percentage rules are
  not applied on top of it (fixed amounts and exemptions still are); rules for "all" channels
  (e.g. a temporary 50% cut) still apply.
- "Miễn phí" on the portal is exempt (0). A row without an amount is "no data", never 0.
- A row whose fee cell its own description contradicts (`bot.fees.quality`: "40 Việt Nam Đồng"
  beside "40.000đ", another amount, another currency, "Miễn phí" beside a charge) and VND amounts
  under 1,000 đ are not quoted: the item is marked unverified. A `fixed` or `exempt` rule of ours
  states the amount outright, so it is quoted even then.
- Identical rows of one channel count once; different amounts in one currency on one channel are
  cases the portal lists side by side (card validity, first issue or change…): each is shown, no
  total is made up from them.
- Rules apply inclusively on valid_from and valid_to. Reductions never stack: one rule applies.
  Of the rules covering a date, a confirmed rule wins over an unverified one, then the later text
  (latest valid_from), then the most favourable result (data/fees/README.md explains why).
"""

from __future__ import annotations

import logging
import re
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
from .quality import MIN_PLAUSIBLE_VND, check_row
from .rules import FeeData, load_fee_data

log = logging.getLogger(__name__)

CHANNEL_ORDER = ("online", "offline", "post")
PORTAL_BASIS = "Cổng Dịch vụ công quốc gia"

__all__ = ["CHANNEL_ORDER", "MIN_PLAUSIBLE_VND", "PORTAL_BASIS", "FeeCalculator", "check_quantity",
           "fee_data_dir", "with_rules"]


def fee_data_dir(settings: Settings) -> Path:
    return Path(settings.home) / "data" / "fees"


def _fee_basis(p: Procedure) -> tuple[str, ...]:
    """The fee texts among the procedure's legal basis (Ministry of Finance circulars, HĐND)."""
    numbers = [r.number for r in p.legal_basis if r.number.endswith("-BTC") or "HĐND" in r.number]
    # The crawl glues a year to the next number ("năm 202344/2023/TT-BTC" gives "344/2023/TT-BTC" beside
    # the real "44/2023/TT-BTC"): a number that is another one with extra leading digits is that artefact.
    return tuple(n for n in numbers
                 if not any(o != n and n.endswith(o) and n[-len(o) - 1].isdigit() for o in numbers))


def check_quantity(quantity) -> int:
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        raise BadQuantity(f"quantity must be a whole number, not {quantity!r}")
    if not 1 <= quantity <= MAX_QUANTITY:
        raise BadQuantity(f"quantity must be between 1 and {MAX_QUANTITY}, not {quantity}")
    return quantity


def _round(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _period(rule: Rule) -> dict[str, str]:
    return {"start": rule.valid_from.isoformat() if rule.valid_from else "",
            "end": rule.valid_to.isoformat() if rule.valid_to else ""}


def _case(note: str) -> str:
    """The row description's first parenthesised part ("(Thẻ tạm trú có thời hạn không quá 02 năm: …)")."""
    m = re.match(r"\s*\(([^()]*(?:\([^()]*\)[^()]*)*)\)", note)
    text = (m.group(1) if m else note).strip()
    return text[:160] + ("…" if len(text) > 160 else "")


def _rank(rule: Rule, amount: int) -> tuple:
    """Sort key of covering rules: confirmed first, then the later text, then the lower amount."""
    return (rule.confidence != "confirmed", -(rule.valid_from or date.min).toordinal(), amount)


class FeeCalculator:
    """Quotes fees; build it once (`FeeCalculator.load(settings)`) and reuse it: a quote is cheap."""

    def __init__(self, catalogue: Catalogue, data: FeeData, findings: Iterable = (),
                 warnings: Iterable[str] = ()):
        self.catalogue = catalogue
        self.data = data
        #: problems found while loading (e.g. no fee rules), for the CLI and the operator to show
        self.warnings: tuple[str, ...] = tuple(warnings)
        # Findings an operator or a test passes in explicitly: (code, channel) -> detail.
        self._mismatch: dict[tuple[str, str], str] = {}
        self._stale: dict[tuple[str, str], str] = {}
        for f in findings:
            channel, _, detail = f.detail.partition(":")
            if f.kind == "amount_mismatch":
                self._mismatch[(f.code, channel.strip())] = detail.strip()
            elif f.kind == "stale_note":
                self._stale[(f.code, channel.strip())] = detail.strip()
        self._items: dict[tuple[str, str], tuple[FeeItem, ...]] = {}

    @classmethod
    def load(cls, settings: Settings, catalogue: Catalogue | None = None, *, log_warnings: bool = True
             ) -> "FeeCalculator":
        """Catalogue + data/fees/. Without any fee rule every quote is the portal's standard amount,
        which silently drops every dated reduction: that is logged (and kept in `.warnings`)."""
        catalogue = catalogue if catalogue is not None else Catalogue.load(settings)
        folder = fee_data_dir(settings)
        data = load_fee_data(folder)
        warnings = []
        if not folder.is_dir():
            warnings.append(f"fee rules folder {folder} is missing: no dated reduction will be applied, "
                            "quotes are the portal's standard amounts")
        elif not any(folder.glob("*.yml")):
            warnings.append(f"fee rules folder {folder} has no *.yml file: no dated reduction will be applied, "
                            "quotes are the portal's standard amounts")
        elif not data.rules:
            warnings.append(f"fee rules folder {folder} defines no rule: no dated reduction will be applied")
        if log_warnings:
            for w in warnings:
                log.warning(w)
        # The row checks are recomputed from the catalogue rows (bot.fees.quality), against the date of
        # each quote; the importer's stored findings were judged on the import date, so they are not used.
        return cls(catalogue, data, warnings=warnings)

    # -- items -------------------------------------------------------------------------------------

    def channels(self, code: str) -> tuple[str, ...]:
        p = self.catalogue.get(code)
        present = {c.channel for c in p.channels}
        return tuple(c for c in CHANNEL_ORDER if c in present)

    def items(self, code: str, channel: str) -> tuple[FeeItem, ...]:
        """The published fee items of one channel (raises UnknownProcedure, ChannelNotAvailable)."""
        p = self.catalogue.get(code)
        key = (p.code, channel)
        if key not in self._items:
            self._items[key] = self._build_items(p, channel)
        return self._items[key]

    def _build_items(self, p: Procedure, channel: str) -> tuple[FeeItem, ...]:
        rows = [(i, r) for i, r in enumerate(p.channels) if r.channel == channel]
        if not rows:
            raise ChannelNotAvailable(p.code, channel, self.channels(p.code))
        offline = {(m.currency, m.amount) for r in p.channels if r.channel == "offline" for m in r.fees}
        specs = self.data.item_specs(p.code)
        basis = _fee_basis(p)
        raw: list[FeeItem] = []
        for i, row in rows:
            check = check_row(p.code, row, i)
            explicit = channel != "offline" and bool(offline) and bool(row.fees) and \
                {(m.currency, m.amount) for m in row.fees} != offline
            suspicious = self._mismatch.get((p.code, channel), "") or check.suspicious()
            common = dict(fee_text=row.fee_text, until=check.until, case=_case(row.note))
            for m in row.fees:
                spec = next((s for s in specs if s.currency == m.currency), None)
                raw.append(self._item(p, channel, m.currency, None if suspicious else m.amount, spec,
                                      suspicious=suspicious, explicit=explicit, basis=basis,
                                      dated=check.dated_amounts(m.currency), **common))
            if row.free and not row.fees:
                spec = next((s for s in specs if s.currency == "VND"), None)
                if suspicious:  # "Miễn phí" beside a charge in the description: not quoted as free
                    raw.append(self._item(p, channel, "VND", None, spec, suspicious=suspicious, basis=basis,
                                          **common))
                else:
                    raw.append(self._item(p, channel, "VND", 0, spec, free=True,
                                          basis=(PORTAL_BASIS + ": " + (row.fee_text or "Miễn phí"),), **common))
            if not row.fees and not row.free:
                raw.append(self._item(p, channel, "VND", None, None, no_data=True, basis=(), **common))
        return self._merge(raw)

    @staticmethod
    def _merge(raw: list[FeeItem]) -> tuple[FeeItem, ...]:
        # Rows without any amount next to priced rows are the portal's extra description lines.
        if any(not it.no_data for it in raw):
            raw = [it for it in raw if not it.no_data]
        out: list[FeeItem] = []
        seen: set = set()
        for it in raw:  # the same amount on several rows of a channel is one fee, listed per case
            key = (it.currency, it.base, it.free, it.suspicious, it.fee_text if it.suspicious else "")
            if key not in seen:
                seen.add(key)
                out.append(it)
        for cur in {it.currency for it in out}:
            usable = [it for it in out if it.currency == cur and it.usable]
            if len({it.base for it in usable}) > 1:
                out = [replace(it, alternative=True) if it in usable else it for it in out]
        return tuple(out)

    def _item(self, p: Procedure, channel: str, currency: str, base: int | None, spec: ItemSpec | None,
              *, fee_text: str, basis: tuple[str, ...], suspicious: str = "", explicit: bool = False,
              free: bool = False, no_data: bool = False, until: tuple[date, ...] = (),
              dated: tuple[int, ...] = (), case: str = "") -> FeeItem:
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
            until=until, dated=dated, no_data=no_data, case=case,
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

    def _in_scope(self, item: FeeItem) -> list[Rule]:
        return [r for r in self.data.rules_for(item.code) if r.applies_to_channel(item.channel)
                and (r.effect != "fixed" or r.currency == item.currency)]

    def _pick_rule(self, item: FeeItem, on: date, gross: int) -> tuple[Rule | None, list[Note]]:
        notes: list[Note] = []
        in_scope = self._in_scope(item)
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
                if r.effect == "fixed" and r.amount == item.base:
                    continue  # said by the "portal_reduced_amount" note instead
                notes.append(Note.of("rule_not_in_force", basis=r.legal_basis, **_period(r)))
            return None, notes
        best = min(covering, key=lambda r: _rank(r, self.apply_rule(r, gross, item.quantity_hint)))
        return best, notes

    def _stated_rule(self, item: FeeItem, on: date) -> Rule | None:
        """A covering rule that states the amount itself (fixed or exempt): usable without a base."""
        stated = [r for r in self._in_scope(item) if r.effect in ("fixed", "exempt") and r.covers(on)]
        return min(stated, key=lambda r: _rank(r, 0 if r.effect == "exempt" else r.amount or 0), default=None)

    @staticmethod
    def apply_rule(rule: Rule | None, gross: int, quantity: int) -> int:
        """What is charged for `gross` (the published amount × quantity) under `rule`."""
        if rule is None:
            return gross
        if rule.effect == "exempt":
            return 0
        if rule.effect == "percent":
            return _round(Decimal(gross) * Decimal(str(rule.percent)) / 100)
        return min(gross, rule.amount * quantity)  # type: ignore[operator]

    _apply = apply_rule  # the name used before 0.2

    def _line(self, item: FeeItem, quantity: int, on: date) -> LineItem:
        common = dict(name=item.name, unit=item.unit, quantity=quantity, currency=item.currency, base=item.base)
        if item.suspicious or item.no_data:
            rule = self._stated_rule(item, on)
            if rule is not None:  # the rule of ours gives the amount the portal row cannot
                amount = 0 if rule.effect == "exempt" else rule.amount * quantity  # type: ignore[operator]
                notes = [Note.of("rule_applied", basis=rule.legal_basis, **_period(rule))]
                if item.suspicious:
                    notes.append(Note.of("amount_from_rule", text=item.fee_text, detail=item.suspicious,
                                         basis=rule.legal_basis))
                return LineItem(**common, amount=amount, rule=rule, exempt=amount == 0,
                                legal_basis=tuple(dict.fromkeys((rule.legal_basis,) + item.legal_basis)),
                                confidence=rule.confidence, notes=tuple(notes))
            if item.suspicious:
                return LineItem(**common, amount=None, legal_basis=item.legal_basis, confidence="unverified",
                                notes=(Note.of("suspicious_amount", text=item.fee_text, detail=item.suspicious),))
            return LineItem(**common, amount=None, confidence="no_data", notes=(Note.of("no_fee_data"),))
        if item.free:
            # "Miễn phí" that a confirmed rule of ours contradicts (it charges a share of the fee) is a
            # placeholder on the portal, not an exemption: say so instead of "free".
            charging = [r for r in self._in_scope(item) if r.covers(on) and r.confidence == "confirmed"
                        and r.effect != "exempt" and not (r.effect == "percent" and r.percent == 0)]
            if charging:
                return LineItem(**common, amount=None, confidence="unverified",
                                legal_basis=(charging[0].legal_basis,) + tuple(
                                    b for b in item.legal_basis if not b.startswith(PORTAL_BASIS)),
                                notes=(Note.of("free_contradicted", basis=charging[0].legal_basis),))
            return LineItem(**common, amount=0, exempt=True, legal_basis=item.legal_basis,
                            notes=(Note.of("portal_free"),))
        notes: list[Note] = []
        gross = self._gross(item, quantity)
        rule, rule_notes = self._pick_rule(replace(item, quantity_hint=quantity), on, gross)
        governed = rule is not None and rule.confidence == "confirmed"
        # The published amount is a reduction of ours (a fixed rule with that very amount) whose dates
        # do not cover this day: the portal may still show it after (or before) it applied.
        reduced = None if rule is not None else next(
            (r for r in self._in_scope(item) if r.effect == "fixed" and r.amount == item.base and not r.covers(on)),
            None)
        if reduced is not None:
            notes.append(Note.of("portal_reduced_amount", basis=reduced.legal_basis, **_period(reduced)))
        # A dated note that has ended matters only when no confirmed rule of ours governs the date.
        stale = ""
        if not governed and reduced is None:
            past = [d for d in item.until if d < on]
            stale = self._stale.get((item.code, item.channel), "") or (
                f"{item.channel}: applies until {max(past).isoformat()}" if past else "")
        if stale:
            notes.append(Note.of("stale_portal_note", detail=stale))
        # The portal states a lower amount for a period still running and no rule of ours is about this
        # fee: the published (standard) amount may not be what is charged today. (A rule of ours that
        # does not cover the date has placed that period already.)
        dated = rule is None and bool(item.dated) and any(d >= on for d in item.until) and not self._in_scope(item)
        if dated:
            notes.append(Note.of("portal_dated_amount", amounts=",".join(str(a) for a in item.dated),
                                 currency=item.currency, until=max(item.until).isoformat()))
        if item.provincial:
            notes.append(Note.of("provincial_fee"))
        notes += rule_notes
        amount = self.apply_rule(rule, gross, quantity)
        unverified = (bool(stale) or item.provincial or reduced is not None or dated
                      or (rule is not None and rule.confidence == "unverified"))
        basis = item.legal_basis if rule is None else (rule.legal_basis,) + item.legal_basis
        if rule is not None:
            notes.insert(0, Note.of("rule_applied", basis=rule.legal_basis, **_period(rule)))
        return LineItem(**common, amount=amount, rule=rule, exempt=rule is not None and amount == 0,
                        legal_basis=tuple(dict.fromkeys(basis)),
                        confidence="unverified" if unverified else "confirmed", notes=tuple(notes))

    # -- public API --------------------------------------------------------------------------------

    def quote(self, code: str, channel: str, quantity: int = 1, on: date | None = None,
              lang: str = "vi") -> Quote:
        """The fee of `quantity` units of procedure `code` submitted on `channel` on date `on`."""
        quantity = check_quantity(quantity)
        on = on or date.today()
        p = self.catalogue.get(code)
        items = self.items(p.code, channel)
        lines = tuple(self._line(it, quantity, on) for it in items)
        # each of several amounts says which case it is for, in the portal's own (Vietnamese) words
        lines = tuple(replace(ln, notes=(Note.of("portal_case", text=it.case),) + ln.notes)
                      if it.alternative and it.case else ln for it, ln in zip(items, lines))
        totals: dict[str, int] = {}
        unknown: set[str] = set()
        for it, ln in zip(items, lines):
            if it.alternative:
                unknown.add(ln.currency)  # one of several cases: no single total
            elif ln.amount is None:
                if ln.confidence != "no_data":
                    unknown.add(ln.currency)
            else:
                totals[ln.currency] = totals.get(ln.currency, 0) + ln.amount
        for cur in unknown:  # a total with an unquotable item in it would mislead
            totals.pop(cur, None)
        several = any(it.alternative for it in items)
        if any(ln.confidence == "unverified" for ln in lines) or several:
            confidence = "unverified"
        elif not totals:
            confidence = "no_data"
        else:
            confidence = "confirmed"
        notes: list[Note] = []
        if several:
            notes.append(Note.of("several_amounts"))
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
    new = FeeCalculator(calc.catalogue, data, warnings=calc.warnings)
    new._mismatch, new._stale = calc._mismatch, calc._stale
    return new
