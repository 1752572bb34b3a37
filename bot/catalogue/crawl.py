"""Reading the national-portal crawl format (one JSON object per line, all values strings).

The portal flattens its tables into run-on text; this module turns a record back into structured
facts and lists what an operator should look at (`Finding`s), without guessing.
"""

from __future__ import annotations

import gzip
import io
import json
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Iterator

from .model import ChannelRow, LegalRef, Money, Procedure

CHANNEL_HEADER = "Hình thức nộpThời gianPhí, lệ phíMô tả"
CHANNEL_NAMES = {"Trực tuyến": "online", "Trực tiếp": "offline", "Dịch vụ bưu chính": "post"}
LEVEL_NAMES = {"Cấp bộ": "ministry", "Cấp tỉnh": "province", "Cấp xã": "commune", "Cơ quan khác": "other"}
TIME_UNITS = {
    "ngày làm việc": "working_day",
    "giờ làm việc": "hour",
    "ngày": "day",
    "giờ": "hour",
    "tháng": "month",
    "tuần": "week",
    "năm": "year",
}
NO_INFO = "Không có thông tin"
REQUIRED_FIELDS = ("ma_thu_tuc", "ten_thu_tuc")

_NUM = r"\d+(?:[.,]\d+)*"
_TIME = rf"(?P<tv>{_NUM})\s*(?P<tu>Ngày làm việc|Giờ làm việc|Ngày|Giờ|Tháng|Tuần|Năm)"
_FEE = rf"(?:(?P<fa>{_NUM})\s*(?P<fc>Việt Nam Đồng|VNĐ|VND|USD|Đồng|đồng)|(?P<free>Miễn phí)|(?P<none>{NO_INFO}))"
_CHANNEL = "|".join(CHANNEL_NAMES)
# A row starts at a channel name followed by its time cell or fee cell (or nothing then text):
# the name alone also appears inside descriptions, so we require a cell pattern after it.
_ROW_START = re.compile(rf"(?P<ch>{_CHANNEL})(?=\s*(?:{_NUM}\s*(?:Ngày|Giờ|Tháng|Tuần|Năm)|{_NUM}(?:Miễn phí|{NO_INFO})|Không quy định|Không phải trả kết quả|{_NUM}\s*(?:Việt Nam Đồng|VNĐ|VND|USD)|Miễn phí|{NO_INFO}|:|\(|-|$))")
_TIME_RE = re.compile(r"\s*" + _TIME)
# Some rows give a bare number of (presumably working) days: "Trực tuyến5Miễn phí". The unit is not
# stated, so it stays unknown rather than guessed.
_BARE_TIME_RE = re.compile(rf"\s*(?P<tv>\d+(?:[.,]\d+)?)(?=Miễn phí|{NO_INFO})")
_FEE_RE = re.compile(r"\s*" + _FEE)
_MONEY_IN_TEXT = re.compile(r"(\d{1,3}(?:[.,]\d{3})+|\d+)\s*(?:đồng|đ|VNĐ|VND)\b", re.IGNORECASE)
_UNTIL_DATE = re.compile(r"(?:đến hết ngày|đến ngày|hết ngày)\s*(\d{1,2})/(\d{1,2})/(\d{4})")
# Issuer suffixes of Vietnamese legal numbers, longest first: the crawl glues the number to the next
# title ("75/2022/TT-BTCNghị định …"), so a generic capital-letter run would eat the "N".
_ISSUERS = sorted(
    "BTC BCA BTP BXD BNNMT BNNPTNT BTNMT BKHĐT BKHDT NHNN BLĐTBXH BGTVT BQP BYT BCT BNV BTTTT BKHCN "
    "BVHTTDL BGDĐT TTCP VPCP TTg TANDTC VKSNDTC CP HĐND UBND BTC-BCA UBTVQH14 UBTVQH15 CTN".split(),
    key=len, reverse=True,
)
_LEGAL_NUMBER = re.compile(
    r"\d{1,2}/\d{4}/QH\d{2}|\d{1,3}/\d{4}/(?:(?:TT|NĐ|QĐ|NQ|TTLT|CT|TB)-(?:" + "|".join(_ISSUERS) + r"))"
)


class CrawlFormatError(ValueError):
    """The file is not in the crawl format (bad JSON, truncated gzip, missing fields)."""


@dataclass(frozen=True)
class Finding:
    """Something in a record an operator should check; the importer never silently fixes it."""

    code: str
    kind: str  # amount_mismatch | stale_note | code_mismatch | duplicate | unparsed_channels
    detail: str


def _to_number(text: str) -> float:
    # The portal writes thousands with "," in the fee cell ("10,000") and "." in prose.
    if re.fullmatch(r"\d{1,3}(?:[.,]\d{3})+", text):
        return float(re.sub(r"[.,]", "", text))
    return float(text.replace(",", "."))


def parse_channels(text: str) -> tuple[ChannelRow, ...]:
    """Parse the flattened channel / time / fee / description table."""
    if not text.startswith(CHANNEL_HEADER):
        return ()
    body = text[len(CHANNEL_HEADER):]
    starts = [m for m in _ROW_START.finditer(body)]
    first = re.match(rf"(?P<ch>{_CHANNEL})", body)
    if first and (not starts or starts[0].start() != 0):
        starts.insert(0, first)  # the first cell after the header is always a channel
    rows: list[ChannelRow] = []
    for i, m in enumerate(starts):
        end = starts[i + 1].start() if i + 1 < len(starts) else len(body)
        pos = m.end()
        time_value = time_unit = None
        time_text = ""
        tm = _TIME_RE.match(body, pos)
        if tm:
            time_value = _to_number(tm.group("tv"))
            time_unit = TIME_UNITS[tm.group("tu").lower()]
            time_text = tm.group(0).strip()
            pos = tm.end()
        elif bm := _BARE_TIME_RE.match(body, pos):
            time_value = _to_number(bm.group("tv"))
            time_text = bm.group("tv")
            pos = bm.end()
        elif body.startswith(NO_INFO, pos) and _FEE_RE.match(body, pos + len(NO_INFO)):
            pos += len(NO_INFO)  # "no information" in the time cell, a fee cell follows
        else:
            # A time cell in words ("Không quy định"): the text up to the fee cell, if one follows soon.
            fee_at = re.compile(_FEE).search(body, pos, min(end, pos + 200))
            if fee_at and "(" not in body[pos:fee_at.start()]:
                time_text = body[pos:fee_at.start()].strip()
                pos = fee_at.start()
        fees: list[Money] = []
        free = False
        fee_texts: list[str] = []
        while True:
            fm = _FEE_RE.match(body, pos)
            if not fm or fm.end() > end:
                break
            fee_texts.append(fm.group(0).strip())
            if fm.group("fa"):
                cur = "USD" if fm.group("fc") == "USD" else "VND"
                fees.append(Money(int(_to_number(fm.group("fa"))), cur))
            elif fm.group("free"):
                free = True
            pos = fm.end()
            if fm.group("none"):
                break
        note = body[pos:end].strip()
        rows.append(
            ChannelRow(
                channel=CHANNEL_NAMES[m.group("ch")],
                time_value=time_value,
                time_unit=time_unit,
                time_text=time_text,
                fees=tuple(fees),
                free=free,
                fee_text=" ".join(fee_texts),
                note=note,
            )
        )
    return tuple(rows)


def parse_legal_basis(text: str) -> tuple[LegalRef, ...]:
    """The legal-basis table flattens "title + number" pairs; keep the numbers, in order, once."""
    text = text.replace("Tên văn bản pháp lýMã văn bản", "")
    refs: list[LegalRef] = []
    seen: set[str] = set()
    last = 0
    for m in _LEGAL_NUMBER.finditer(text):
        number = m.group(0)
        title = text[last:m.start()].strip(" ;,.")
        last = m.end()
        if number in seen:
            continue
        seen.add(number)
        refs.append(LegalRef(number=number, title=title[:300]))
    return tuple(refs)


def parse_levels(text: str) -> tuple[str, ...]:
    out = []
    for part in text.split(","):
        level = LEVEL_NAMES.get(part.strip())
        if level and level not in out:
            out.append(level)
    return tuple(out)


def _result_name(text: str) -> str:
    # "Tên kết quảMã: KQ…Từ khóa…" -> the result names, without codes.
    text = text.split("Chọn cơ quan thực hiện")[0]
    names = re.split(r"Mã: ?KQ\.[A-Z]\d+\.\d+", text)
    names = [re.sub(r"(Từ khóa|Mô tả)(Không có thông tin)?", "", n).strip() for n in names]
    return "; ".join(n for n in names if n)[:400]


def findings_for(code: str, rows: tuple[ChannelRow, ...], today: date) -> list[Finding]:
    """Amount-vs-description disagreements and dated notes that have expired."""
    out: list[Finding] = []
    for row in rows:
        text_amounts = {int(_to_number(a)) for a in _MONEY_IN_TEXT.findall(row.note)}
        for money in row.fees:
            if money.currency != "VND" or not text_amounts:
                continue
            if money.amount not in text_amounts and any(
                a == money.amount * 1000 for a in text_amounts
            ):
                out.append(
                    Finding(code, "amount_mismatch",
                            f"{row.channel}: fee cell says {money.amount} đ, its note says "
                            f"{money.amount * 1000:,} đ".replace(",", "."))
                )
        for d, m, y in _UNTIL_DATE.findall(row.note):
            try:
                until = date(int(y), int(m), int(d))
            except ValueError:
                continue
            if until < today:
                out.append(
                    Finding(code, "stale_note",
                            f"{row.channel}: note applies 'until {until.isoformat()}', which has passed")
                )
    return out


def procedure_from_record(rec: dict, popularity: float = 0.0) -> Procedure:
    """Facts of one crawl record as a Procedure (Vietnamese only, not curated)."""
    for key in REQUIRED_FIELDS:
        if not str(rec.get(key) or "").strip():
            raise CrawlFormatError(f"record without {key}")
    code = rec["ma_thu_tuc"].strip()
    rows = parse_channels(rec.get("cach_thuc_thuc_hien", ""))
    name = " ".join(rec["ten_thu_tuc"].split())
    return Procedure(
        code=code,
        name={"vi": name},
        field=" ".join((rec.get("linh_vuc") or "").split()),
        level=parse_levels(rec.get("cap_thuc_hien", "")),
        applicants={"vi": (rec.get("doi_tuong_thuc_hien") or "").strip()} if rec.get("doi_tuong_thuc_hien") else {},
        agency=(rec.get("co_quan_thuc_hien") or rec.get("co_quan_co_tham_quyen") or "").strip(),
        receiving_agency=(rec.get("dia_chi_tiep_nhan") or "").strip(),
        result=_result_name(rec.get("ket_qua_xu_ly", "")),
        channels=rows,
        fully_online=True if "toàn trình" in name.lower() else None,
        links={"national": (rec.get("detail_url") or "").strip() or None, "provincial": None},
        legal_basis=parse_legal_basis(rec.get("can_cu_phap_ly", "")),
        source={"name": "Cổng Dịch vụ công quốc gia (crawl)", "url": rec.get("detail_url", "")},
        popularity=popularity,
    )


def _is_true(value) -> bool:
    return value is True or str(value).strip().lower() == "true"


def read_records(path: Path) -> Iterator[tuple[int, dict]]:
    """Yield (line number, record); raise CrawlFormatError on anything unreadable."""
    path = Path(path)
    if not path.exists():
        raise CrawlFormatError(f"{path}: no such file")
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as raw:
            stream = io.TextIOWrapper(raw, encoding="utf-8")
            for lineno, line in enumerate(stream, 1):
                if not line.strip():
                    continue
                try:
                    rec = json.loads(line)
                except json.JSONDecodeError as e:
                    raise CrawlFormatError(f"{path}:{lineno}: not valid JSON ({e.msg})") from e
                if not isinstance(rec, dict):
                    raise CrawlFormatError(f"{path}:{lineno}: expected a JSON object")
                yield lineno, rec
    except (EOFError, gzip.BadGzipFile, OSError, UnicodeDecodeError) as e:
        raise CrawlFormatError(f"{path}: unreadable or truncated ({e})") from e


def is_code_mismatch(rec: dict) -> bool:
    return _is_true(rec.get("_code_mismatch"))


def load_popularity(paths: list[Path]) -> dict[str, float]:
    """Portal popularity lists (TTHC_MA, WEIGHT): the highest weight per code."""
    weights: dict[str, float] = {}
    for p in paths:
        for row in json.loads(Path(p).read_text(encoding="utf-8")):
            code = str(row.get("TTHC_MA", "")).strip()
            try:
                w = float(row.get("WEIGHT", 0))
            except (TypeError, ValueError):
                continue
            if code:
                weights[code] = max(weights.get(code, 0.0), w)
    return weights
