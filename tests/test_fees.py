"""Fee calculator: real catalogue rows (curated files only), every rule's boundary dates, properties,
rendering in five languages, the data-file loader and the `thutuc fee` CLI."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from typer.testing import CliRunner

from bot.catalogue import Catalogue, ChannelRow, Money, Procedure, UnknownProcedure
from bot.cli import app as cli_app
from bot.config import PROJECT_ROOT, Settings
from bot.fees import (
    MAX_QUANTITY,
    BadQuantity,
    ChannelNotAvailable,
    FeeCalculator,
    FeeDataError,
    Rule,
    comparison_json,
    format_money,
    load_fee_data,
    render_comparison,
    render_quote,
    with_rules,
)

CURATED = PROJECT_ROOT / "data" / "procedures"
FEES = PROJECT_ROOT / "data" / "fees"
CODES = ("1.004194", "1.004222", "1.002755", "1.010038", "1.001456", "2.001195", "1.000757", "1.001200",
         "1.001612", "2.000815", "1.003460", "1.012549", "2.001194", "1.014063", "1.014064", "1.000811")


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    h = tmp_path_factory.mktemp("home")
    (h / "data" / "procedures").mkdir(parents=True)
    for code in CODES:
        shutil.copy(CURATED / f"{code}.yml", h / "data" / "procedures")
    shutil.copytree(FEES, h / "data" / "fees")
    return h


@pytest.fixture(scope="module")
def fsettings(home) -> Settings:
    return Settings(home=home, shared_data=home / "no-shared")


@pytest.fixture(scope="module")
def calc(fsettings) -> FeeCalculator:
    assert not Path(fsettings.catalogue_db).exists()
    return FeeCalculator.load(fsettings)


D = date(2026, 3, 1)


# -- table tests on real catalogue rows ------------------------------------------------------------

@pytest.mark.parametrize("code, channel, quantity, on, total, currency, confidence", [
    ("1.004222", "online", 1, D, 10000, "VND", "confirmed"),     # permanent residence, TT 75/2022 + 71/2025
    ("1.004222", "offline", 1, D, 20000, "VND", "confirmed"),
    ("1.004194", "online", 1, D, 7000, "VND", "confirmed"),      # temporary residence
    ("1.004194", "offline", 1, D, 10000, "VND", "confirmed"),
    ("1.002755", "online", 1, D, 5000, "VND", "confirmed"),      # extension of temporary residence
    ("1.010038", "online", 1, D, 5000, "VND", "confirmed"),      # household split
    # ordinary passport, provincial level: 160,000 đ online/post is the TT 44/2023 rate (01/7–31/12/2023),
    # still published in 2026: a reference amount outside that period
    ("1.001456", "online", 1, D, 160000, "VND", "unverified"),
    ("1.001456", "offline", 1, D, 200000, "VND", "confirmed"),
    ("1.001456", "post", 2, D, 320000, "VND", "unverified"),
    ("2.001195", "online", 1, D, 25000, "VND", "confirmed"),     # ID card exchange, TT 64/2025 50%
    ("2.001195", "offline", 2, D, 50000, "VND", "confirmed"),
    ("1.000757", "online", 1, D, None, "VND", "unverified"),     # "Miễn phí" contradicted by TT 64/2025
    ("1.000757", "offline", 1, D, 35000, "VND", "confirmed"),    # 70,000 × 50%
    ("2.001194", "offline", 1, date(2027, 1, 1), 70000, "VND", "confirmed"),
    ("1.003460", "post", 1, D, 145, "USD", "confirmed"),         # TRC for foreigners, dollars
    ("1.012549", "offline", 1, D, 0, "VND", "confirmed"),        # ID card under 14: free
    ("1.001612", "online", 1, D, 150000, "VND", "unverified"),   # household business: provincial fee
    ("1.001612", "offline", 1, D, 50000, "VND", "unverified"),
    ("2.000815", "offline", 1, D, 2000, "VND", "confirmed"),     # certified copy, 1 page
    ("2.000815", "offline", 2, D, 4000, "VND", "confirmed"),
    ("2.000815", "offline", 3, D, 5000, "VND", "confirmed"),     # 1,000 đ from the third page
    ("2.000815", "offline", 10, D, 12000, "VND", "confirmed"),
    ("2.000815", "offline", 1000, D, 200000, "VND", "confirmed"),  # at most 200,000 đ per copy
    ("1.000811", "online", 1, D, 1200000, "VND", "confirmed"),   # ABTC card, 1,200,000 đ per card
    ("1.000811", "offline", 3, D, 3600000, "VND", "confirmed"),
    ("1.001200", "online", 1, date(2024, 7, 1), 40000, "VND", "confirmed"),   # border pass, TT 43/2024
    ("1.001200", "online", 1, date(2025, 1, 1), None, "VND", "unverified"),   # portal cell "40 đ"
    ("1.001456", "online", 1, date(2023, 7, 1), 160000, "VND", "confirmed"),  # passport, TT 44/2023
    ("1.001456", "post", 1, date(2023, 12, 31), 160000, "VND", "confirmed"),
    ("1.001456", "online", 1, date(2024, 1, 1), 160000, "VND", "unverified"),  # the reduction has ended
])
def test_quote_table(calc, code, channel, quantity, on, total, currency, confidence):
    q = calc.quote(code, channel, quantity, on)
    assert q.totals.get(currency) == total
    assert q.confidence == confidence
    assert all(it.legal_basis for it in q.items if it.amount is not None)


def test_certified_copy_mission_abroad_in_dollars(calc):
    q = calc.quote("2.000815", "offline", 1, D)
    assert q.totals == {"VND": 2000, "USD": 10}


def test_suspicious_portal_amount_is_not_quoted(calc):
    # 1.001200: the portal's fee cell says "40 Việt Nam Đồng" beside "40.000đ" in its description.
    for channel in ("online", "offline"):
        q = calc.quote("1.001200", channel, 1, D, "vi")
        assert q.totals == {} and q.confidence == "unverified"
        assert q.items[0].amount is None
        text = render_quote(q, "vi")
        assert "40 ₫" not in text and "50 ₫" not in text and "xác nhận" in text
    assert calc.compare("1.001200", 1, D).saving_online is None


def test_importer_findings_mark_rows_unverified(calc):
    f = type("F", (), {})
    mismatch, stale = f(), f()
    mismatch.code, mismatch.kind, mismatch.detail = "1.004222", "amount_mismatch", "online: fee cell says 10 đ"
    stale.code, stale.kind, stale.detail = "1.001456", "stale_note", "online: note applies 'until 2023-12-31'"
    # without rules: the residence rule of data/fees states 10,000 đ itself and would be quoted
    c = FeeCalculator(calc.catalogue, replace(calc.data, rules=()), [mismatch, stale])
    assert c.quote("1.004222", "online", on=D).totals == {}
    assert c.quote("1.004222", "offline", on=D).totals == {"VND": 20000}
    p = c.quote("1.001456", "online", on=D)
    assert p.totals == {"VND": 160000} and p.confidence == "unverified"


def test_no_fee_data_never_says_zero(fsettings, calc):
    p = calc.catalogue.get("1.004222")
    bare = replace(p, code="9.000001", channels=tuple(replace(r, fees=(), free=False) for r in p.channels))
    cat = Catalogue({**{x.code: x for x in calc.catalogue}, bare.code: bare})
    c = FeeCalculator(cat, calc.data)
    q = c.quote("9.000001", "online", on=D, lang="en")
    assert q.confidence == "no_data" and q.totals == {}
    text = render_quote(q, "en")
    assert "₫0" not in text and "no fee data" in text and p.url in text
    j = comparison_json(c.compare("9.000001", 1, D), "en")
    assert all(e["total"] is None for e in j["quotes"]) and j["saving_online"] is None


def test_compare_and_saving(calc):
    c = calc.compare("1.004222", 2, D)
    assert [q.channel for q in c.quotes] == ["online", "offline"]
    assert c.saving_online == 20000 and c.saving_currency == "VND"
    assert calc.compare("1.000757", 1, D).saving_online is None  # online "Miễn phí" is not quoted
    assert calc.compare("2.001195", 1, date(2025, 3, 1)).saving_online == 25000
    assert calc.compare("1.001612", 1, D).saving_online == -100000  # the portal's own figures


def test_bad_input(calc):
    with pytest.raises(UnknownProcedure) as e:
        calc.quote("1.00422", "online")
    assert "1.004222" in e.value.suggestions
    for bad in (0, -1, MAX_QUANTITY + 1, 1.5, True, "2"):
        with pytest.raises(BadQuantity):
            calc.quote("1.004222", "online", bad)
    with pytest.raises(ChannelNotAvailable) as e:
        calc.quote("1.004222", "post")
    assert e.value.available == ("online", "offline")


# -- boundary dates of every rule ---------------------------------------------------------------------

def _rule_cases():
    data = load_fee_data(FEES)
    for r in data.rules:
        for d in (r.valid_from, r.valid_to):
            if d:
                yield r, d


def _days(rule: Rule, boundary: date):
    """The day before, the day itself and the day after, with whether the rule covers each."""
    return [(boundary + timedelta(days=k), rule.covers(boundary + timedelta(days=k))) for k in (-1, 0, 1)]


def _procedure_for(calc: FeeCalculator, rule: Rule) -> tuple[Catalogue, str, str]:
    """A catalogue with a procedure of the rule's scope published on the rule's channel at a plain amount
    (a real curated one when the test catalogue has it, else a stand-in with our own text)."""
    channel = "offline" if rule.channel == "all" else rule.channel
    for code in rule.codes:
        if code in calc.catalogue and channel in calc.channels(code) and all(
                it.usable and not it.free for it in calc.items(code, channel)):
            return calc.catalogue, code, channel
    code = rule.codes[0]
    amount = (rule.amount or 0) * 2 if rule.effect == "fixed" else 100000
    p = Procedure(code=code, name={"vi": "Thủ tục thử"}, channels=(
        ChannelRow(channel=channel, fees=(Money(amount, rule.currency),), fee_text=f"{amount} {rule.currency}"),))
    return Catalogue({**{x.code: x for x in calc.catalogue}, code: p}), code, channel


@pytest.mark.parametrize("rule, boundary", list(_rule_cases()), ids=lambda x: getattr(x, "id", str(x)))
def test_every_rule_is_inclusive_on_its_boundaries(calc, rule, boundary):
    """Every dated rule of data/fees, through the calculator: the day before, on and after each boundary."""
    assert rule.covers(boundary)
    assert rule.codes or rule.group == "qn-nq11-2022-sports-appraisal"  # the one rule without codes yet
    if not rule.codes:  # nothing to quote: the dates alone
        assert [inside for _, inside in _days(rule, boundary)] == (
            [False, True, True] if boundary == rule.valid_from else [True, True, False])
        return
    catalogue, code, channel = _procedure_for(calc, rule)
    only = with_rules(FeeCalculator(catalogue, calc.data), [rule])
    for day, inside in _days(rule, boundary):
        q = only.quote(code, channel, 1, day)
        item = q.items[0]
        assert (item.rule == rule) is inside, (rule.id, day)
        base = only.items(code, channel)[0].base
        expected = FeeCalculator.apply_rule(rule, base, 1) if inside else base
        assert q.totals[item.currency] == expected, (rule.id, day)


def test_undated_rules_cover_every_day(calc):
    undated = [r for r in load_fee_data(FEES).rules if r.valid_from is None and r.valid_to is None]
    assert {r.id for r in undated} == {"tt75-2022-permanent-residence-online",
                                       "tt75-2022-permanent-residence-in-person"}
    for r in undated:
        for day in (date(2000, 1, 1), D, date(2100, 1, 1)):
            q = calc.quote("1.004222", r.channel, 1, day)
            assert q.items[0].rule == r and q.confidence == "confirmed"
    text = render_quote(calc.quote("1.004222", "online", 1, D), "en")
    assert "Rate under 75/2022/TT-BTC, được sửa đổi, bổ sung tại 71/2025/TT-BTC." in text
    assert "valid from" not in text  # no invented dates


@pytest.mark.parametrize("rule_id, code, channel, boundary, before, on, after", [
    # day before, on, after: (total, rule applied?)
    ("tt44-2023-passport-online", "1.001456", "online", date(2023, 7, 1),
     (160000, False), (160000, True), (160000, True)),
    ("tt44-2023-passport-post", "1.001456", "post", date(2023, 12, 31),
     (160000, True), (160000, True), (160000, False)),
    ("tt43-2024-border-pass-online", "1.001200", "online", date(2024, 7, 1),
     (None, False), (40000, True), (40000, True)),
    ("tt43-2024-border-pass-online", "1.001200", "online", date(2024, 12, 31),
     (40000, True), (40000, True), (None, False)),
    ("tt64-2025-id-card-50", "2.001194", "offline", date(2025, 7, 1),
     (70000, False), (35000, True), (35000, True)),
    ("tt64-2025-id-card-50", "1.014064", "offline", date(2026, 12, 31),
     (35000, True), (35000, True), (70000, False)),
    ("id-card-online-2025-50", "2.001195", "online", date(2025, 1, 1),
     (50000, False), (25000, True), (25000, True)),
])
def test_rule_boundaries_on_real_rows(calc, rule_id, code, channel, boundary, before, on, after):
    for day, (total, applied) in zip((boundary - timedelta(days=1), boundary, boundary + timedelta(days=1)),
                                     (before, on, after)):
        q = calc.quote(code, channel, 1, day)
        assert q.totals.get("VND") == total, day
        assert (q.items[0].rule is not None and q.items[0].rule.id == rule_id) is applied, day


@pytest.mark.parametrize("on, online, offline, online_rule", [
    (date(2024, 12, 31), 50000, 50000, None),
    (date(2025, 1, 1), 25000, 50000, "id-card-online-2025-50"),     # portal wording, unverified
    (date(2025, 6, 30), 25000, 50000, "id-card-online-2025-50"),
    (date(2025, 7, 1), 25000, 25000, "tt64-2025-id-card-50"),       # TT 64/2025 supersedes
    (date(2025, 12, 31), 25000, 25000, "tt64-2025-id-card-50"),
    (date(2026, 1, 1), 25000, 25000, "tt64-2025-id-card-50"),
    (date(2026, 12, 31), 25000, 25000, "tt64-2025-id-card-50"),
    (date(2027, 1, 1), 50000, 50000, None),
])
def test_identity_card_exchange_over_time(calc, on, online, offline, online_rule):
    qo, qf = calc.quote("2.001195", "online", 1, on), calc.quote("2.001195", "offline", 1, on)
    assert (qo.totals["VND"], qf.totals["VND"]) == (online, offline)
    assert (qo.items[0].rule.id if qo.items[0].rule else None) == online_rule
    assert qo.confidence == ("unverified" if online_rule == "id-card-online-2025-50" else "confirmed")
    if online_rule is None:  # a date no rule covers: base fee with a note
        assert any(n.key == "rule_not_in_force" for n in qo.items[0].notes)


def test_online_rule_does_not_stack_on_explicit_online_amount(calc):
    rule = Rule(id="t", effect="percent", percent=50, channel="online", codes=("1.004222",),
                legal_basis="X", confidence="confirmed")
    q = with_rules(calc, [rule]).quote("1.004222", "online", 1, D)
    assert q.totals == {"VND": 10000} and q.items[0].rule is None
    assert any(n.key == "portal_channel_amount" for n in q.items[0].notes)


# -- properties --------------------------------------------------------------------------------------

rule_st = st.builds(
    Rule, id=st.just("p"), effect=st.sampled_from(["percent", "exempt", "fixed"]),
    percent=st.integers(0, 100), amount=st.integers(0, 500000), channel=st.sampled_from(["online", "all"]),
    codes=st.just(CODES), legal_basis=st.just("X"), confidence=st.just("confirmed"),
    valid_from=st.just(date(2020, 1, 1)), valid_to=st.just(date(2030, 1, 1)),
)


@hsettings(max_examples=60, deadline=None)
@given(rule=rule_st, code=st.sampled_from(["2.001195", "1.004222", "1.001456", "1.003460", "1.000811"]),
       q=st.integers(1, 50))
def test_online_reduction_never_makes_online_dearer(calc, rule, code, q):
    # Against the published amounts (no rule at all): a reduction lowers or keeps, never raises. (Adding
    # a rule to others can raise a total: a later confirmed text replaces an earlier one, see
    # data/fees/README.md.)
    base = with_rules(calc, []).quote(code, "online", q, D)
    reduced = with_rules(calc, [rule]).quote(code, "online", q, D)
    for cur, total in reduced.totals.items():
        assert total <= base.totals[cur]
    if rule.effect == "exempt":
        assert all(v == 0 for v in reduced.totals.values())


@hsettings(max_examples=40, deadline=None)
@given(code=st.sampled_from(["1.004222", "1.004194", "1.010038", "2.001195", "1.000811", "1.001456"]),
       q=st.integers(1, 50), day=st.dates(date(2023, 1, 1), date(2028, 1, 1)))
def test_shipped_rules_never_make_online_dearer_than_in_person(calc, code, q, day):
    online, offline = calc.quote(code, "online", q, day), calc.quote(code, "offline", q, day)
    for cur, total in online.totals.items():
        assert cur not in offline.totals or total <= offline.totals[cur]


@hsettings(max_examples=60, deadline=None)
@given(code=st.sampled_from([c for c in CODES if c not in ("2.000815", "1.001200")]),
       q=st.integers(1, MAX_QUANTITY), day=st.dates(date(2024, 1, 1), date(2028, 1, 1)))
def test_totals_scale_with_quantity(calc, code, q, day):
    for channel in calc.channels(code):
        one, many = calc.quote(code, channel, 1, day), calc.quote(code, channel, q, day)
        for cur in one.totals:
            # exact for 50% cuts on even bases: the catalogue amounts are multiples of 1,000 đ
            assert many.totals[cur] == one.totals[cur] * q


@hsettings(max_examples=30, deadline=None)
@given(q=st.integers(1, MAX_QUANTITY))
def test_exempt_is_zero(calc, q):
    rule = Rule(id="ex", effect="exempt", codes=CODES, legal_basis="X", confidence="confirmed")
    c = with_rules(calc, [rule])
    for code in ("1.004222", "1.003460", "2.000815"):
        for quote in c.compare(code, q, D).quotes:
            assert set(quote.totals.values()) <= {0}


# -- rendering -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("lang, money, words", [
    ("vi", "70.000 ₫", ("64/2025/TT-BTC", "31 tháng 12, 2026", "Trực tiếp")),
    ("en", "₫70,000", ("64/2025/TT-BTC", "December 31, 2026", "In person")),
    ("zh", "₫70,000", ("64/2025/TT-BTC", "2026年12月31日", "现场办理")),
    ("ko", "₫70,000", ("64/2025/TT-BTC", "2026년 12월 31일", "방문")),
    ("ja", "₫70,000", ("64/2025/TT-BTC", "2026年12月31日", "窓口")),
])
def test_rendering_in_five_languages(calc, lang, money, words):
    assert format_money(70000, "VND", lang).replace("\xa0", " ") == money
    text = render_comparison(calc.compare("1.000757", 1, D, lang), lang)
    assert format_money(35000, "VND", lang) in text
    for w in words:
        assert w in text, text
    assert format_money(35000, "VND", lang) in text.splitlines()[-1]  # the saving


def test_rendering_unverified_says_reference_amount(calc):
    text = render_quote(calc.quote("2.001195", "online", 1, date(2025, 3, 1)), "en")
    assert "Reference amount" in text and "₫25,000" in text


# -- data files ----------------------------------------------------------------------------------------

def test_shipped_data_files_load():
    data = load_fee_data(FEES)
    ids = {r.id for r in data.rules}
    assert {"tt64-2025-id-card-50", "qn-nq11-2022-online-50-sports"} <= ids
    assert next(r for r in data.rules if r.id == "qn-nq11-2022-online-50-sports").confidence == "unverified"
    assert load_fee_data(FEES / "missing").rules == ()


@pytest.mark.parametrize("text, message", [
    ("rules: [{id: a, scope: {codes: ['1']}, effect: {percent: 150}, legal_basis: X, confidence: confirmed}]", "percent"),
    ("rules: [{id: a, scope: {codes: ['1']}, effect: exempt, legal_basis: X, confidence: maybe}]", "confidence"),
    ("rules: [{id: a, scope: {group: g}, effect: exempt, legal_basis: X, confidence: confirmed}]", "unknown group"),
    ("rules: [{id: a, scope: {codes: ['1']}, effect: exempt, confidence: confirmed}]", "legal_basis"),
    ("rules: [{id: a, scope: {codes: ['1']}, effect: exempt, legal_basis: X, confidence: confirmed,"
     " valid_from: 2025-02-01, valid_to: 2025-01-01}]", "before"),
    ("items: [{code: '1', tiers: [{from: 1, to: 2, amount: 5}]}]", "last tier"),
    ("rules: [: bad", "YAML"),
])
def test_bad_data_files_are_rejected(tmp_path, text, message):
    (tmp_path / "x.yml").write_text(text, encoding="utf-8")
    with pytest.raises(FeeDataError, match=message):
        load_fee_data(tmp_path)


# -- CLI ---------------------------------------------------------------------------------------------

@pytest.fixture
def runner(home, monkeypatch):
    monkeypatch.setenv("THUTUC_HOME", str(home))
    monkeypatch.delenv("THUTUC_CATALOGUE_DB", raising=False)
    monkeypatch.delenv("THUTUC_PROCEDURES_DIR", raising=False)
    return CliRunner()


def test_cli_json_contract(runner):
    r = runner.invoke(cli_app, ["fee", "1.000757", "--date", "2026-12-31", "--json"])
    assert r.exit_code == 0, r.output
    j = json.loads(r.stdout)
    assert set(j) == {"code", "date", "quotes", "saving_online"}
    assert j["code"] == "1.000757" and j["date"] == "2026-12-31" and j["saving_online"] is None
    for q in j["quotes"]:
        assert set(q) == {"channel", "total", "currency", "items", "legal_basis", "confidence"}
    off = next(q for q in j["quotes"] if q["channel"] == "offline")
    assert off["total"] == 35000 and off["currency"] == "VND" and "64/2025/TT-BTC" in off["legal_basis"]
    assert off["items"][0]["rule"] == "tt64-2025-id-card-50" and off["confidence"] == "confirmed"
    on = next(q for q in j["quotes"] if q["channel"] == "online")
    assert on["total"] is None and on["confidence"] == "unverified"  # never "0" for a contradicted "free"


def test_cli_channel_quantity_lang(runner):
    r = runner.invoke(cli_app, ["fee", "2.001195", "--channel", "online", "--quantity", "2",
                                "--date", "2027-01-01", "--lang", "en", "--json"])
    assert r.exit_code == 0, r.output
    j = json.loads(r.stdout)
    assert [q["channel"] for q in j["quotes"]] == ["online"] and j["quotes"][0]["total"] == 100000
    r = runner.invoke(cli_app, ["fee", "1.004222", "--lang", "ko", "--date", "2026-03-01"])
    assert r.exit_code == 0, r.output
    assert "₫10,000" in r.stdout and "온라인" in r.stdout


@pytest.mark.parametrize("args, code, text", [
    (["fee", "1.00422"], 1, "1.004222"),
    (["fee", "1.004222", "--quantity", "0"], 2, "quantity"),
    (["fee", "1.004222", "--quantity", "100000"], 2, "quantity"),
    (["fee", "1.004222", "--date", "2026-13-01"], 2, "date"),
    (["fee", "1.004222", "--channel", "fax"], 2, "channel"),
    (["fee", "1.004222", "--channel", "post"], 2, "post"),
    (["fee", "1.004222", "--lang", "fr"], 2, "lang"),
])
def test_cli_bad_input(runner, args, code, text):
    r = runner.invoke(cli_app, args)
    assert r.exit_code == code, r.output
    assert text in r.output
