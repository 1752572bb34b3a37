"""Rendering quotes for people (five languages, Babel money and date formats) and as JSON.

`render_quote` / `render_comparison` give the chat/CLI answer: every amount with its legal basis,
and the validity period of any reduction. `comparison_json` gives the CLI's JSON contract.
"""

from __future__ import annotations

from datetime import date

from babel.dates import format_date
from babel.numbers import format_currency

from .messages import CHANNEL, MESSAGES, UNIT
from .model import Comparison, LineItem, Note, Quote

LANGS: tuple[str, ...] = ("vi", "en", "zh", "ko", "ja")


def _lang(lang: str | None) -> str:
    return lang if lang in LANGS else "vi"


def format_money(amount: int, currency: str, lang: str = "vi") -> str:
    """70000 VND -> vi "70.000 ₫", en "₫70,000"; USD keeps its cents per locale ("$145.00")."""
    return format_currency(amount, currency, locale=_lang(lang))


def format_day(d: date, lang: str = "vi") -> str:
    return format_date(d, format="long", locale=_lang(lang))


def _iso_to_day(value: str, lang: str) -> str:
    return format_day(date.fromisoformat(value), lang) if value else ""


def note_text(note: Note, lang: str = "vi") -> str:
    lang = _lang(lang)
    m = MESSAGES[lang]
    args = dict(note.args)
    key = note.key
    if key == "rule_applied" and not args.get("start") and not args.get("end"):
        key = "rule_applied_undated"  # a rule that names its text but no validity dates
    if args.get("until"):
        args["until"] = _iso_to_day(args["until"], lang)
    if "amounts" in args:  # "400000,200000" in the note's currency -> money in the user's locale
        args["amounts"] = ", ".join(format_money(int(a), args.get("currency", "VND"), lang)
                                    for a in args["amounts"].split(",") if a)
    if "start" in args or "end" in args:
        start, end = _iso_to_day(args.get("start", ""), lang), _iso_to_day(args.get("end", ""), lang)
        if start and end:
            args["period"] = m["period"].format(start=start, end=end)
        elif start:
            args["period"] = m["period_open"].format(start=start)
        else:
            args["period"] = m["period"].format(start="…", end=end)
    return m[key].format(**args)


def item_name(item: LineItem, quote: Quote, lang: str) -> str:
    lang = _lang(lang)
    if item.name:
        return item.name.get(lang) or item.name.get("vi", "")
    proc = quote.procedure_name.get(lang) or quote.procedure_name.get("vi", "")
    return f"{MESSAGES[lang]['fee']} — {proc}" if proc else MESSAGES[lang]["fee"]


def _amount_text(item: LineItem, lang: str) -> str:
    m = MESSAGES[lang]
    if item.amount is None:
        return m["not_quoted"]
    if item.exempt and item.amount == 0:
        return m["exempt"]
    text = format_money(item.amount, item.currency, lang)
    if item.base is not None and (item.quantity > 1 or item.amount != item.base):
        unit = UNIT[lang].get(item.unit, item.unit)
        text += " (" + m["per_unit"].format(base=format_money(item.base, item.currency, lang), unit=unit,
                                           qty=item.quantity) + ")"
    return text


def _quote_lines(q: Quote, lang: str) -> list[str]:
    m = MESSAGES[lang]
    channel = CHANNEL[lang][q.channel]
    out = [f"[{channel}]"]
    for it in q.items:
        if it.confidence == "no_data":
            continue
        out.append("  • " + m["line"].format(name=item_name(it, q, lang), amount=_amount_text(it, lang)))
        if it.legal_basis:
            out.append("    " + m["basis"].format(basis="; ".join(it.legal_basis)))
        for n in it.notes:
            out.append("    " + note_text(n, lang))
    for cur, total in q.totals.items():
        out.append("  " + m["total"].format(channel=channel, amount=format_money(total, cur, lang)))
    for n in q.notes:
        out.append("  " + note_text(n, lang))
    return out


def _title(q: Quote, lang: str) -> str:
    name = q.procedure_name.get(lang) or q.procedure_name.get("vi", "")
    return MESSAGES[lang]["title"].format(name=name, code=q.code, date=format_day(q.on, lang))


def render_quote(q: Quote, lang: str | None = None) -> str:
    """The answer for one channel, in `lang` (default: the quote's own language)."""
    lang = _lang(lang or q.lang)
    return "\n".join([_title(q, lang)] + _quote_lines(q, lang))


def render_comparison(c: Comparison, lang: str = "vi") -> str:
    """Every channel, then the saving of online over in person when it can be computed."""
    lang = _lang(lang)
    if not c.quotes:
        return ""
    lines = [_title(c.quotes[0], lang)]
    for q in c.quotes:
        lines += _quote_lines(q, lang)
    if c.saving_online is not None and c.saving_currency:
        m = MESSAGES[lang]
        lines.append(m["saving"].format(amount=format_money(c.saving_online, c.saving_currency, lang))
                     if c.saving_online > 0 else m["no_saving"])
    return "\n".join(lines)


def _item_json(it: LineItem, q: Quote, lang: str) -> dict:
    d = it.to_dict(lang)
    d["name"] = item_name(it, q, lang)
    d["notes"] = [note_text(n, lang) for n in it.notes]
    return d


def quote_json(q: Quote, lang: str = "vi") -> list[dict]:
    """One JSON entry per currency of the quote (one entry with total null when no amount is known)."""
    lang = _lang(lang)
    currencies = list(q.totals) or [None]
    out = []
    for cur in currencies:
        items = [it for it in q.items if cur is None or it.currency == cur]
        basis: list[str] = []
        for it in items:
            basis += [b for b in it.legal_basis if b not in basis]
        out.append({
            "channel": q.channel,
            "total": q.totals.get(cur) if cur else None,
            "currency": cur,
            "items": [_item_json(it, q, lang) for it in items],
            "legal_basis": basis,
            "confidence": q.confidence,
        })
    return out


def comparison_json(c: Comparison, lang: str = "vi", channel: str | None = None) -> dict:
    """The CLI's JSON: {"code", "date", "quotes": [...], "saving_online"} (`channel`: only that one)."""
    quotes = [e for q in c.quotes if channel in (None, "all", q.channel) for e in quote_json(q, lang)]
    return {"code": c.code, "date": c.on.isoformat(), "quotes": quotes, "saving_online": c.saving_online}
