"""Fee data-quality report on a small synthetic crawl (our own sample text, one row per kind of
problem), what the calculator makes of those rows, and the warning when data/fees/ is absent."""

from __future__ import annotations

import json
import logging
import shutil
from datetime import date
from pathlib import Path

import pytest
from conftest import crawl_record, write_jsonl
from typer.testing import CliRunner

from bot.catalogue import Catalogue, import_crawl
from bot.cli import app as cli_app
from bot.config import PROJECT_ROOT, Settings
from bot.fees import FeeCalculator
from bot.fees.quality import KINDS, check_row, fee_report, note_amounts, until_dates

FEES = PROJECT_ROOT / "data" / "fees"
DAY = date(2026, 3, 1)

# code -> (channel table after the header, the kinds the report must give for it)
ROWS = {
    "9.000001": ("Trực tuyến3 Ngày làm việc7,000 Việt Nam Đồng(thu 7.000 đồng/lần.)"
                 "Trực tiếp3 Ngày làm việc10,000 Việt Nam Đồng(thu 10.000 đồng/lần.)", set()),
    "9.000002": ("Trực tiếp3 Ngày làm việc40 Việt Nam Đồng(40.000đ/giấy.)", {"amount_mismatch"}),
    "9.000003": ("Trực tiếp3 Ngày làm việc40,000 Việt Nam Đồng(50.000đ/giấy theo thông tư mẫu.)",
                 {"note_amount_differs"}),
    "9.000004": ("Trực tiếp5 Ngày làm việc145 VNĐ(145 USD/thẻ.)", {"currency_mismatch"}),
    "9.000005": ("Trực tiếp5 Ngày làm việcMiễn phí(Lệ phí cấp mới 40.000 đồng/lần.)", {"free_with_amount"}),
    "9.000006": ("Trực tuyến5 Ngày làm việc120 VNĐ", {"implausible_amount"}),
    "9.000007": ("Trực tuyến3 Ngày làm việc30,000 Việt Nam Đồng(30.000đ/lần (áp dụng đến hết ngày 31/12/2024).)",
                 {"stale_note"}),
    "9.000008": ("Trực tiếp3 Ngày làm việc50,000 Việt Nam Đồng(50.000đ/lần; 25.000đ/lần (áp dụng đến hết ngày "
                 "31 tháng 12 năm 2026 theo thông tư mẫu).)", {"reduction_not_in_rules"}),
    # in the scope of TT 64/2025 (identity_card.yml): "free" online contradicts the confirmed 50% rule
    "2.001195": ("Trực tuyến7 Ngày làm việcMiễn phí(Chưa quy định.)"
                 "Trực tiếp7 Ngày làm việc50,000 Việt Nam Đồng(50.000 đồng/thẻ.)", {"rule_disagrees"}),
}


@pytest.fixture(scope="module")
def fee_home(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("feehome")
    (home / "data" / "procedures").mkdir(parents=True)
    shutil.copytree(FEES, home / "data" / "fees")
    records = [crawl_record(code, f"Thủ tục mẫu {code}", table) for code, (table, _) in ROWS.items()]
    crawl = write_jsonl(home / "crawl.jsonl", records)
    import_crawl(crawl, home / "var" / "catalogue.db", popularity_paths=[])
    return home


@pytest.fixture(scope="module")
def fee_calc(fee_home) -> FeeCalculator:
    s = Settings(home=fee_home, shared_data=fee_home / "no-shared")
    return FeeCalculator.load(s, Catalogue.load(s))


def test_report_lists_each_kind_once_per_row(fee_calc):
    report = fee_report(fee_calc, DAY)
    got: dict[str, set[str]] = {}
    for issue in report.issues:
        got.setdefault(issue.code, set()).add(issue.kind)
    for code, (_, kinds) in ROWS.items():
        assert got.get(code, set()) == kinds, code
    counts = report.counts()
    assert set(counts) == set(KINDS)
    assert sum(counts.values()) == len(report.issues) == sum(len(k) for _, k in ROWS.values())
    assert report.procedures == len(ROWS) and report.inconsistent_procedures == len(ROWS) - 1
    d = report.to_dict()
    assert d["date"] == "2026-03-01" and d["counts"]["amount_mismatch"] == 1
    assert {"code", "channel", "kind", "fee_text", "detail"} == set(d["issues"][0])


def test_stale_and_dated_notes_depend_on_the_date(fee_calc):
    before = {(i.code, i.kind) for i in fee_report(fee_calc, date(2024, 12, 31)).issues}
    assert ("9.000007", "stale_note") not in before
    after = {(i.code, i.kind) for i in fee_report(fee_calc, date(2027, 1, 1)).issues}
    assert ("9.000008", "reduction_not_in_rules") not in after and ("9.000008", "stale_note") in after


@pytest.mark.parametrize("code, channel", [
    ("9.000002", "offline"), ("9.000003", "offline"), ("9.000004", "offline"), ("9.000005", "offline"),
    ("9.000006", "online"), ("2.001195", "online"),
])
def test_calculator_never_quotes_an_inconsistent_row(fee_calc, code, channel):
    q = fee_calc.quote(code, channel, 1, DAY)
    assert q.totals == {} and q.confidence == "unverified"


def test_calculator_marks_stale_and_unruled_reductions_unverified(fee_calc):
    assert fee_calc.quote("9.000001", "online", 1, DAY).totals == {"VND": 7000}
    assert fee_calc.quote("9.000001", "online", 1, DAY).confidence == "confirmed"
    stale = fee_calc.quote("9.000007", "online", 1, DAY)
    assert stale.totals == {"VND": 30000} and stale.confidence == "unverified"
    assert fee_calc.quote("9.000007", "online", 1, date(2024, 12, 31)).confidence == "confirmed"
    dated = fee_calc.quote("9.000008", "offline", 1, DAY)
    assert dated.totals == {"VND": 50000} and dated.confidence == "unverified"
    assert any(n.key == "portal_dated_amount" for n in dated.items[0].notes)


def test_text_helpers():
    assert note_amounts("40.000đ/giấy; 145 USD/thẻ; 5000 đồng; 1.600.000)") == {
        "VND": {40000, 5000, 1600000}, "USD": {145}}
    assert note_amounts("0.000đ/giấy") == {}  # garbled text is not an amount
    assert note_amounts("diện tích 10.000 m2") == {}
    assert until_dates("đến hết ngày 31/12/2024; đến hết ngày 31 tháng 12 năm 2026") == (
        date(2024, 12, 31), date(2026, 12, 31))
    from bot.catalogue import ChannelRow, Money
    row = ChannelRow("online", fees=(Money(1500000, "VND"),), fee_text="1,500,000", note="(150.000 đồng/1 giấy.)")
    assert [i.kind for i in check_row("x", row).issues] == ["amount_mismatch"]  # ten times the note


# -- CLI -----------------------------------------------------------------------------------------------

@pytest.fixture
def runner(fee_home, monkeypatch):
    monkeypatch.setenv("THUTUC_HOME", str(fee_home))
    for var in ("THUTUC_CATALOGUE_DB", "THUTUC_PROCEDURES_DIR", "THUTUC_VAR_DIR"):
        monkeypatch.delenv(var, raising=False)
    return CliRunner()


def test_cli_report_json_and_text(runner):
    r = runner.invoke(cli_app, ["fee", "report", "--date", "2026-03-01", "--json"])
    assert r.exit_code == 0, r.output
    j = json.loads(r.stdout)
    assert j["counts"]["free_with_amount"] == 1 and j["inconsistent_procedures"] == len(ROWS) - 1
    r = runner.invoke(cli_app, ["fee", "report", "--date", "2026-03-01", "--kind", "stale_note"])
    assert r.exit_code == 0, r.output
    assert "9.000007\tonline\tstale_note" in r.stdout and "9.000002" not in r.stdout
    r = runner.invoke(cli_app, ["fee", "report", "--kind", "nonsense"])
    assert r.exit_code == 2 and "kind" in r.output


def test_cli_quote_is_the_default_sub_command(runner):
    a = runner.invoke(cli_app, ["fee", "9.000001", "--json", "--date", "2026-03-01"])
    b = runner.invoke(cli_app, ["fee", "quote", "9.000001", "--json", "--date", "2026-03-01"])
    assert a.exit_code == b.exit_code == 0 and a.stdout == b.stdout
    assert json.loads(a.stdout)["saving_online"] == 3000


# -- no fee rules --------------------------------------------------------------------------------------

@pytest.mark.parametrize("setup", ["missing", "empty", "no-rules"])
def test_missing_fee_rules_warn(tmp_path, caplog, monkeypatch, setup):
    home = tmp_path / "home"
    (home / "data" / "procedures").mkdir(parents=True)
    shutil.copy(PROJECT_ROOT / "data" / "procedures" / "1.004222.yml", home / "data" / "procedures")
    if setup != "missing":
        (home / "data" / "fees").mkdir()
    if setup == "no-rules":
        shutil.copy(FEES / "items.yml", home / "data" / "fees")
    s = Settings(home=home, shared_data=home / "no-shared")
    with caplog.at_level(logging.WARNING, logger="bot.fees.calculator"):
        calc = FeeCalculator.load(s)
    assert len(calc.warnings) == 1 and "no dated reduction" in calc.warnings[0]
    assert calc.warnings[0] in caplog.text
    assert calc.quote("1.004222", "online", 1, DAY).totals == {"VND": 10000}  # still quotes the portal
    monkeypatch.setenv("THUTUC_HOME", str(home))
    monkeypatch.delenv("THUTUC_CATALOGUE_DB", raising=False)
    monkeypatch.delenv("THUTUC_PROCEDURES_DIR", raising=False)
    r = CliRunner().invoke(cli_app, ["fee", "1.004222", "--json", "--date", "2026-03-01"])
    assert r.exit_code == 0
    assert "Warning:" in r.stderr and "fee rules folder" in r.stderr
    assert json.loads(r.stdout)["code"] == "1.004222"  # stdout stays clean JSON


def test_shipped_rules_load_without_warning():
    calc = FeeCalculator.load(Settings(home=PROJECT_ROOT, catalogue_db=PROJECT_ROOT / "no.db"))
    assert calc.warnings == ()
