"""Core tests of bot.dossiers: import, normalisation, verification, rate limits, audit, store, demo."""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import stat
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from bot.config import Settings
from bot.dossiers import (
    DEFAULT_CODE_PATTERN,
    DossierConfigError,
    DossierImportError,
    DossierService,
    InvalidDossierCode,
    InvalidVerification,
    RateLimits,
    normalise_code,
    normalise_verification,
    privacy,
    store,
)
from bot.dossiers.model import VN_TZ, is_overdue
from bot.dossiers.normalise import normalise_id_number, normalise_phone

DATA = Path(__file__).parent / "data"
SALT = "test-salt-0123456789abcdef"
# 2024-09-01 10:00 in Vietnam
START = datetime(2024, 9, 1, 3, 0, tzinfo=timezone.utc)

# Owner data of tests/data/dossiers_good.csv
OWNERS = {
    "H48.01-240823-0001": ("Nguyễn Văn An", "051090001234", "0905123456"),
    "H48.01-240823-0002": ("Trần Thị Bình", "051190005678", "0935111222"),
    "H48.01-240824-0003": ("Lê Văn Cường", "051085009999", "0914000111"),
    "H48.01-240820-0004": ("Phạm Thị Dung", "051095004321", None),
}


class FakeClock:
    def __init__(self, start: datetime = START):
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw) -> None:
        self.now += timedelta(**kw)


def make_settings(tmp_path: Path, **kw) -> Settings:
    values = dict(home=tmp_path, hash_salt=SALT, dossier_db=tmp_path / "dossiers.db")
    values.update(kw)
    return Settings(**values)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def svc(tmp_path, clock) -> DossierService:
    return DossierService(make_settings(tmp_path), clock=clock, procedure_names=lambda: {"1.001193": "Thủ tục đăng ký khai sinh"})


@pytest.fixture
def loaded(svc) -> DossierService:
    svc.import_file(DATA / "dossiers_good.csv")
    return svc


def dump(db_path: Path) -> list[tuple]:
    con = sqlite3.connect(db_path)
    try:
        return con.execute("SELECT * FROM dossiers ORDER BY code").fetchall()
    finally:
        con.close()


def audit_rows(db_path: Path) -> list[dict]:
    con = sqlite3.connect(db_path)
    con.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in con.execute("SELECT * FROM lookup_audit ORDER BY id")]
    finally:
        con.close()


# --- import -----------------------------------------------------------------------------------------


def test_import_good_csv(svc, tmp_path):
    report = svc.import_file(DATA / "dossiers_good.csv")
    assert (report.rows, report.inserted, report.updated, report.unchanged) == (4, 4, 0, 0)
    assert report.problems == ()
    rows = {r[0]: r for r in dump(tmp_path / "dossiers.db")}
    assert set(rows) == set(OWNERS)  # codes normalised (h48… → H48…)
    result = svc.lookup("H48.01-240824-0003", "9999", user="u", lang="en")
    assert result.ok and result.status_code == 6 and result.amount_due == 1250000
    assert result.channel == "post" and result.agency == "Văn phòng đăng ký đất đai"
    two = svc.lookup("H48.01-240823-0002", "5678", user="u", lang="en")
    assert two.missing_documents == ("Giấy xác nhận tình trạng hôn nhân", "Bản sao trích lục ghi chú ly hôn")
    assert two.received_at == "2024-08-23T08:15:00+07:00"  # naive date-time = Vietnam time
    one = svc.lookup("H48.01-240823-0001", "1234", user="u", lang="vi")
    assert one.procedure_name == "Thủ tục đăng ký khai sinh"


def test_import_good_json_matches_csv(tmp_path, clock):
    a = DossierService(make_settings(tmp_path / "a"), clock=clock, procedure_names=dict)
    b = DossierService(make_settings(tmp_path / "b"), clock=clock, procedure_names=dict)
    a.import_file(DATA / "dossiers_good.csv")
    report = b.import_file(DATA / "dossiers_good.json")
    assert (report.rows, report.inserted) == (3, 3)
    csv_rows = {r[0]: r for r in dump(tmp_path / "a" / "dossiers.db")}
    json_rows = {r[0]: r for r in dump(tmp_path / "b" / "dossiers.db")}
    for code, row in json_rows.items():
        assert row == csv_rows[code]


def test_import_is_idempotent_upsert(svc, tmp_path, clock):
    svc.import_file(DATA / "dossiers_good.csv")
    before = dump(tmp_path / "dossiers.db")
    clock.advance(hours=1)
    again = svc.import_file(DATA / "dossiers_good.csv")
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 4)
    assert dump(tmp_path / "dossiers.db") == before  # not even updated_at moved
    changed = tmp_path / "changed.csv"
    text = (DATA / "dossiers_good.csv").read_text(encoding="utf-8")
    changed.write_text(text.replace("2024-08-20,2024-08-27,2024-08-26,9", "2024-08-20,2024-08-27,2024-08-31,10"),
                       encoding="utf-8")
    third = svc.import_file(changed)
    assert (third.inserted, third.updated, third.unchanged) == (0, 1, 3)
    assert len(dump(tmp_path / "dossiers.db")) == 4
    assert svc.lookup("H48.01-240820-0004", "4321", user="x").status_code == 10


def test_import_bad_rows_reported_with_line_and_reason(svc, tmp_path):
    report = svc.import_file(DATA / "dossiers_bad.csv")
    assert report.inserted == 2  # lines 2 and 13
    by_line = {}
    for p in report.problems:
        by_line.setdefault(p.line, []).append(p)
    assert sorted(by_line) == [3, 4, 5, 6, 7, 8, 9, 10, 11, 12]
    assert by_line[3][0].column == "channel" and "online, offline, post" in by_line[3][0].reason
    assert by_line[4][0].column == "status_code" and "1 to 10" in by_line[4][0].reason
    assert by_line[5][0].column == "received_at" and "ISO 8601" in by_line[5][0].reason
    assert by_line[6][0].column == "code"
    assert by_line[7][0].column == "owner_id_number" and "required" in by_line[7][0].reason
    assert "cells" in by_line[8][0].reason
    assert "line 2" in by_line[9][0].reason  # duplicate code
    assert by_line[10][0].column == "missing_documents" and "owner's name" in by_line[10][0].reason
    assert by_line[11][0].column == "owner_id_number"
    assert by_line[12][0].column == "amount_due"
    assert str(by_line[3][0]).startswith("line 3, channel: ")
    # Reasons never repeat a cell's value (they may be personal data in the wrong column).
    text = "\n".join(str(p) for p in report.problems)
    for secret in ("Đặng Thị Giang", "051090007784", "0905777782", "01/09/2024", "email", "1500000.00"):
        assert secret not in text
    codes = [r[0] for r in dump(tmp_path / "dossiers.db")]
    assert codes == ["H48.01-240901-0001", "H48.01-240901-0012"]


def test_import_bad_json_rows(svc):
    report = svc.import_file(DATA / "dossiers_bad.json")
    assert report.inserted == 1
    lines = sorted({p.line for p in report.problems})
    assert lines == [8, 9, 15]
    reasons = {p.line: p for p in report.problems}
    assert "JSON object" in reasons[8].reason
    assert "missing national_code" in reasons[9].reason
    cols = {p.column for p in report.problems if p.line == 15}
    assert cols == {"owner_id_number", "amount_due"}


@pytest.mark.parametrize("name,content,needle", [
    ("dossiers_wrong_header.csv", None, "columns must be exactly"),
    ("dossiers_broken.json", None, "not valid JSON"),
    ("empty.csv", b"", "empty"),
    ("latin1.csv", ("code,x\n" + "é").encode("latin-1"), "not UTF-8"),
    ("object.json", b'{"code": "H48.01-240901-0001"}', "JSON array"),
    ("dossiers.txt", b"code\n", "unknown file type"),
    ("missing.csv", None, "cannot read"),
])
def test_fatal_errors_apply_nothing(loaded, tmp_path, name, content, needle):
    before = dump(tmp_path / "dossiers.db")
    path = DATA / name if content is None and name.startswith("dossiers_") else tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(DossierImportError) as e:
        loaded.import_file(path)
    assert needle in str(e.value)
    assert dump(tmp_path / "dossiers.db") == before


def test_fatal_when_no_valid_row_and_strict(loaded, tmp_path):
    before = dump(tmp_path / "dossiers.db")
    all_bad = tmp_path / "all_bad.csv"
    lines = (DATA / "dossiers_bad.csv").read_text(encoding="utf-8").splitlines()
    all_bad.write_text("\n".join([lines[0], lines[2], lines[3]]) + "\n", encoding="utf-8")
    with pytest.raises(DossierImportError) as e:
        loaded.import_file(all_bad)
    assert "no valid dossier row" in str(e.value) and len(e.value.problems) == 2
    with pytest.raises(DossierImportError) as e:
        loaded.import_file(DATA / "dossiers_bad.csv", strict=True)
    assert "--strict" in str(e.value) and e.value.problems
    assert dump(tmp_path / "dossiers.db") == before


def test_csv_with_semicolons_and_bom(svc, tmp_path):
    text = (DATA / "dossiers_good.csv").read_text(encoding="utf-8").splitlines()[:2]
    import csv
    import io
    rows = list(csv.reader(io.StringIO("\n".join(text))))
    out = io.StringIO()
    csv.writer(out, delimiter=";").writerows(rows)
    path = tmp_path / "excel.csv"
    path.write_bytes(b"\xef\xbb\xbf" + out.getvalue().encode("utf-8"))
    assert svc.import_file(path).inserted == 1


def test_owner_data_never_stored_in_clear(loaded, tmp_path):
    con = sqlite3.connect(tmp_path / "dossiers.db")
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    blob = b"".join(p.read_bytes() for p in tmp_path.glob("dossiers.db*"))
    for name, id_number, phone in OWNERS.values():
        assert name.encode("utf-8") not in blob
        assert id_number.encode() not in blob
        if phone:
            assert phone.encode() not in blob
    columns = [r[1] for r in sqlite3.connect(tmp_path / "dossiers.db").execute("PRAGMA table_info(dossiers)")]
    assert "owner_name" not in columns and "owner_id_number" not in columns and "owner_phone" not in columns


def test_same_number_gives_unrelated_hashes_in_two_dossiers(svc, tmp_path):
    h = privacy.Hasher(SALT.encode())
    assert h.digest(privacy.ID4, "A-240101-0001", "1234") != h.digest(privacy.ID4, "A-240101-0002", "1234")
    assert h.digest(privacy.ID4, "A-240101-0001", "1234") != privacy.Hasher(b"another-salt-0123456").digest(
        privacy.ID4, "A-240101-0001", "1234")


# --- normalisation ----------------------------------------------------------------------------------


@pytest.mark.parametrize("raw", [
    "H56.14-240823-0001", " h56.14-240823-0001 ", "H56.14 - 240823 - 0001", "Ｈ５６．１４－２４０８２３－０００１",
    "H56.14\u2013240823\u20130001", "\u200bH56.14-240823-0001\u200f", "h56.14-240823-0001\n",
])
def test_normalise_code(raw):
    assert normalise_code(raw) == "H56.14-240823-0001"


@pytest.mark.parametrize("raw", [
    "", "   ", "abc", "H56.14-24082-0001", "H56.14-240823-00011", "'; DROP TABLE dossiers;--", "../../etc/passwd",
    "/check_dossier_status{\"dossier_code\":\"X\"}", "H56.14-240823-0001" * 600, "0905123456", None, 12345,
])
def test_normalise_code_rejects(raw):
    with pytest.raises(InvalidDossierCode) as e:
        normalise_code(raw)
    if isinstance(raw, str) and raw.strip():
        assert raw.strip() not in str(e.value)


def test_code_pattern_is_configurable(tmp_path, clock):
    assert normalise_code("000.00.12.H48-240823-0001") == "000.00.12.H48-240823-0001"
    assert normalise_code("G22.01.02-240823-0001") == "G22.01.02-240823-0001"
    strict = r"H48\.\d{2}-\d{6}-\d{4}"
    assert normalise_code("h48.01-240823-0001", strict) == "H48.01-240823-0001"
    with pytest.raises(InvalidDossierCode):
        normalise_code("H56.14-240823-0001", strict)
    svc = DossierService(make_settings(tmp_path, dossier_code_pattern=strict), clock=clock, procedure_names=dict)
    with pytest.raises(InvalidDossierCode):
        svc.lookup("H56.14-240823-0001", "1234")
    with pytest.raises(DossierConfigError):
        DossierService(make_settings(tmp_path, dossier_code_pattern="(["), clock=clock)


def test_settings_default_pattern_and_paths(tmp_path):
    s = Settings.from_env({"THUTUC_HOME": str(tmp_path)})
    assert s.dossier_code_pattern == DEFAULT_CODE_PATTERN
    assert s.dossier_db == tmp_path / "var" / "dossiers.db"
    assert s.verify_with == "id_number"
    s = Settings.from_env({"THUTUC_HOME": str(tmp_path), "THUTUC_DOSSIER_DB": str(tmp_path / "x.db"),
                           "THUTUC_VERIFY_WITH": "either"})
    assert s.dossier_db == tmp_path / "x.db" and s.verify_with == "either"
    with pytest.raises(ValueError):
        Settings.from_env({"THUTUC_HOME": str(tmp_path), "THUTUC_VERIFY_WITH": "name"})
    assert SALT not in repr(make_settings(tmp_path))


@pytest.mark.parametrize("raw,expected", [
    ("1234", "1234"), (" 12 34 ", "1234"), ("１２３４", "1234"), ("12-34", "1234"), ("\u200b1234", "1234"),
])
def test_normalise_verification(raw, expected):
    assert normalise_verification(raw) == expected


@pytest.mark.parametrize("raw", ["", "123", "12345", "12a4", "١٢٣٤", "051090001234", "abcd", None])
def test_normalise_verification_rejects(raw):
    with pytest.raises(InvalidVerification):
        normalise_verification(raw)


def test_normalise_personal_numbers():
    assert normalise_phone("+84 935 111 222") == "0935111222"
    assert normalise_phone("0084-935-111-222") == "0935111222"
    assert normalise_phone("84935111222") == "0935111222"
    assert normalise_phone("(0905) 123.456") == "0905123456"
    assert normalise_id_number(" 051 090 001 234 ") == "051090001234"
    assert normalise_id_number("m12345678") == "M12345678"
    for bad in ("12", "abc-def-ghi", "1234567890123456789012"):
        with pytest.raises(ValueError) as e:
            normalise_id_number(bad)
        assert bad not in str(e.value)


# --- verification -----------------------------------------------------------------------------------


def test_lookup_ok_with_last4_of_id(loaded):
    r = loaded.lookup("h48.01-240823-0001", "1234", user="u1", lang="en")
    assert r.outcome == "ok" and r.code == "H48.01-240823-0001" and r.status_code == 4
    assert r.status == "Being processed"
    assert r.appointment_at == "2024-08-30" and r.overdue is True
    assert set(r.to_json()) == {"outcome", "code", "status_code", "status", "received_at", "appointment_at",
                                "completed_at", "overdue", "next_step"}
    assert loaded.lookup("Ｈ４８．０１－２４０８２３－０００１", "１２３４", user="u1").ok


def test_unknown_code_and_wrong_verification_answer_the_same(loaded):
    wrong = loaded.lookup("H48.01-240823-0001", "0000", user="a", lang="en")
    unknown = loaded.lookup("H48.01-240823-0999", "1234", user="b", lang="en")
    assert wrong.outcome == unknown.outcome == "not_verified"
    assert unknown.to_json() == {**wrong.to_json(), "code": unknown.code,
                                 "next_step": wrong.next_step.replace(wrong.code, unknown.code)}
    assert unknown.text == wrong.text.replace(wrong.code, unknown.code)
    assert wrong.status_code is None and wrong.agency is None and wrong.procedure_code is None


def test_verification_uses_constant_time_compare_on_every_path(loaded, monkeypatch):
    calls = []
    real = privacy.hmac.compare_digest

    def spy(a, b):
        calls.append((len(a), len(b)))
        return real(a, b)

    monkeypatch.setattr(privacy.hmac, "compare_digest", spy)
    loaded.lookup("H48.01-240823-0001", "1234", user="a")
    ok_calls = len(calls)
    calls.clear()
    loaded.lookup("H48.01-240823-0001", "0000", user="b")
    wrong_calls = len(calls)
    calls.clear()
    loaded.lookup("H48.01-240823-0999", "0000", user="c")
    assert ok_calls == wrong_calls == len(calls) == 1
    assert all(a == b == 64 for a, b in calls)


@pytest.mark.parametrize("verify_with,digits,ok", [
    ("id_number", "1234", True), ("id_number", "3456", False),
    ("phone", "3456", True), ("phone", "1234", False),
    ("either", "1234", True), ("either", "3456", True), ("either", "0000", False),
])
def test_verify_with_setting(tmp_path, clock, verify_with, digits, ok):
    svc = DossierService(make_settings(tmp_path, verify_with=verify_with), clock=clock, procedure_names=dict)
    svc.import_file(DATA / "dossiers_good.csv")
    assert svc.lookup("H48.01-240823-0001", digits, user="u").ok is ok


def test_phone_verification_without_phone_never_matches(tmp_path, clock):
    svc = DossierService(make_settings(tmp_path, verify_with="either"), clock=clock, procedure_names=dict)
    svc.import_file(DATA / "dossiers_good.csv")
    assert svc.lookup("H48.01-240820-0004", "4321", user="u").ok  # id only
    assert not svc.lookup("H48.01-240820-0004", "0000", user="u").ok


def test_other_salt_cannot_verify_and_is_reported(tmp_path, clock, caplog):
    DossierService(make_settings(tmp_path), clock=clock, procedure_names=dict).import_file(DATA / "dossiers_good.csv")
    with caplog.at_level(logging.WARNING, logger="bot.dossiers"):
        other = DossierService(make_settings(tmp_path, hash_salt="another-salt-abcdefghij"), clock=clock,
                               procedure_names=dict)
    assert "another hash salt" in caplog.text
    assert other.lookup("H48.01-240823-0001", "1234", user="u").outcome == "not_verified"
    assert audit_rows(tmp_path / "dossiers.db")[-1]["detail"] == "other_salt"
    other.import_file(DATA / "dossiers_good.csv")  # a re-import fixes it
    assert other.lookup("H48.01-240823-0001", "1234", user="u").ok


def test_lookup_in_unknown_language_falls_back_to_default(loaded):
    assert loaded.lookup("H48.01-240823-0001", "1234", user="u", lang="fr").lang == "vi"


# --- rate limits --------------------------------------------------------------------------------------


def test_five_failures_per_user_lock_for_15_minutes(loaded, clock):
    for i in range(5):
        assert loaded.lookup(f"H48.01-240823-09{i:02d}", "0000", user="attacker").outcome == "not_verified"
        clock.advance(seconds=30)
    locked = loaded.lookup("H48.01-240823-0001", "1234", user="attacker", lang="en")
    assert locked.outcome == "rate_limited"  # even with the right digits
    assert locked.status_code is None and "talk to staff" in locked.text
    assert 0 < locked.retry_after_s <= 15 * 60
    assert loaded.lookup("H48.01-240823-0001", "1234", user="someone-else").ok  # other users unaffected
    clock.advance(seconds=locked.retry_after_s - 1)
    assert loaded.lookup("H48.01-240823-0001", "1234", user="attacker").outcome == "rate_limited"
    clock.advance(seconds=1)
    assert loaded.lookup("H48.01-240823-0001", "1234", user="attacker").ok


def test_five_failures_per_code_lock_it_for_an_hour(loaded, clock):
    for i in range(5):
        assert loaded.lookup("H48.01-240823-0001", f"000{i}", user=f"user{i}").outcome == "not_verified"
    r = loaded.lookup("H48.01-240823-0001", "1234", user="owner", lang="vi")
    assert r.outcome == "rate_limited" and 59 * 60 < r.retry_after_s <= 3600
    assert loaded.lookup("H48.01-240823-0002", "5678", user="owner").ok  # other codes unaffected
    clock.advance(minutes=59)
    assert loaded.lookup("H48.01-240823-0001", "1234", user="owner").outcome == "rate_limited"
    clock.advance(minutes=1, seconds=1)
    assert loaded.lookup("H48.01-240823-0001", "1234", user="owner").ok


def test_unknown_codes_lock_exactly_like_known_ones(loaded):
    known = [loaded.lookup("H48.01-240823-0001", "0000", user=f"k{i}").outcome for i in range(6)]
    unknown = [loaded.lookup("H48.01-240823-0999", "0000", user=f"u{i}").outcome for i in range(6)]
    assert known == unknown == ["not_verified"] * 5 + ["rate_limited"]


def test_successes_and_malformed_inputs_do_not_count(loaded):
    for _ in range(10):
        assert loaded.lookup("H48.01-240823-0001", "1234", user="u").ok
    for _ in range(10):
        with pytest.raises(InvalidVerification):
            loaded.lookup("H48.01-240823-0001", "12", user="u")
        with pytest.raises(InvalidDossierCode):
            loaded.lookup("nonsense", "1234", user="u")
    assert loaded.lookup("H48.01-240823-0001", "1234", user="u").ok


def test_custom_limits(tmp_path, clock):
    svc = DossierService(make_settings(tmp_path), clock=clock, procedure_names=dict,
                         limits=RateLimits(max_failures=2, user_window=timedelta(minutes=1)))
    svc.import_file(DATA / "dossiers_good.csv")
    assert [svc.lookup(f"H48.01-240823-09{i:02d}", "0000", user="u").outcome for i in range(3)] == [
        "not_verified", "not_verified", "rate_limited"]


def test_concurrent_failures_never_exceed_the_limit(loaded, tmp_path):
    outcomes: list[str] = []
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            for j in range(3):
                outcomes.append(loaded.lookup("H48.01-240823-0002", "0000", user=f"t{n}-{j}").outcome)
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert outcomes.count("not_verified") == 5 and outcomes.count("rate_limited") == 19


# --- audit and logs -----------------------------------------------------------------------------------


def test_every_lookup_is_audited_without_personal_data(loaded, tmp_path, clock):
    loaded.lookup("H48.01-240823-0001", "1234", user="telegram:987654321", lang="en")
    loaded.lookup("H48.01-240823-0001", "9999", user="telegram:987654321", lang="ko")
    with pytest.raises(InvalidDossierCode):
        loaded.lookup("0905123456", "1234", user="telegram:987654321")
    with pytest.raises(InvalidVerification):
        loaded.lookup("H48.01-240823-0001", "051090001234", user="telegram:987654321")
    rows = audit_rows(tmp_path / "dossiers.db")
    assert [(r["code"], r["outcome"], r["detail"]) for r in rows] == [
        ("H48.01-240823-0001", "ok", None),
        ("H48.01-240823-0001", "not_verified", "wrong_verification"),
        (None, "invalid_input", "code"),
        ("H48.01-240823-0001", "invalid_input", "verification"),
    ]
    assert set(rows[0]) == {"id", "at", "user_key", "code", "outcome", "detail", "lang"}
    assert rows[0]["at"] == "2024-09-01T03:00:00+00:00" and rows[1]["lang"] == "ko"
    assert {r["user_key"] for r in rows} == {loaded.hasher.key("user", "telegram:987654321")}
    blob = json.dumps(rows)
    for secret in ("987654321", "1234", "9999", "0905123456", "051090001234"):
        assert secret not in blob


def test_logs_carry_outcome_but_no_personal_data(loaded, caplog):
    with caplog.at_level(logging.DEBUG):
        loaded.lookup("H48.01-240823-0001", "1234", user="zalo:5550001", lang="en")
        loaded.lookup("H48.01-240823-0001", "9876", user="zalo:5550001", lang="en")
        with pytest.raises(InvalidDossierCode):
            loaded.lookup("Nguyễn Văn An 0905123456", "1234", user="zalo:5550001")
    assert "ok (code H48.01-240823-0001" in caplog.text
    assert "not_verified" in caplog.text and "invalid code" in caplog.text
    for secret in ("5550001", "1234", "9876", "Nguyễn Văn An", "0905123456", "051090001234"):
        assert secret not in caplog.text


# --- overdue ------------------------------------------------------------------------------------------


def test_overdue_from_appointment_date():
    now = datetime(2024, 8, 30, 16, 59, tzinfo=timezone.utc)  # 23:59 on 30 Aug in Vietnam
    assert not is_overdue(4, "2024-08-30", now)
    assert is_overdue(4, "2024-08-30", now + timedelta(minutes=1))  # 00:00 on 31 Aug in Vietnam
    assert is_overdue(5, "2024-08-30T17:00:00", datetime(2024, 8, 30, 10, 1, tzinfo=timezone.utc))
    assert not is_overdue(5, "2024-08-30T17:00:00", datetime(2024, 8, 30, 10, 0, tzinfo=timezone.utc))
    for closed in (3, 7, 8, 9, 10):
        assert not is_overdue(closed, "2024-01-01", now)
    assert not is_overdue(4, None, now)
    assert datetime(2024, 8, 30, 17, tzinfo=VN_TZ).utcoffset() == timedelta(hours=7)


def test_lookup_reports_overdue(loaded, clock):
    assert loaded.lookup("H48.01-240823-0002", "5678", user="u").overdue is True
    assert loaded.lookup("H48.01-240824-0003", "9999", user="u").overdue is False
    assert loaded.lookup("H48.01-240820-0004", "4321", user="u").overdue is False  # done


# --- store --------------------------------------------------------------------------------------------


def test_store_is_versioned_wal_with_busy_timeout(tmp_path):
    path = tmp_path / "s.db"
    db = store.open_db(path)
    try:
        assert store.user_version(db) == store.SCHEMA_VERSION == 1
        assert db.journal_mode == "wal"
        assert db.execute("PRAGMA busy_timeout").fetchone()[0] == store.BUSY_TIMEOUT_MS
        assert {"dossiers", "lookup_audit", "verification_failures", "imports"} <= set(db.table_names())
        assert store.migrate(db) == 1  # idempotent
    finally:
        db.close()
    con = sqlite3.connect(path)
    con.execute("PRAGMA user_version = 99")
    con.commit()
    con.close()
    with pytest.raises(DossierConfigError):
        store.open_db(path)


def test_immediate_rolls_back_on_error(tmp_path):
    db = store.open_db(tmp_path / "s.db")
    try:
        with pytest.raises(RuntimeError):
            with store.immediate(db):
                store.audit(db, at="x", user_key="k", code=None, outcome="ok", detail=None, lang="vi")
                raise RuntimeError
        assert db["lookup_audit"].count == 0
    finally:
        db.close()


def test_imports_are_recorded(loaded, tmp_path):
    con = sqlite3.connect(tmp_path / "dossiers.db")
    row = con.execute("SELECT file, rows, inserted, bad_rows FROM imports").fetchone()
    con.close()
    assert row == ("dossiers_good.csv", 4, 4, 0)


# --- salt ---------------------------------------------------------------------------------------------


def test_local_development_salt(tmp_path, clock, caplog):
    with caplog.at_level(logging.WARNING, logger="bot.dossiers"):
        svc = DossierService(make_settings(tmp_path, hash_salt=""), clock=clock, procedure_names=dict)
    path = tmp_path / "var" / privacy.DEV_SALT_FILE
    assert path.exists() and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "THUTUC_HASH_SALT is not set" in caplog.text and str(path) in caplog.text
    assert path.read_text().strip() not in caplog.text
    svc.import_file(DATA / "dossiers_good.csv")
    again = DossierService(make_settings(tmp_path, hash_salt=""), clock=clock, procedure_names=dict)
    assert again.lookup("H48.01-240823-0001", "1234", user="u").ok  # same salt after a restart
    os.chmod(path, 0o644)
    privacy.resolve_salt("", tmp_path / "var")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_short_salt_is_refused(tmp_path, clock):
    with pytest.raises(DossierConfigError):
        DossierService(make_settings(tmp_path, hash_salt="short"), clock=clock)


# --- demo ---------------------------------------------------------------------------------------------


def test_demo_dossiers_are_labelled(svc, tmp_path, clock):
    report = svc.load_demo()
    assert len(report.codes) == 6 and all(c.startswith("DEMO-") for c in report.codes)
    for code in report.codes:
        for lang in ("vi", "en", "zh", "ko", "ja"):
            r = svc.lookup(code, report.verify[code], user=f"demo-{lang}", lang=lang)
            assert r.ok and r.demo
            assert r.status.startswith("[DEMO] ") and r.text.startswith("[DEMO] ")
    overdue = [c for c in report.codes if svc.lookup(c, report.verify[c], user="o").overdue]
    assert overdue == ["DEMO-250101-0002"]
    assert {report.status[c] for c in report.codes} >= {4, 5, 6, 9, 10}
    again = svc.load_demo()  # idempotent
    assert again.codes == report.codes and len(dump(tmp_path / "dossiers.db")) == 6
    svc.import_file(DATA / "dossiers_good.csv")
    assert svc.remove_demo() == 6
    assert len(dump(tmp_path / "dossiers.db")) == 4
