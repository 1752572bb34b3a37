"""Loading the operator-editable fee data in `data/fees/*.yml`: dated rules, fee groups, item specs.

The format is described in `data/fees/README.md`. Loading checks every entry and raises
`FeeDataError` naming the file and the entry, so a bad edit is caught before it reaches a user.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Iterable, Mapping

import yaml

from .model import (
    CONFIDENCE,
    CURRENCIES,
    RULE_CHANNELS,
    UNITS,
    FeeDataError,
    ItemSpec,
    Rule,
    Tier,
)

LANGS = ("vi", "en", "zh", "ko", "ja")


@dataclass(frozen=True)
class FeeData:
    """All rules (groups resolved to codes) and item specs, indexed by procedure code."""

    rules: tuple[Rule, ...] = ()
    groups: Mapping[str, tuple[str, ...]] = None  # type: ignore[assignment]
    items: Mapping[str, tuple[ItemSpec, ...]] = None  # type: ignore[assignment]

    def __post_init__(self) -> None:
        object.__setattr__(self, "groups", dict(self.groups or {}))
        object.__setattr__(self, "items", dict(self.items or {}))
        index: dict[str, list[Rule]] = {}
        for r in self.rules:
            for code in r.codes:
                index.setdefault(code, []).append(r)
        object.__setattr__(self, "_index", {k: tuple(v) for k, v in index.items()})

    def rules_for(self, code: str) -> tuple[Rule, ...]:
        return self._index.get(code, ())  # type: ignore[attr-defined]

    def item_specs(self, code: str) -> tuple[ItemSpec, ...]:
        return self.items.get(code, ())


def _date(value, where: str) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise FeeDataError(f"{where}: {value!r} is not a date (YYYY-MM-DD)") from None


def _texts(value, where: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping) or not all(k in LANGS for k in value):
        raise FeeDataError(f"{where}: expected a mapping of languages {LANGS}")
    return {str(k): str(v) for k, v in value.items()}


def _codes(value, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise FeeDataError(f"{where}: codes must be a list of procedure codes (quoted strings)")
    return tuple(str(c).strip() for c in value)


def parse_rule(d: Mapping, where: str) -> tuple[Rule, str]:
    """One rule entry -> (Rule without group codes resolved, group name)."""
    if not isinstance(d, Mapping) or not d.get("id"):
        raise FeeDataError(f"{where}: every rule needs an id")
    where = f"{where} (rule {d['id']})"
    unknown = set(d) - {"id", "scope", "effect", "channel", "valid_from", "valid_to", "legal_basis",
                        "source", "confidence", "description"}
    if unknown:
        raise FeeDataError(f"{where}: unknown keys {sorted(unknown)}")
    scope = d.get("scope") or {}
    codes, group = _codes(scope.get("codes"), where), str(scope.get("group") or "")
    if not codes and not group:
        raise FeeDataError(f"{where}: scope needs codes or a group")
    effect = d.get("effect")
    kw: dict = {}
    if effect == "exempt":
        kw["effect"] = "exempt"
    elif isinstance(effect, Mapping) and "percent" in effect:
        p = effect["percent"]
        if not isinstance(p, (int, float)) or not 0 <= p <= 100:
            raise FeeDataError(f"{where}: percent must be a number from 0 to 100")
        kw.update(effect="percent", percent=float(p))
    elif isinstance(effect, Mapping) and "fixed" in effect:
        f = effect["fixed"] or {}
        if not isinstance(f.get("amount"), int) or f["amount"] < 0 or f.get("currency", "VND") not in CURRENCIES:
            raise FeeDataError(f"{where}: fixed needs an integer amount >= 0 and currency VND or USD")
        kw.update(effect="fixed", amount=f["amount"], currency=f.get("currency", "VND"))
    else:
        raise FeeDataError(f"{where}: effect must be 'exempt', {{percent: N}} or {{fixed: {{amount, currency}}}}")
    channel = d.get("channel", "all")
    if channel not in RULE_CHANNELS:
        raise FeeDataError(f"{where}: channel must be one of {RULE_CHANNELS}")
    confidence = d.get("confidence")
    if confidence not in CONFIDENCE:
        raise FeeDataError(f"{where}: confidence must be confirmed or unverified")
    if not d.get("legal_basis"):
        raise FeeDataError(f"{where}: legal_basis is required")
    vf, vt = _date(d.get("valid_from"), where), _date(d.get("valid_to"), where)
    if vf and vt and vt < vf:
        raise FeeDataError(f"{where}: valid_to is before valid_from")
    rule = Rule(
        id=str(d["id"]), channel=channel, codes=codes, group=group, valid_from=vf, valid_to=vt,
        legal_basis=str(d["legal_basis"]), source=str(d.get("source") or ""), confidence=confidence,
        description=_texts(d.get("description"), where), **kw,
    )
    return rule, group


def parse_item(d: Mapping, where: str) -> ItemSpec:
    if not isinstance(d, Mapping) or not d.get("code"):
        raise FeeDataError(f"{where}: every item needs a code")
    where = f"{where} (item {d['code']})"
    currency = d.get("currency", "VND")
    if currency not in CURRENCIES:
        raise FeeDataError(f"{where}: currency must be VND or USD")
    unit = d.get("unit", "dossier")
    if unit not in UNITS:
        raise FeeDataError(f"{where}: unit must be one of {UNITS}")
    tiers: list[Tier] = []
    expected_first = 1
    for t in d.get("tiers") or ():
        first, last, amount = t.get("from", expected_first), t.get("to"), t.get("amount")
        if first != expected_first or not isinstance(amount, int) or amount < 0 or (last is not None and last < first):
            raise FeeDataError(f"{where}: tiers must be contiguous from unit 1 with integer amounts")
        tiers.append(Tier(first, last, amount))
        if last is None:
            break
        expected_first = last + 1
    if tiers and tiers[-1].last is not None:
        raise FeeDataError(f"{where}: the last tier needs no 'to' (open-ended)")
    cap = d.get("cap")
    if cap is not None and (not isinstance(cap, int) or cap < 0):
        raise FeeDataError(f"{where}: cap must be an integer amount")
    return ItemSpec(
        code=str(d["code"]), currency=currency, unit=unit, name=_texts(d.get("name"), where),
        tiers=tuple(tiers), cap=cap, legal_basis=tuple(str(x) for x in d.get("legal_basis") or ()),
        provincial=bool(d.get("provincial", False)),
    )


def load_fee_data(folder: Path | None, files: Iterable[Path] | None = None) -> FeeData:
    """Read every *.yml of `folder` (or `files`); a missing folder gives empty fee data."""
    paths = sorted(files) if files is not None else (
        sorted(Path(folder).glob("*.yml")) if folder and Path(folder).is_dir() else [])
    raw_rules: list[tuple[Rule, str]] = []
    groups: dict[str, tuple[str, ...]] = {}
    items: dict[str, list[ItemSpec]] = {}
    seen_ids: set[str] = set()
    for path in paths:
        try:
            doc = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as e:
            raise FeeDataError(f"{path.name}: not valid YAML ({e})") from e
        if not isinstance(doc, Mapping):
            raise FeeDataError(f"{path.name}: expected a mapping with rules / groups / items")
        for name, g in (doc.get("groups") or {}).items():
            if name in groups:
                raise FeeDataError(f"{path.name}: group {name!r} defined twice")
            groups[str(name)] = _codes((g or {}).get("codes"), f"{path.name} (group {name})")
        for i, d in enumerate(doc.get("rules") or ()):
            rule, group = parse_rule(d, f"{path.name}: rules[{i}]")
            if rule.id in seen_ids:
                raise FeeDataError(f"{path.name}: rule id {rule.id!r} used twice")
            seen_ids.add(rule.id)
            raw_rules.append((replace(rule, file=path.name), group))
        for i, d in enumerate(doc.get("items") or ()):
            spec = parse_item(d, f"{path.name}: items[{i}]")
            items.setdefault(spec.code, []).append(spec)
    rules: list[Rule] = []
    for rule, group in raw_rules:
        if group:
            if group not in groups:
                raise FeeDataError(f"{rule.file} (rule {rule.id}): unknown group {group!r}")
            rule = replace(rule, codes=tuple(dict.fromkeys(rule.codes + groups[group])))
        rules.append(rule)
    return FeeData(tuple(rules), groups, {k: tuple(v) for k, v in items.items()})
