"""Reading and checking dossier import files (CSV or JSON) and turning rows into store records.

A file has exactly the columns (CSV header) or keys (JSON array of objects) of `IMPORT_COLUMNS`.
Row-level problems (a bad date, an unknown channel, a code that does not match the pattern…) are
reported with the row's line number and the row is skipped; file-level problems (unreadable, not
UTF-8, wrong columns, broken JSON, no valid row) raise `DossierImportError` and nothing is applied.
Reasons never repeat a cell's value, so a report can be logged or mailed safely.

The owner's name is read only to check that it does not leak into other columns, then dropped; the
identity number and phone leave this module only as keyed hashes (`to_record`).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from bisect import bisect_right
from dataclasses import dataclass, field
from pathlib import Path

from . import privacy
from .model import (
    CHANNELS,
    IMPORT_COLUMNS,
    STATUS_CODES,
    DossierImportError,
    InvalidDossierCode,
    RowProblem,
    parse_when,
)
from .normalise import last4, normalise_code, normalise_id_number, normalise_phone

MAX_TEXT = 500
MAX_DOCUMENTS = 50
_AMOUNT = re.compile(r"\d+|\d{1,3}(?:[., ]\d{3})+")
_FREE_TEXT = ("national_code", "procedure_code", "agency")


@dataclass(frozen=True)
class ParsedRow:
    """One valid row. The owner's data is excluded from repr so that it cannot end up in a log."""

    line: int
    code: str
    national_code: str | None
    procedure_code: str
    agency: str
    channel: str
    received_at: str
    appointment_at: str | None
    completed_at: str | None
    status_code: int
    amount_due: int | None
    missing_documents: tuple[str, ...]
    id_number: str | None = field(default=None, repr=False)
    phone: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class ParsedFile:
    path: str
    sha256: str
    records: int
    rows: tuple[ParsedRow, ...]
    problems: tuple[RowProblem, ...]


# --- reading --------------------------------------------------------------------------------------


def _decode(path: Path) -> tuple[str, bytes]:
    try:
        data = Path(path).read_bytes()
    except OSError as e:
        raise DossierImportError(f"{path}: cannot read the file ({e.strerror or e})") from None
    try:
        return data.decode("utf-8-sig"), data
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        raise DossierImportError(f"{path}: line {line}: the file is not UTF-8 text") from None


def _check_header(path: Path, names: list[str]) -> None:
    duplicates = sorted({n for n in names if names.count(n) > 1})
    missing = [c for c in IMPORT_COLUMNS if c not in names]
    extra = [n[:40] for n in names if n not in IMPORT_COLUMNS]
    parts = []
    if missing:
        parts.append("missing " + ", ".join(missing))
    if extra:
        parts.append("unexpected " + ", ".join(repr(n) for n in extra))
    if duplicates:
        parts.append("repeated " + ", ".join(duplicates))
    if parts:
        raise DossierImportError(
            f"{path}: line 1: the columns must be exactly {', '.join(IMPORT_COLUMNS)} ({'; '.join(parts)})"
        )


def _csv_records(path: Path, text: str) -> tuple[list[tuple[int, dict]], list[RowProblem]]:
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = next(reader, None)
        if header is None:
            raise DossierImportError(f"{path}: the file is empty")
        names = [h.strip() for h in header]
        _check_header(path, names)
        records: list[tuple[int, dict]] = []
        problems: list[RowProblem] = []
        while True:
            start = reader.line_num + 1
            row = next(reader, None)
            if row is None:
                break
            if not any(cell.strip() for cell in row):
                continue  # blank line
            if len(row) != len(names):
                problems.append(RowProblem(start, f"has {len(row)} cells, the header has {len(names)}"))
                continue
            records.append((start, dict(zip(names, row))))
    except csv.Error as e:
        raise DossierImportError(f"{path}: line {reader.line_num}: not valid CSV ({e})") from None
    return records, problems


def _json_records(path: Path, text: str) -> tuple[list[tuple[int, object]], list[RowProblem]]:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise DossierImportError(f"{path}: line {e.lineno}: not valid JSON ({e.msg})") from None
    if not isinstance(doc, list):
        raise DossierImportError(f"{path}: line 1: the file must hold a JSON array of dossier objects")
    newlines = [i for i, ch in enumerate(text) if ch == "\n"]
    decoder = json.JSONDecoder()
    ws = re.compile(r"[ \t\r\n]*")
    out: list[tuple[int, object]] = []
    pos = ws.match(text, 0).end() + 1  # past "["
    while True:
        pos = ws.match(text, pos).end()
        if text[pos] == "]":
            break
        value, end = decoder.raw_decode(text, pos)
        out.append((bisect_right(newlines, pos - 1) + 1, value))
        pos = ws.match(text, end).end()
        if text[pos] == ",":
            pos += 1
    return out, []


def read_records(path: Path) -> tuple[str, list[tuple[int, object]], list[RowProblem]]:
    """(sha256, [(line, record)], problems found while splitting rows). Raises DossierImportError."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".json"):
        raise DossierImportError(f"{path}: unknown file type {suffix or '(none)'!r}; use a .csv or .json file")
    text, data = _decode(path)
    sha = hashlib.sha256(data).hexdigest()
    if not text.strip():
        raise DossierImportError(f"{path}: the file is empty")
    if suffix == ".csv":
        records, problems = _csv_records(path, text)
    else:
        records, problems = _json_records(path, text)
    return sha, list(records), problems


# --- checking -------------------------------------------------------------------------------------


class _Bad(ValueError):
    pass


def _text(value: object, *, required: bool = False, limit: int = MAX_TEXT) -> str | None:
    if value is None:
        if required:
            raise _Bad("is required")
        return None
    if not isinstance(value, str):
        raise _Bad("must be text (a string)")
    value = value.strip()
    if not value:
        if required:
            raise _Bad("is required")
        return None
    if len(value) > limit:
        raise _Bad(f"is longer than {limit} characters")
    return value


def _when(value: object, *, required: bool = False) -> str | None:
    text = _text(value, required=required, limit=40)
    if text is None:
        return None
    try:
        return parse_when(text).isoformat()
    except ValueError:
        raise _Bad("must be an ISO 8601 date (2024-08-23) or date-time (2024-08-23T09:30:00+07:00)") from None


def _status(value: object) -> int:
    if isinstance(value, bool):
        raise _Bad("must be a whole number from 1 to 10")
    if isinstance(value, int):
        number = value
    else:
        text = _text(value, required=True, limit=10) or ""
        if not text.isascii() or not text.isdigit():
            raise _Bad("must be a whole number from 1 to 10")
        number = int(text)
    if number not in STATUS_CODES:
        raise _Bad("must be a whole number from 1 to 10")
    return number


def _amount(value: object) -> int | None:
    if isinstance(value, bool):
        raise _Bad("must be a whole number of đồng (e.g. 1500000), or empty")
    if isinstance(value, int):
        if value < 0:
            raise _Bad("must not be negative")
        return value
    text = _text(value, limit=30)
    if text is None:
        return None
    if not text.isascii() or not _AMOUNT.fullmatch(text):
        raise _Bad("must be a whole number of đồng (e.g. 1500000), or empty")
    return int(re.sub(r"\D", "", text))


def _documents(value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, list):
        items = value
    elif isinstance(value, str):
        items = value.splitlines() if "\n" in value.strip() else value.split(";")
    else:
        raise _Bad("must be a list of document names or text separated by ';'")
    out = []
    for item in items:
        if not isinstance(item, str):
            raise _Bad("must be a list of document names (strings)")
        item = item.strip()
        if item:
            if len(item) > MAX_TEXT:
                raise _Bad(f"has a document name longer than {MAX_TEXT} characters")
            out.append(item)
    if len(out) > MAX_DOCUMENTS:
        raise _Bad(f"lists more than {MAX_DOCUMENTS} documents")
    return tuple(out)


def _personal(value: object, normalise) -> str | None:
    text = _text(value, limit=40)
    if text is None:
        return None
    try:
        return normalise(text)
    except ValueError as e:
        raise _Bad(str(e)) from None


def check_record(line: int, record: object, *, pattern: str, verify_with: str) -> tuple[ParsedRow | None, list[RowProblem]]:
    """Validate one record; every problem of the row is reported (none repeats a value)."""
    if not isinstance(record, dict):
        return None, [RowProblem(line, "must be a JSON object with the dossier keys")]
    keys = set(record)
    if keys != set(IMPORT_COLUMNS):
        missing = [c for c in IMPORT_COLUMNS if c not in keys]
        extra = sorted(str(k)[:40] for k in keys - set(IMPORT_COLUMNS))
        detail = "; ".join(filter(None, [
            "missing " + ", ".join(missing) if missing else "",
            "unexpected " + ", ".join(repr(k) for k in extra) if extra else "",
        ]))
        return None, [RowProblem(line, f"the keys must be exactly the import columns ({detail})")]

    problems: list[RowProblem] = []
    values: dict = {}

    def take(column: str, fn) -> None:
        try:
            values[column] = fn(record[column])
        except _Bad as e:
            problems.append(RowProblem(line, str(e), column))

    def code(value: object) -> str:
        text = _text(value, required=True, limit=100) or ""
        try:
            return normalise_code(text, pattern)
        except InvalidDossierCode:
            raise _Bad("is not a dossier code matching THUTUC_DOSSIER_CODE_PATTERN") from None

    def channel(value: object) -> str:
        text = (_text(value, required=True, limit=20) or "").lower()
        if text not in CHANNELS:
            raise _Bad("must be one of " + ", ".join(CHANNELS))
        return text

    take("code", code)
    take("national_code", lambda v: _text(v, limit=100))
    take("procedure_code", lambda v: _text(v, required=True, limit=100))
    take("agency", lambda v: _text(v, required=True))
    take("channel", channel)
    take("received_at", lambda v: _when(v, required=True))
    take("appointment_at", _when)
    take("completed_at", _when)
    take("status_code", _status)
    take("owner_name", lambda v: _text(v, limit=200))
    take("owner_id_number", lambda v: _personal(v, normalise_id_number))
    take("owner_phone", lambda v: _personal(v, normalise_phone))
    take("amount_due", _amount)
    take("missing_documents", _documents)

    id_number, phone = values.get("owner_id_number"), values.get("owner_phone")
    if not problems:
        if verify_with == "id_number" and not id_number:
            problems.append(RowProblem(line, "is required to verify lookups (THUTUC_VERIFY_WITH=id_number)",
                                       "owner_id_number"))
        elif verify_with == "phone" and not phone:
            problems.append(RowProblem(line, "is required to verify lookups (THUTUC_VERIFY_WITH=phone)",
                                       "owner_phone"))
        elif verify_with == "either" and not (id_number or phone):
            problems.append(RowProblem(line, "owner_id_number or owner_phone is required to verify lookups"))
        problems.extend(_leaks(line, values, record))
    if problems:
        return None, problems
    return ParsedRow(
        line=line, code=values["code"], national_code=values["national_code"],
        procedure_code=values["procedure_code"], agency=values["agency"], channel=values["channel"],
        received_at=values["received_at"], appointment_at=values["appointment_at"],
        completed_at=values["completed_at"], status_code=values["status_code"],
        amount_due=values["amount_due"], missing_documents=values["missing_documents"],
        id_number=id_number, phone=phone,
    ), []


def _leaks(line: int, values: dict, record: dict) -> list[RowProblem]:
    """Personal data must not sit in the columns shown to the user."""
    secrets = []
    name = values.get("owner_name")
    if name and len(name) >= 4:
        secrets.append(("the owner's name", name.casefold()))
    for label, column in (("the identity number", "owner_id_number"), ("the phone number", "owner_phone")):
        raw = record.get(column)
        if isinstance(raw, str) and raw.strip():
            secrets.append((label, raw.strip().casefold()))
        if values.get(column):
            secrets.append((label, values[column].casefold()))
    out = []
    shown = {c: values.get(c) or "" for c in _FREE_TEXT}
    shown["missing_documents"] = "\n".join(values.get("missing_documents") or ())
    for column, text in shown.items():
        folded = text.casefold()
        for label, secret in secrets:
            if secret and secret in folded:
                out.append(RowProblem(line, f"contains {label}; personal data may not appear here", column))
                break
    return out


def parse_file(path: Path, *, pattern: str, verify_with: str) -> ParsedFile:
    """Read and check a whole file; nothing is written. Raises DossierImportError on a fatal problem."""
    sha, records, problems = read_records(path)
    count = len(records) + len(problems)  # rows that could not even be split are rows too
    rows: list[ParsedRow] = []
    first_line: dict[str, int] = {}
    for line, record in records:
        row, row_problems = check_record(line, record, pattern=pattern, verify_with=verify_with)
        problems.extend(row_problems)
        if row is None:
            continue
        if row.code in first_line:
            problems.append(RowProblem(line, f"repeats the code of line {first_line[row.code]}; skipped", "code"))
            continue
        first_line[row.code] = line
        rows.append(row)
    problems.sort(key=lambda p: p.line)
    return ParsedFile(str(path), sha, count, tuple(rows), tuple(problems))


# --- records --------------------------------------------------------------------------------------


def to_record(row: ParsedRow, hasher: privacy.Hasher, *, procedure_name: str | None, updated_at: str,
              demo: bool = False, status_note: str | None = None) -> dict:
    """The store row: personal data only as keyed hashes bound to the dossier code."""
    code = row.code
    record = {
        "code": code, "national_code": row.national_code, "procedure_code": row.procedure_code,
        "procedure_name": procedure_name, "agency": row.agency, "channel": row.channel,
        "received_at": row.received_at, "appointment_at": row.appointment_at,
        "completed_at": row.completed_at, "status_code": row.status_code, "status_note": status_note,
        "amount_due": row.amount_due,
        "missing_documents": json.dumps(list(row.missing_documents), ensure_ascii=False),
        "id_hash": hasher.digest(privacy.ID, code, row.id_number) if row.id_number else None,
        "id4_hash": hasher.digest(privacy.ID4, code, last4(row.id_number)) if row.id_number else None,
        "phone_hash": hasher.digest(privacy.PHONE, code, row.phone) if row.phone else None,
        "phone4_hash": hasher.digest(privacy.PHONE4, code, last4(row.phone)) if row.phone else None,
        "salt_id": hasher.salt_id, "demo": int(demo),
    }
    record["fingerprint"] = hashlib.sha256(
        json.dumps(record, sort_keys=True, ensure_ascii=False).encode("utf-8")
    ).hexdigest()
    record["updated_at"] = updated_at
    return record
