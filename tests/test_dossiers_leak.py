"""Property: for random dossiers and inputs, no owner name, identity number or phone (or any 7-digit
piece of them) appears in any answer, report, audit row or log line, and none is stored in clear."""

from __future__ import annotations

import csv
import io
import json
import logging
import sqlite3
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from bot.config import Settings
from bot.dossiers import (
    IMPORT_COLUMNS,
    LANGS,
    VERIFY_WITH,
    DossierService,
    InvalidDossierCode,
    InvalidVerification,
)
from bot.dossiers.texts import MESSAGES, STATUS_TEXTS

NOW = datetime(2024, 9, 1, 3, 0, tzinfo=timezone.utc)
CORPUS = "\n".join(
    [t for by_lang in MESSAGES.values() for t in by_lang.values()]
    + [s.label + s.meaning + s.next_step for by_lang in STATUS_TEXTS.values() for s in by_lang.values()]
).casefold()

names = st.from_regex(r"[A-ZĐ][a-zăâêôơưđ]{2,7}( [A-ZĐ][a-zăâêôơưđ]{2,7}){1,3}", fullmatch=True)
id_numbers = st.from_regex(r"0[0-9]{11}", fullmatch=True)
phones = st.from_regex(r"0[35789][0-9]{8}", fullmatch=True)
codes = st.from_regex(r"H[0-9]{2}\.[0-9]{2}-[0-9]{6}-[0-9]{4}", fullmatch=True)
phone_formats = st.sampled_from(["{p}", "+84 {p1}", "{p}  "])


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


def secrets_of(name: str, id_number: str, phone: str) -> list[str]:
    pieces = [name, id_number, phone, phone[1:]]
    for number in (id_number, phone):
        pieces += [number[i:i + 7] for i in range(len(number) - 6)]
    return pieces


@settings(max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=names, id_number=id_numbers, phone=phones, phone_format=phone_formats, code=codes,
    status=st.integers(1, 10), amount=st.one_of(st.none(), st.integers(0, 10**9)),
    verify_with=st.sampled_from(VERIFY_WITH), lang=st.sampled_from(LANGS), user=st.text(max_size=30),
    attempts=st.lists(st.one_of(st.just("id"), st.just("phone"), st.from_regex(r"[0-9]{4}", fullmatch=True),
                                st.text(max_size=20)), min_size=1, max_size=7),
    as_json=st.booleans(),
)
def test_no_owner_data_in_any_answer_or_log(name, id_number, phone, phone_format, code, status, amount,
                                            verify_with, lang, user, attempts, as_json):
    assume(name.casefold() not in CORPUS)
    handler = Collect()
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    outputs: list[str] = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            tmp_path = Path(tmp)
            s = Settings(home=tmp_path, hash_salt="property-salt-0123456789", verify_with=verify_with)
            svc = DossierService(s, clock=lambda: NOW, procedure_names=lambda: {"1.001193": "Thủ tục đăng ký khai sinh"})
            row = {
                "code": code, "national_code": "", "procedure_code": "1.001193", "agency": "Uỷ ban nhân dân xã",
                "channel": "online", "received_at": "2024-08-20", "appointment_at": "2024-08-30",
                "completed_at": "2024-08-31" if status in (9, 10) else "", "status_code": str(status),
                "owner_name": name, "owner_id_number": id_number,
                "owner_phone": phone_format.format(p=phone, p1=phone[1:]),
                "amount_due": "" if amount is None else str(amount),
                "missing_documents": "Bản sao giấy khai sinh; Ảnh 4x6",
            }
            if as_json:
                path = tmp_path / "in.json"
                row["status_code"] = status
                path.write_text(json.dumps([row], ensure_ascii=False), encoding="utf-8")
            else:
                path = tmp_path / "in.csv"
                buf = io.StringIO()
                writer = csv.DictWriter(buf, fieldnames=list(IMPORT_COLUMNS))
                writer.writeheader()
                writer.writerow(row)
                path.write_text(buf.getvalue(), encoding="utf-8")
            report = svc.import_file(path)
            outputs.append(repr(report))
            assert report.inserted == 1
            wrong_code = code[:-4] + ("0000" if code[-4:] != "0000" else "0001")
            for attempt in attempts:
                digits = {"id": id_number[-4:], "phone": phone[-4:]}.get(attempt, attempt)
                for which in (code, wrong_code):
                    try:
                        result = svc.lookup(which, digits, user=user, lang=lang)
                    except (InvalidDossierCode, InvalidVerification) as e:
                        outputs.append(str(e))
                        continue
                    outputs += [result.text, json.dumps(result.to_json(), ensure_ascii=False), repr(result)]
            # A user typing personal data into the wrong box is not echoed either.
            for wrong_box in (id_number, phone, name):
                try:
                    svc.lookup(wrong_box, "1234", user=user, lang=lang)
                except InvalidDossierCode as e:
                    outputs.append(str(e))
            con = sqlite3.connect(tmp_path / "var" / "dossiers.db")
            outputs += [repr(r) for table in ("lookup_audit", "imports", "verification_failures")
                        for r in con.execute(f"SELECT * FROM {table}")]
            con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            con.close()
            stored = b"".join(p.read_bytes() for p in (tmp_path / "var").glob("dossiers.db*"))
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
    outputs += handler.lines
    assert handler.lines  # lookups were logged
    for text in outputs:
        for secret in secrets_of(name, id_number, phone):
            assert secret not in text, (secret, text)
    for secret in (name.encode(), id_number.encode(), phone.encode()):
        assert secret not in stored
