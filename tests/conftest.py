"""Shared fixtures. Tests that read ../shared/data skip cleanly when it is absent."""

from __future__ import annotations

import gzip
import json
import shutil
from datetime import datetime, timezone
from pathlib import Path

import pytest

from bot.config import PROJECT_ROOT, Settings

SHARED_DATA = PROJECT_ROOT.parent / "shared" / "data"
CRAWL = SHARED_DATA / "dvcqg_tthc_2642.jsonl.gz"
CURATED_DIR = PROJECT_ROOT / "data" / "procedures"
HEADER = "Hình thức nộpThời gianPhí, lệ phíMô tả"


def crawl_record(code: str, name: str, channels: str = "", **extra) -> dict:
    """A record in the national-crawl format (all values strings), with our own sample text."""
    rec = {
        "ma_thu_tuc": code, "detail_url": f"https://dichvucong.gov.vn/thu-tuc-hanh-chinh/{code}",
        "formality_id": "", "ten_thu_tuc": name, "so_quyet_dinh": "", "cap_thuc_hien": "Cấp xã",
        "loai_thu_tuc": "", "linh_vuc": "Hộ tịch", "doi_tuong_thuc_hien": "Công dân Việt Nam",
        "co_quan_co_tham_quyen": "Ủy ban nhân dân cấp xã", "dia_chi_tiep_nhan": "", "co_quan_duoc_uy_quyen": "",
        "co_quan_phoi_hop": "", "thu_tuc_lien_quan": "", "trinh_tu_thuc_hien": "Bước 1: nộp hồ sơ.",
        "cach_thuc_thuc_hien": HEADER + channels if channels else HEADER,
        "thanh_phan_ho_so": "", "can_cu_phap_ly": "Tên văn bản pháp lýMã văn bảnLuật Hộ tịch60/2014/QH13",
        "co_quan_thuc_hien": "Ủy ban nhân dân cấp xã", "yeu_cau_dieu_kien": "", "ket_qua_xu_ly": "Trích lụcMã: KQ.G01.000001",
        "raw_text": "", "_source_path": "", "_source_ministry_folder": "", "_code_in_raw_text": code,
        "_code_mismatch": False,
    }
    rec.update(extra)
    return rec


SAMPLE_RECORDS = [
    crawl_record("1.001193", "Thủ tục đăng ký khai sinh",
                 "Trực tuyến3 Ngày làm việcMiễn phí(Miễn lệ phí.)Trực tiếp3 Ngày làm việcMiễn phí(Miễn lệ phí.)"),
    crawl_record("1.004194", "Đăng ký tạm trú",
                 "Trực tuyến3 Ngày làm việc7,000 Việt Nam Đồng(thu 7.000 đồng/lần khi nộp trực tuyến.)"
                 "Trực tiếp3 Ngày làm việc10,000 Việt Nam Đồng(thu 10.000 đồng/lần.)",
                 cap_thuc_hien="Cấp xã", linh_vuc="Đăng ký, quản lý cư trú"),
    crawl_record("1.001200", "Cấp giấy thông hành biên giới (mẫu thử)",
                 "Trực tuyến3 Ngày làm việc40 Việt Nam Đồng(40.000đ/giấy (áp dụng đến hết ngày 31/12/2024).)"
                 "Trực tiếp3 Ngày làm việc50 Việt Nam Đồng(50.000đ/giấy.)", cap_thuc_hien="Cấp tỉnh"),
    crawl_record("1.003460", "Cấp thẻ tạm trú cho người nước ngoài (mẫu thử)",
                 "Trực tuyến5 Ngày làm việc145 USD(145 USD/thẻ.)Dịch vụ bưu chính5 Ngày làm việc145 USD(gửi bổ sung qua bưu chính.)",
                 cap_thuc_hien="Cấp tỉnh"),
    crawl_record("9.999999", "Thủ tục có mã sai", _code_mismatch=True),
    crawl_record("1.001193", "Thủ tục đăng ký khai sinh (bản trùng)"),
]


class Clock:
    """A settable clock for the stores and the router: `clock.at = …` moves time."""

    def __init__(self, at: datetime):
        self.at = at

    def __call__(self) -> datetime:
        return self.at


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2025, 3, 3, 2, 0, tzinfo=timezone.utc))  # Monday 09:00 in Vietnam


def write_jsonl(path: Path, records: list[dict], gz: bool = False) -> Path:
    text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    if gz:
        with gzip.open(path, "wt", encoding="utf-8") as f:
            f.write(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def sample_crawl(tmp_path) -> Path:
    return write_jsonl(tmp_path / "crawl.jsonl.gz", SAMPLE_RECORDS, gz=True)


@pytest.fixture
def small_home(tmp_path) -> Path:
    """A project home with a handful of real curated files and no import."""
    home = tmp_path / "home"
    (home / "data" / "procedures").mkdir(parents=True)
    for code in ("1.001193", "1.004194", "1.003460", "1.003144", "1.012786", "2.000806"):
        src = CURATED_DIR / f"{code}.yml"
        if src.exists():
            shutil.copy(src, home / "data" / "procedures")
    return home


@pytest.fixture
def small_settings(small_home) -> Settings:
    return Settings(home=small_home, shared_data=small_home / "no-shared")


requires_shared = pytest.mark.skipif(not CRAWL.exists(), reason="../shared/data is absent on this machine")


@pytest.fixture
def imported_home(tmp_path, sample_crawl) -> Path:
    """A project home with one curated file (1.004194) and the sample crawl imported."""
    from bot.catalogue import import_crawl

    home = tmp_path / "home"
    (home / "data" / "procedures").mkdir(parents=True)
    shutil.copy(CURATED_DIR / "1.004194.yml", home / "data" / "procedures")
    import_crawl(sample_crawl, Settings(home=home).catalogue_db)
    return home
