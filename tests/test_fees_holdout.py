"""The fee calculator against the real national crawl (skipped when ../shared/data is absent): the
held-out cases of bench/fee_cases.jsonl, every consistent catalogue row, the scope of each rule file as
derived from the crawl, and the data-quality report on the real rows."""

from __future__ import annotations

import gzip
import json
import re
from datetime import date
from pathlib import Path

import pytest
from conftest import CRAWL, requires_shared

from bot.catalogue import Catalogue, import_crawl, list_findings
from bot.config import PROJECT_ROOT, Settings
from bot.fees import FeeCalculator, load_fee_data
from bot.fees.evaluate import read_cases, run_cases
from bot.fees.quality import SUSPICIOUS_KINDS, check_row, fee_report

pytestmark = requires_shared

CASES = PROJECT_ROOT / "bench" / "fee_cases.jsonl"
FEES = PROJECT_ROOT / "data" / "fees"
DAY = date(2026, 3, 1)


@pytest.fixture(scope="module")
def real(tmp_path_factory) -> tuple[Settings, FeeCalculator]:
    db = tmp_path_factory.mktemp("real") / "catalogue.db"
    import_crawl(CRAWL, db)
    s = Settings(home=PROJECT_ROOT, catalogue_db=db, shared_data=CRAWL.parent)
    return s, FeeCalculator.load(s, Catalogue.load(s))


@pytest.fixture(scope="module")
def crawl_text() -> dict[str, str]:
    """code -> the raw fee table text of the crawl (first occurrence), read without our parser."""
    out: dict[str, str] = {}
    with gzip.open(CRAWL, "rt", encoding="utf-8") as f:
        for line in f:
            rec = json.loads(line)
            out.setdefault(rec["ma_thu_tuc"].strip(), rec.get("cach_thuc_thuc_hien", ""))
    return out


CASE_LIST = read_cases(CASES)


def test_holdout_file_covers_what_the_issue_asks():
    assert len(CASE_LIST) >= 40
    codes = {c["code"] for c in CASE_LIST}
    for needed in ("1.004222", "1.001456", "2.001195", "1.001200", "1.000811", "1.001612", "2.000815", "1.003460"):
        assert needed in codes
    assert {c["currency"] for c in CASE_LIST} == {"VND", "USD"}
    # the boundaries of every dated rule that has codes appear in the cases
    days = {(c["code"], c["date"]) for c in CASE_LIST}
    for r in load_fee_data(FEES).rules:
        if not r.codes:
            continue
        for d in (r.valid_from, r.valid_to):
            if d:
                assert any(code in r.codes and day == d.isoformat() for code, day in days), (r.id, d)


@pytest.mark.parametrize("case", CASE_LIST, ids=[c["id"] for c in CASE_LIST])
def test_holdout_case_is_exact(real, case):
    _, calc = real
    (result,) = run_cases(calc, [case])
    assert result.exact, (case["total"], case.get("confidence"), result.got_total, result.got_confidence, result.error)


def test_every_consistent_row_is_quoted_as_published(real):
    """A channel whose rows the report does not question, with one amount in one currency and no rule of
    ours and no dated note: the quote is exactly that amount, for 1 and for 3 units."""
    _, calc = real
    flagged = {(i.code, i.channel) for i in fee_report(calc, DAY).issues}
    checked = 0
    for p in calc.catalogue:
        for channel in calc.channels(p.code):
            rows = [(i, r) for i, r in enumerate(p.channels) if r.channel == channel]
            amounts = {(m.currency, m.amount) for _, r in rows for m in r.fees}
            if (p.code, channel) in flagged or len(amounts) != 1 or any(r.free for _, r in rows):
                continue
            if calc.data.rules_for(p.code) or calc.data.item_specs(p.code) and any(
                    s.tiers or s.provincial for s in calc.data.item_specs(p.code)):
                continue
            if any(check_row(p.code, r, i).until for i, r in rows):
                continue
            (cur, amount), = amounts
            q1, q3 = calc.quote(p.code, channel, 1, DAY), calc.quote(p.code, channel, 3, DAY)
            assert (q1.totals, q1.confidence) == ({cur: amount}, "confirmed"), (p.code, channel)
            assert q3.totals == {cur: 3 * amount}, (p.code, channel)
            checked += 1
    assert checked > 900  # most published amounts are consistent


def test_rule_scopes_are_the_records_that_cite_them(crawl_text):
    rules = {r.id: r for r in load_fee_data(FEES).rules}
    for rule_id, needle in [("tt44-2023-passport-online", "44/2023/TT-BTC"), ("tt44-2023-passport-post", "44/2023/TT-BTC"),
                            ("tt43-2024-border-pass-online", "43/2024/TT-BTC"), ("tt43-2024-aviation-20", "43/2024/TT-BTC"),
                            ("tt64-2025-id-card-50", "64/2025/TT-BTC"), ("tt64-2025-fees-50", "64/2025/TT-BTC"),
                            ("tt75-2022-permanent-residence-online", "75/2022/TT-BTC")]:
        for code in rules[rule_id].codes:
            if code in ("1.000757", "1.014063", "1.014064", "2.001194", "2.001195", "1.000889") or code in crawl_text:
                assert needle in crawl_text[code], (rule_id, code)
    # every record whose fee description cites 44/2023 or 43/2024 is in a rule
    for needle, ids in (("44/2023/TT-BTC", ("tt44-2023-passport-online",)),
                        ("43/2024/TT-BTC", ("tt43-2024-border-pass-online", "tt43-2024-aviation-20"))):
        citing = {code for code, text in crawl_text.items() if needle in text}
        assert citing == {c for i in ids for c in rules[i].codes}, needle
    # TT 63/2023: the driving-licence records that state the online rate and its dates
    stating = {code for code, text in crawl_text.items() if "115.000 đồng/lần cấp" in text and "01/12/2023" in text}
    assert set(rules["tt63-2023-driving-licence-online"].codes) == stating - {"3.000346"}
    assert "71/2025/TT-BTC" in crawl_text["1.004222"] and "10.000 đồng/lần đăng ký" in crawl_text["1.004222"]


def test_tt64_group_states_half_of_every_published_amount(real):
    _, calc = real
    rule = next(r for r in calc.data.rules if r.id == "tt64-2025-fees-50")
    for code in rule.codes:
        p = calc.catalogue.get(code)
        usable = 0
        for i, row in enumerate(p.channels):
            check = check_row(code, row, i)
            if not row.fees or check.suspicious():
                continue
            usable += 1
            (money,) = row.fees
            assert money.amount % 2 == 0 and money.amount // 2 in check.dated_amounts("VND"), (code, row.channel)
            assert date(2026, 12, 31) in check.until, code
            assert re.search(r"01/7/2025|01 tháng 7 năm 2025", row.note), code
        assert usable, code


def test_real_report_lists_the_known_inconsistencies(real):
    s, calc = real
    report = fee_report(calc, DAY)
    got = {(i.code, i.channel, i.kind) for i in report.issues}
    for expected in [("1.001200", "online", "amount_mismatch"), ("1.001200", "offline", "amount_mismatch"),
                     ("1.001258", "offline", "note_amount_differs"), ("1.002755", "online", "note_amount_differs"),
                     ("1.003358", "offline", "currency_mismatch"), ("1.004465", "offline", "free_with_amount"),
                     ("3.000347", "online", "free_with_amount"), ("1.013836", "online", "implausible_amount"),
                     ("1.001456", "online", "stale_note"), ("1.000757", "online", "rule_disagrees"),
                     ("1.014899", "offline", "reduction_not_in_rules")]:
        assert expected in got, expected
    counts = report.counts()
    assert counts["amount_mismatch"] >= 30 and counts["free_with_amount"] >= 100 and counts["stale_note"] >= 25
    # the importer's own findings (judged on the import date, today) are all in the report of today
    today = {(i.code, i.channel, i.kind) for i in fee_report(calc, date.today()).issues}
    today_codes = {(c, k) for c, _, k in today}
    for f in list_findings(Path(s.catalogue_db)):
        channel = f.detail.split(":")[0]
        if f.kind == "amount_mismatch":
            assert any((f.code, channel, k) in today for k in SUSPICIOUS_KINDS), f
        elif f.kind == "stale_note":
            assert (f.code, "stale_note") in today_codes, f
