"""Catalogue: crawl parsing, importer (transactional, idempotent), curated validation, merged view."""

from __future__ import annotations

import gzip
import shutil
from datetime import date

import pytest
import yaml
from conftest import CRAWL, CURATED_DIR, SAMPLE_RECORDS, crawl_record, requires_shared, write_jsonl
from typer.testing import CliRunner

from bot.catalogue import Catalogue, CrawlFormatError, UnknownProcedure, import_crawl, validate_dir
from bot.catalogue.crawl import findings_for, parse_channels, parse_legal_basis
from bot.catalogue.curated import load_dir
from bot.catalogue.store import load_imported
from bot.cli import app
from bot.config import Settings

H = "Hình thức nộpThời gianPhí, lệ phíMô tả"


def test_parse_channels_rows_times_fees():
    rows = parse_channels(H + "Trực tuyến3 Ngày làm việc7,000 Việt Nam Đồng(thu 7.000 đồng.)"
                              "Trực tiếp3 Ngày làm việc10,000 Việt Nam Đồng(thu 10.000 đồng.)")
    assert [r.channel for r in rows] == ["online", "offline"]
    assert rows[0].time_value == 3 and rows[0].time_unit == "working_day"
    assert rows[0].fees[0].amount == 7000 and rows[0].fees[0].currency == "VND"
    assert rows[1].fees[0].amount == 10000
    assert rows[1].note == "(thu 10.000 đồng.)"


def test_parse_channels_free_usd_no_info_and_channel_word_inside_note():
    rows = parse_channels(H + "Trực tuyến10 NgàyMiễn phí(nộp Trực tuyến qua cổng)Dịch vụ bưu chính5 Ngày làm việc145 USD(x)"
                              "Trực tiếpKhông có thông tin150,000 Việt Nam Đồng(y)")
    assert [r.channel for r in rows] == ["online", "post", "offline"]
    assert rows[0].free and rows[0].time_unit == "day" and "Trực tuyến qua cổng" in rows[0].note
    assert rows[1].fees[0].currency == "USD" and rows[1].fees[0].amount == 145
    assert rows[2].time_value is None and rows[2].fees[0].amount == 150000


def test_parse_channels_without_header_is_empty():
    assert parse_channels("something else") == ()


def test_findings_flag_amount_mismatch_and_stale_note():
    rows = parse_channels(H + "Trực tuyến3 Ngày làm việc40 Việt Nam Đồng(40.000đ/giấy (áp dụng đến hết ngày 31/12/2024).)")
    kinds = {f.kind for f in findings_for("1.001200", rows, date(2026, 11, 25))}
    assert kinds == {"amount_mismatch", "stale_note"}
    assert not [f for f in findings_for("1.001200", rows, date(2024, 6, 1)) if f.kind == "stale_note"]


def test_legal_basis_numbers():
    refs = parse_legal_basis("Tên văn bản pháp lýMã văn bảnLuật Cư trú68/2020/QH14Thông tư lệ phí75/2022/TT-BTCNghị định")
    assert [r.number for r in refs] == ["68/2020/QH14", "75/2022/TT-BTC"]


def test_import_sample_counts_dedupes_and_skips_mismatch(tmp_path, sample_crawl):
    db = tmp_path / "cat.db"
    report = import_crawl(sample_crawl, db, today=date(2026, 11, 25))
    assert report.records == 6 and report.imported == 4
    assert report.skipped_mismatch == 1 and report.duplicates == 1
    kinds = {f.kind for f in report.findings}
    assert {"code_mismatch", "amount_mismatch", "stale_note"} <= kinds
    stored = load_imported(db)
    assert set(stored) == {"1.001193", "1.004194", "1.001200", "1.003460"}
    assert stored["1.004194"].channel("online").fees[0].amount == 7000
    assert stored["1.003460"].channel("post").fees[0].currency == "USD"


def test_import_is_idempotent(tmp_path, sample_crawl):
    db = tmp_path / "cat.db"
    import_crawl(sample_crawl, db)
    first = load_imported(db)
    again = import_crawl(sample_crawl, db)
    assert again.unchanged
    assert load_imported(db) == first


@pytest.mark.parametrize("damage", ["truncated_gzip", "bad_json", "missing_name", "empty"])
def test_bad_file_leaves_store_as_it_was(tmp_path, sample_crawl, damage):
    db = tmp_path / "cat.db"
    import_crawl(sample_crawl, db)
    before = load_imported(db)
    bad = tmp_path / "bad.jsonl.gz"
    if damage == "truncated_gzip":
        bad.write_bytes(sample_crawl.read_bytes()[:300])
    elif damage == "bad_json":
        bad = tmp_path / "bad.jsonl"
        bad.write_text('{"ma_thu_tuc": "1.000001", "ten_thu_tuc": "x"}\n{not json\n', encoding="utf-8")
    elif damage == "missing_name":
        bad = write_jsonl(tmp_path / "bad.jsonl", [crawl_record("1.000002", "")])
    else:
        bad = tmp_path / "bad.jsonl"
        bad.write_text("\n", encoding="utf-8")
    with pytest.raises(CrawlFormatError):
        import_crawl(bad, db)
    assert load_imported(db) == before


def test_import_reports_fact_changes_over_curated(tmp_path, sample_crawl):
    curated = load_dir(CURATED_DIR)
    report = import_crawl(sample_crawl, tmp_path / "cat.db", curated)
    changed = {(c.code, c.fact) for c in report.changes}
    # The sample's birth-registration record has different channels from the real curated file.
    assert ("1.001193", "channels") in changed or ("1.001193", "name_vi") in changed


def test_merged_catalogue_curated_text_wins_facts_refresh(imported_home):
    cat = Catalogue.load(Settings(home=imported_home))
    p = cat.get("1.004194")
    assert p.curated and p.name["en"] != "" and p.aliases["en"]
    assert p.channel("offline").fees[0].amount == 10000  # from the import
    assert not cat.get("1.001200").curated
    with pytest.raises(UnknownProcedure) as e:
        cat.get("1.00419")
    assert "1.004194" in e.value.suggestions


def test_curated_core_is_valid_and_large_enough():
    problems = validate_dir(CURATED_DIR)
    assert problems == [], "\n".join(map(str, problems[:20]))
    assert len(list(CURATED_DIR.glob("*.yml"))) >= 150


def test_validate_reports_missing_language_bad_link_duplicate(tmp_path):
    d = yaml.safe_load((CURATED_DIR / "1.004194.yml").read_text(encoding="utf-8"))
    del d["summary"]["ko"]
    d["links"]["provincial"] = "not a url"
    (tmp_path / "1.004194.yml").write_text(yaml.safe_dump(d, allow_unicode=True), encoding="utf-8")
    d2 = dict(d, code="1.004194")
    (tmp_path / "1.999999.yml").write_text(yaml.safe_dump(d2, allow_unicode=True), encoding="utf-8")
    messages = [p.message for p in validate_dir(tmp_path)]
    assert any("summary.ko is missing" in m for m in messages)
    assert any("links.provincial" in m for m in messages)
    assert any("also in" in m for m in messages)
    assert any("file name must be the code" in m for m in messages)


def test_cli_import_issues_validate(tmp_path, sample_crawl, monkeypatch):
    monkeypatch.setenv("THUTUC_HOME", str(tmp_path))
    monkeypatch.setenv("THUTUC_PROCEDURES_DIR", str(CURATED_DIR))
    runner = CliRunner()
    result = runner.invoke(app, ["catalogue", "import", str(sample_crawl), "--json"])
    assert result.exit_code == 0, result.output
    assert '"imported": 4' in result.output
    result = runner.invoke(app, ["catalogue", "issues", "--json"])
    assert result.exit_code == 0, result.output
    assert "amount_mismatch" in result.output and "stale_note" in result.output
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{oops\n", encoding="utf-8")
    result = runner.invoke(app, ["catalogue", "import", str(bad)])
    assert result.exit_code == 1 and "left as it was" in result.output
    result = runner.invoke(app, ["catalogue", "validate"])
    assert result.exit_code == 0, result.output


@requires_shared
def test_real_crawl_parses_every_record():
    from bot.catalogue.crawl import procedure_from_record, read_records

    n = with_fee = 0
    for _, rec in read_records(CRAWL):
        p = procedure_from_record(rec)
        n += 1
        with_fee += any(c.fees for c in p.channels)
        for c in p.channels:
            assert c.channel in ("online", "offline", "post")
    assert n == 2642
    assert 450 <= with_fee <= 600  # the README: about 490 records state a money amount


def test_sample_records_are_our_own():
    # The fixture mimics the format; it is not a copy of the shared file.
    assert len(SAMPLE_RECORDS) == 6 and gzip


def test_import_update_curated_refreshes_facts_and_keeps_text(tmp_path, sample_crawl, monkeypatch):
    procedures = tmp_path / "procedures"
    procedures.mkdir()
    shutil.copy(CURATED_DIR / "1.004194.yml", procedures)
    before = yaml.safe_load((procedures / "1.004194.yml").read_text(encoding="utf-8"))
    monkeypatch.setenv("THUTUC_HOME", str(tmp_path))
    monkeypatch.setenv("THUTUC_PROCEDURES_DIR", str(procedures))
    result = CliRunner().invoke(app, ["catalogue", "import", str(sample_crawl), "--update-curated"])
    assert result.exit_code == 0, result.output
    after = yaml.safe_load((procedures / "1.004194.yml").read_text(encoding="utf-8"))
    for key in ("name", "aliases", "summary", "applicants", "documents", "steps"):
        assert after[key] == before[key]
    assert after["facts"]["field"] == "Đăng ký, quản lý cư trú"
    assert all("note" not in row for row in after["facts"]["channels"])
    assert validate_dir(procedures) == []
