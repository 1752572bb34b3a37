"""Status texts and answers of bot.dossiers in all five languages."""

from __future__ import annotations

import string
from datetime import datetime, timezone
from pathlib import Path

import pytest

from bot.config import Settings
from bot.dossiers import LANGS, STATUS_CODES, STATUS_TEXTS, DossierService, status_text
from bot.dossiers.texts import MESSAGES, format_amount, format_when, next_step

DATA = Path(__file__).parent / "data"
START = datetime(2024, 9, 1, 3, 0, tzinfo=timezone.utc)


def fields_of(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


@pytest.fixture
def svc(tmp_path) -> DossierService:
    s = Settings(home=tmp_path, hash_salt="test-salt-0123456789abcdef", provincial_portal="https://dichvucong.quangngai.gov.vn")
    service = DossierService(s, clock=lambda: START, procedure_names=dict)
    service.import_file(DATA / "dossiers_good.csv")
    return service


def test_langs_match_the_catalogue():
    from bot.catalogue.model import LANGS as CATALOGUE_LANGS

    assert LANGS == CATALOGUE_LANGS == ("vi", "en", "zh", "ko", "ja")


def test_every_status_has_all_five_languages():
    assert sorted(STATUS_TEXTS) == list(STATUS_CODES) == list(range(1, 11))
    for code, by_lang in STATUS_TEXTS.items():
        assert set(by_lang) == set(LANGS), code
        for lang, st in by_lang.items():
            assert st.label.strip() and st.meaning.strip() and st.next_step.strip(), (code, lang)
            assert "TODO" not in st.label + st.meaning + st.next_step
    for lang in LANGS:
        labels = [STATUS_TEXTS[c][lang].label for c in STATUS_CODES]
        assert len(set(labels)) == 10, lang  # each status reads differently


def test_placeholders_agree_across_languages():
    expected = {5: {"documents"}, 6: {"amount", "portal"}}
    for code, by_lang in STATUS_TEXTS.items():
        for lang, st in by_lang.items():
            assert fields_of(st.next_step) == expected.get(code, set()), (code, lang)
            assert not fields_of(st.label) and not fields_of(st.meaning)
    for key, by_lang in MESSAGES.items():
        assert set(by_lang) == set(LANGS), key
        assert len({frozenset(fields_of(t)) for t in by_lang.values()}) == 1, key


def test_translations_are_not_copies_of_english():
    for code in STATUS_CODES:
        en = STATUS_TEXTS[code]["en"]
        for lang in ("vi", "zh", "ko", "ja"):
            assert STATUS_TEXTS[code][lang].meaning != en.meaning


def test_vietnamese_labels_follow_the_national_status_table():
    assert status_text(1, "vi").label == "Mới đăng ký"
    assert status_text(4, "vi").label == "Đang xử lý"
    assert status_text(5, "vi").label == "Yêu cầu bổ sung giấy tờ"
    assert status_text(6, "vi").label == "Yêu cầu thực hiện nghĩa vụ tài chính"
    assert status_text(10, "vi").label == "Đã trả kết quả"


@pytest.mark.parametrize("lang", LANGS)
def test_status_5_lists_the_missing_documents(lang):
    text = next_step(5, lang, documents=("Giấy xác nhận tình trạng hôn nhân", "Ảnh 4x6"))
    assert "Giấy xác nhận tình trạng hôn nhân" in text and "Ảnh 4x6" in text
    fallback = next_step(5, lang)
    assert MESSAGES["missing_unknown"][lang] in fallback


@pytest.mark.parametrize("lang,amount", [
    ("vi", "1.250.000\xa0₫"), ("en", "₫1,250,000"), ("zh", "₫1,250,000"), ("ko", "₫1,250,000"), ("ja", "₫1,250,000"),
])
def test_status_6_gives_the_amount_with_babel_and_says_pay_online(lang, amount):
    assert format_amount(1250000, lang) == amount
    text = next_step(6, lang, amount=1250000)
    assert amount in text and "https://dichvucong.gov.vn" in text
    with_provincial = next_step(6, lang, amount=1250000, provincial_portal="https://dvc.example.vn")
    assert "https://dvc.example.vn" in with_provincial
    assert MESSAGES["amount_unknown"][lang] in next_step(6, lang)


@pytest.mark.parametrize("lang,expected", [
    ("vi", "30 tháng 8, 2024"), ("en", "August 30, 2024"), ("zh", "2024年8月30日"), ("ko", "2024년 8월 30일"),
    ("ja", "2024年8月30日"),
])
def test_dates_are_written_per_locale(lang, expected):
    assert format_when("2024-08-30", lang) == expected
    assert format_when("2024-08-30T10:00:00+00:00", lang).startswith(expected)  # 17:00 in Vietnam
    assert format_when(None, lang) == MESSAGES["not_set"][lang]


@pytest.mark.parametrize("lang", LANGS)
def test_answers_in_each_language(svc, lang):
    overdue = svc.lookup("H48.01-240823-0002", "5678", user=f"u-{lang}", lang=lang)
    assert overdue.ok and overdue.lang == lang
    assert overdue.status == STATUS_TEXTS[5][lang].label
    assert STATUS_TEXTS[5][lang].meaning in overdue.text
    assert "Giấy xác nhận tình trạng hôn nhân" in overdue.next_step
    assert MESSAGES["overdue"][lang] in overdue.next_step and MESSAGES["overdue_tag"][lang] in overdue.text
    pay = svc.lookup("H48.01-240824-0003", "9999", user=f"u-{lang}", lang=lang)
    assert format_amount(1250000, lang) in pay.next_step
    assert "https://dichvucong.quangngai.gov.vn" in pay.next_step
    assert MESSAGES["channel_post"][lang] in pay.text
    wrong = svc.lookup("H48.01-240824-0003", "0000", user=f"w-{lang}", lang=lang)
    assert wrong.outcome == "not_verified"
    assert MESSAGES["hint_id_number"][lang] in wrong.text
    if lang != "en":
        assert STATUS_TEXTS[5]["en"].label not in overdue.text


@pytest.mark.parametrize("lang", LANGS)
def test_locked_answer_in_each_language(svc, lang):
    for i in range(5):
        svc.lookup("H48.01-240823-0001", f"000{i}", user=f"lock-{lang}", lang=lang)
    r = svc.lookup("H48.01-240823-0001", "1234", user=f"lock-{lang}", lang=lang)
    assert r.outcome == "rate_limited"
    assert r.text == MESSAGES["rate_limited"][lang].format(minutes=60)
