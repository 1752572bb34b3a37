"""Fee data quality: which published fee rows of the catalogue cannot be trusted as they stand.

Two layers, both pure functions over catalogue rows:

- `row_issues(code, row)`: what the row's own text contradicts — the fee cell against the amounts
  its description states (unit slips, other amounts, other currency, "Miễn phí" beside a charge),
  implausible amounts, and the dated periods the description names (`until_dates`, judged against a
  date by the caller). The calculator uses these to decide what it may quote.
- `fee_report(calculator, on)`: every inconsistent row of the catalogue on a date, adding what only
  the rules of `data/fees/` can tell (a published amount that a confirmed rule contradicts, a dated
  reduction stated on the portal that no rule of ours carries). `thutuc fee report` prints it.

Nothing here corrects a row: an operator reads the report and fixes the portal data, a curated
file or a rule.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from dataclasses import field as _field
from datetime import date
from functools import lru_cache
from typing import TYPE_CHECKING, Iterable

from ..catalogue import ChannelRow

if TYPE_CHECKING:  # pragma: no cover
    from .calculator import FeeCalculator

#: No Vietnamese fee is below this; a smaller VND amount is a unit slip on the portal.
MIN_PLAUSIBLE_VND = 1000

#: Kinds that make a published amount unusable: the calculator does not quote it.
SUSPICIOUS_KINDS = ("amount_mismatch", "note_amount_differs", "currency_mismatch", "free_with_amount",
                    "implausible_amount")
#: Every kind the report can list, in the order it prints them.
KINDS = SUSPICIOUS_KINDS + ("stale_note", "rule_disagrees", "reduction_not_in_rules")

# An amount with its currency in a description: "40.000đ", "10.000 đồng", "145 USD", "5000 đồng".
_MONEY = re.compile(r"(?<![\d.,/])(\d{1,3}(?:[.,]\d{3})+|\d+)\s*(đồng|đ|vnđ|vnd|usd)(?![a-zà-ỹ])", re.IGNORECASE)
# A bare amount with thousands dots right before ")" or "/" ("giảm 20%: 1.600.000)", "230.000/lần"):
# the portal drops the currency there; quantities ("10.000 m2") have a unit word instead.
_BARE_VND = re.compile(r"(?<![\d.,/])(\d{1,3}(?:\.\d{3})+)(?=\s*[)/])")
_UNTIL = re.compile(
    r"(?:đến hết ngày|đến ngày|hết ngày)\s*(?:(\d{1,2})/(\d{1,2})/(\d{4})|(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+(\d{4}))",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class FeeIssue:
    """One problem of one published fee row."""

    code: str
    channel: str
    kind: str
    fee_text: str
    detail: str
    row: int = 0  # index of the row among the procedure's channel rows

    def to_dict(self) -> dict:
        return {"code": self.code, "channel": self.channel, "kind": self.kind, "fee_text": self.fee_text,
                "detail": self.detail}


@dataclass(frozen=True)
class RowCheck:
    """What the text of one row says about its own amounts (date-independent)."""

    issues: tuple[FeeIssue, ...] = ()
    until: tuple[date, ...] = ()  # end dates of the periods the description names
    #: amounts below the fee cell that the description states beside a dated period ("áp dụng mức phí
    #: 400.000 đồng ... đến hết ngày 31/12/2026"): a time-limited reduction, per currency
    dated: tuple[tuple[str, int], ...] = ()

    def dated_amounts(self, currency: str) -> tuple[int, ...]:
        return tuple(a for c, a in self.dated if c == currency)

    def suspicious(self) -> str:
        """Why the published amount must not be quoted ("" when it may be)."""
        return "; ".join(i.detail for i in self.issues if i.kind in SUSPICIOUS_KINDS)

    def stale_on(self, on: date) -> date | None:
        """The latest named period end that has passed on `on` (None when none has)."""
        past = [d for d in self.until if d < on]
        return max(past) if past else None


def _number(text: str) -> int:
    return int(re.sub(r"[.,]", "", text))


def note_amounts(note: str) -> dict[str, set[int]]:
    """Amounts stated in a description, per currency ({"VND": {40000}, "USD": {145}})."""
    out: dict[str, set[int]] = {}
    for num, unit in _MONEY.findall(note):
        cur = "USD" if unit.lower() == "usd" else "VND"
        # "0.000đ" and the like are garbled text, not an amount anyone is charged
        value = _number(num)
        if value > 0:
            out.setdefault(cur, set()).add(value)
    for num in _BARE_VND.findall(note):
        out.setdefault("VND", set()).add(_number(num))
    return out


def until_dates(note: str) -> tuple[date, ...]:
    out = []
    for d1, m1, y1, d2, m2, y2 in _UNTIL.findall(note):
        try:
            out.append(date(int(y1 or y2), int(m1 or m2), int(d1 or d2)))
        except ValueError:
            continue
    return tuple(sorted(set(out)))


def _fmt(amount: int, currency: str) -> str:
    return f"{amount:,} {currency}".replace(",", ".")


def _slip(amount: int, stated: set[int]) -> int | None:
    """A stated amount that is the cell amount times or divided by 10, 100 or 1000."""
    for k in (1000, 100, 10):
        if amount * k in stated:
            return amount * k
        if amount % k == 0 and amount // k in stated:
            return amount // k
    return None


@lru_cache(maxsize=32768)
def check_row(code: str, row: ChannelRow, index: int = 0) -> RowCheck:
    """Compare a row's fee cell with its own description (cached: rows are frozen values)."""
    issues: list[FeeIssue] = []
    stated = note_amounts(row.note)
    until = until_dates(row.note)
    dated: list[tuple[str, int]] = []

    def add(kind: str, detail: str) -> None:
        issues.append(FeeIssue(code, row.channel, kind, row.fee_text, f"{row.channel}: {detail}", index))

    for m in row.fees:
        same, other = stated.get(m.currency, set()), stated.get("USD" if m.currency == "VND" else "VND", set())
        lower = sorted(a for a in same if a < m.amount)
        if until and lower and (m.amount in same or _slip(m.amount, same) is None):
            # not a contradiction: the cell is the standard rate, the description adds a dated reduction
            # ("50.000đ/tem …; 25.000đ/tem (áp dụng đến hết ngày 31/12/2026 theo …)")
            dated += [(m.currency, a) for a in lower]
            continue
        if m.amount in same:
            continue
        if m.amount in other and not same:
            add("currency_mismatch", f"fee cell says {_fmt(m.amount, m.currency)}, its description says "
                                     f"{_fmt(m.amount, 'USD' if m.currency == 'VND' else 'VND')}")
        elif same and (slip := _slip(m.amount, same)) is not None:
            add("amount_mismatch", f"fee cell says {_fmt(m.amount, m.currency)}, its description says "
                                   f"{_fmt(slip, m.currency)}")
        elif same:
            add("note_amount_differs", f"fee cell says {_fmt(m.amount, m.currency)}, its description says "
                                       + ", ".join(_fmt(a, m.currency) for a in sorted(same)))
        elif m.currency == "VND" and 0 < m.amount < MIN_PLAUSIBLE_VND:
            add("implausible_amount", f"fee cell says {_fmt(m.amount, m.currency)}, below "
                                      f"{_fmt(MIN_PLAUSIBLE_VND, 'VND')}")
    if row.free and not row.fees and stated:
        amounts = [_fmt(a, cur) for cur, values in sorted(stated.items()) for a in sorted(values)]
        add("free_with_amount", "fee cell says “Miễn phí”, its description states " + ", ".join(amounts))
    return RowCheck(tuple(issues), until, tuple(dated))


# -- the report ----------------------------------------------------------------------------------------

@dataclass
class FeeReport:
    on: date
    procedures: int = 0  # procedures examined
    rows: int = 0  # channel rows examined
    priced_rows: int = 0  # rows with an amount or "Miễn phí"
    issues: list[FeeIssue] = _field(default_factory=list)

    def counts(self) -> dict[str, int]:
        out = {k: 0 for k in KINDS}
        for i in self.issues:
            out[i.kind] = out.get(i.kind, 0) + 1
        return out

    @property
    def inconsistent_rows(self) -> int:
        return len({(i.code, i.row) for i in self.issues})

    @property
    def inconsistent_procedures(self) -> int:
        return len({i.code for i in self.issues})

    def to_dict(self) -> dict:
        return {
            "date": self.on.isoformat(), "procedures": self.procedures, "rows": self.rows,
            "priced_rows": self.priced_rows, "inconsistent_rows": self.inconsistent_rows,
            "inconsistent_procedures": self.inconsistent_procedures, "counts": self.counts(),
            "issues": [i.to_dict() for i in self.issues],
        }


def _rule_issues(calc: "FeeCalculator", code: str, rows: tuple[ChannelRow, ...], checks: list[RowCheck],
                 on: date) -> Iterable[FeeIssue]:
    """What the rules of data/fees say about the published amounts of one procedure on `on`."""
    rules = calc.data.rules_for(code)
    offline = next((m for r in rows if r.channel == "offline" for m in r.fees), None)
    for i, (row, check) in enumerate(zip(rows, checks)):
        if check.suspicious() or not (row.fees or row.free):
            continue
        covering = [r for r in rules if r.covers(on) and r.applies_to_channel(row.channel)]
        published = row.fees[0] if row.fees else None
        confirmed = [r for r in covering if r.confidence == "confirmed"
                     and (r.effect != "fixed" or published is None or r.currency == published.currency)]
        if confirmed:
            # the published amount must be the standard rate or what a confirmed rule makes of it
            base = offline if offline and (published is None or offline.currency == published.currency) else published
            amount = published.amount if published else 0
            allowed = set()
            if base is not None:
                allowed.add(base.amount)
                allowed |= {calc.apply_rule(r, base.amount, 1) for r in confirmed}
            allowed |= {r.amount for r in confirmed if r.effect == "fixed"} | {0 for r in confirmed if r.effect == "exempt"}
            if amount not in allowed:
                shown = _fmt(amount, published.currency) if published else "“Miễn phí”"
                expected = ", ".join(_fmt(a, base.currency if base else "VND") for a in sorted(allowed))
                yield FeeIssue(code, row.channel, "rule_disagrees", row.fee_text,
                               f"{row.channel}: fee cell says {shown}; under "
                               f"{', '.join(r.legal_basis for r in confirmed)} it should be one of {expected}", i)
        elif not covering and published is not None:
            current = [d for d in check.until if d >= on]
            stated = check.dated_amounts(published.currency)
            if current and stated:
                yield FeeIssue(code, row.channel, "reduction_not_in_rules", row.fee_text,
                               f"{row.channel}: description states {', '.join(_fmt(a, published.currency) for a in stated)} "
                               f"for a period until {max(current).isoformat()}, the fee cell "
                               f"{_fmt(published.amount, published.currency)}; no rule in data/fees covers it", i)


def fee_report(calc: "FeeCalculator", on: date, codes: Iterable[str] | None = None) -> FeeReport:
    """Every inconsistent fee row of the calculator's catalogue on date `on` (stale = period ended)."""
    report = FeeReport(on=on)
    wanted = set(codes) if codes is not None else None
    for p in calc.catalogue:
        if wanted is not None and p.code not in wanted:
            continue
        report.procedures += 1
        checks = [check_row(p.code, row, i) for i, row in enumerate(p.channels)]
        for i, (row, check) in enumerate(zip(p.channels, checks)):
            report.rows += 1
            report.priced_rows += bool(row.fees or row.free)
            report.issues.extend(check.issues)
            ended = check.stale_on(on)
            if ended and (row.fees or row.free):
                report.issues.append(FeeIssue(p.code, row.channel, "stale_note", row.fee_text,
                                              f"{row.channel}: description applies until {ended.isoformat()}, "
                                              f"which has passed on {on.isoformat()}", i))
        report.issues.extend(_rule_issues(calc, p.code, p.channels, checks, on))
    order = {k: n for n, k in enumerate(KINDS)}
    report.issues.sort(key=lambda i: (i.code, i.row, order.get(i.kind, 99)))
    return report
