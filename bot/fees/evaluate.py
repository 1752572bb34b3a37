"""Held-out fee cases: expected totals worked out by hand from the portal's text, checked against quotes.

A case file is JSON Lines, one case per line:

    {"id": "...", "code": "1.004222", "channel": "online", "quantity": 1, "date": "2026-03-01",
     "total": 10000, "currency": "VND", "confidence": "confirmed", "source": "...", "why": "..."}

`total` null means "must not be quoted" (the row contradicts itself or the amount depends on a case
the user has not given); `confidence` is optional (checked when present). `source` quotes the catalogue
text the expectation was derived from; `why` gives the reasoning. Used by `bench/fee_bench.py` and
`tests/test_fees_holdout.py`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from .calculator import FeeCalculator

REQUIRED = ("id", "code", "channel", "quantity", "date", "total", "currency")


@dataclass(frozen=True)
class CaseResult:
    case: dict
    got_total: int | None
    got_confidence: str
    error: str = ""

    @property
    def total_ok(self) -> bool:
        return not self.error and self.got_total == self.case["total"]

    @property
    def exact(self) -> bool:
        want = self.case.get("confidence")
        return self.total_ok and (want is None or want == self.got_confidence)


def read_cases(path: Path) -> list[dict]:
    cases = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        case = json.loads(line)
        missing = [k for k in REQUIRED if k not in case]
        if missing:
            raise ValueError(f"{path}:{n}: case without {', '.join(missing)}")
        cases.append(case)
    ids = [c["id"] for c in cases]
    if len(set(ids)) != len(ids):
        raise ValueError(f"{path}: duplicate case ids")
    return cases


def run_case(calc: FeeCalculator, case: dict) -> CaseResult:
    try:
        q = calc.quote(case["code"], case["channel"], case["quantity"], date.fromisoformat(case["date"]))
    except Exception as e:  # noqa: BLE001 - a failing case is reported, not raised
        return CaseResult(case, None, "", f"{type(e).__name__}: {e}")
    return CaseResult(case, q.totals.get(case["currency"]), q.confidence)


def run_cases(calc: FeeCalculator, cases: list[dict]) -> list[CaseResult]:
    return [run_case(calc, c) for c in cases]
