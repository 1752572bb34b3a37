"""Demo dossiers for a local run: fake owners, dates relative to today, labelled demo everywhere.

Codes are `DEMO-250101-000N`; the verification digits of dossier N are N written four times
(`1111`, `2222`, …) whether lookups verify with the identity number or the phone. They are stored
with `demo = 1` and every answer about them starts with a demo label.
"""

from __future__ import annotations

from datetime import date, timedelta

from .importer import ParsedRow

DEMO_NOTE = "Hồ sơ mẫu (demo), không phải hồ sơ thật. / Demo dossier, not a real application."

# (procedure code, official name, agency, channel, status, received, appointment, completed (days from
#  today), amount due, missing documents)
_DEMOS = (
    ("1.001193", "Thủ tục đăng ký khai sinh", "Ủy ban nhân dân xã (demo)", "online", 4, -3, 2, None, None, ()),
    ("1.004194", "Đăng ký tạm trú", "Công an xã (demo)", "offline", 4, -9, -2, None, None, ()),
    ("1.000894", "Thủ tục đăng ký kết hôn", "Ủy ban nhân dân xã (demo)", "offline", 5, -4, 3, None, None,
     ("Giấy xác nhận tình trạng hôn nhân", "Bản sao trích lục ghi chú ly hôn")),
    ("1.012786", "Cấp lại Giấy chứng nhận do bị mất", "Văn phòng đăng ký đất đai tỉnh Quảng Ngãi (demo)",
     "post", 6, -12, 8, None, 100000, ()),
    ("3.000347", "Đổi giấy phép lái xe", "Phòng Cảnh sát giao thông, Công an tỉnh Quảng Ngãi (demo)", "online",
     9, -6, -1, -1, None, ()),
    ("2.000635", "Cấp bản sao Trích lục hộ tịch, bản sao Giấy khai sinh", "Ủy ban nhân dân xã (demo)", "online",
     10, -20, -17, -18, None, ()),
)


def demo_rows(today: date) -> list[tuple[ParsedRow, str, str]]:
    """[(row, official procedure name, verification digits)] for the demo dossiers."""
    out = []
    for n, (proc, name, agency, channel, status, received, appointment, completed, amount, docs) in enumerate(
        _DEMOS, start=1
    ):
        def day(offset: int | None) -> str | None:
            return None if offset is None else (today + timedelta(days=offset)).isoformat()

        digits = str(n) * 4
        row = ParsedRow(
            line=n, code=f"DEMO-250101-{n:04d}", national_code=None, procedure_code=proc, agency=agency,
            channel=channel, received_at=day(received) or "", appointment_at=day(appointment),
            completed_at=day(completed), status_code=status, amount_due=amount, missing_documents=docs,
            id_number="00000000" + digits, phone="090000" + digits,
        )
        out.append((row, name, digits))
    return out
