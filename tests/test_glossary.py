"""Cross-lingual glossary: query expansion and index-time terms."""

from __future__ import annotations

import pytest

from bot.config import PROJECT_ROOT
from bot.search.glossary import Glossary, GlossaryError

SAMPLE = """
- vi: [giấy phép xây dựng]
  en: [building permit]
  zh: [建筑许可证, 建筑许可]
  ko: [건축허가]
  ja: [建築許可]
- vi: [thẻ tạm trú]
  en: [temporary residence card, trc]
  zh: [临时居住卡]
  ko: [임시거주증]
  ja: [在留カード]
"""


@pytest.fixture
def glossary(tmp_path):
    path = tmp_path / "glossary.yml"
    path.write_text(SAMPLE, encoding="utf-8")
    return Glossary.load(path)


def test_expand_finds_vietnamese_terms_in_every_language(glossary):
    assert glossary.expand("How do I get a building permit?") == ["giấy phép xây dựng"]
    assert glossary.expand("I need my TRC renewed") == ["thẻ tạm trú"]
    assert glossary.expand("建筑许可证怎么办") == ["giấy phép xây dựng"]
    assert glossary.expand("건축 허가 신청") == ["giấy phép xây dựng"]  # spaces inside Korean are ignored
    assert glossary.expand("在留カードの更新") == ["thẻ tạm trú"]
    assert glossary.expand("strict permits") == []  # English matches whole words only


def test_longest_match_wins_and_latin_terms_inside_cjk(tmp_path):
    path = tmp_path / "glossary.yml"
    path.write_text(SAMPLE + """
- vi: [tạm thời]
  en: [temporary]
  ko: [임시]
- vi: [cư trú]
  ko: [거주]
""", encoding="utf-8")
    g = Glossary.load(path)
    # "임시" and "거주" lie inside "임시거주증": only the compound's terms are added.
    assert g.expand("임시거주증을 발급받고 싶어요") == ["thẻ tạm trú"]
    assert g.expand("임시 숙소에 거주") == ["tạm thời", "cư trú"]
    assert g.expand("temporary residence card") == ["thẻ tạm trú"]
    assert g.expand("TRCの更新") == ["thẻ tạm trú"]  # ASCII word edges, not \b
    assert g.expand("ctrc") == []


def test_foreign_terms_of_a_vietnamese_name(glossary):
    terms = glossary.foreign_terms("Cấp giấy phép xây dựng nhà ở riêng lẻ")
    assert "building permit" in terms and "建筑许可" in terms and "건축허가" in terms


def test_missing_file_is_empty_and_bad_file_is_an_error(tmp_path):
    assert Glossary.load(tmp_path / "none.yml").expand("building permit") == []
    bad = tmp_path / "bad.yml"
    bad.write_text("- en: [x]\n", encoding="utf-8")
    with pytest.raises(GlossaryError):
        Glossary.load(bad)


def test_project_glossary_loads():
    g = Glossary.load(PROJECT_ROOT / "data" / "glossary.yml")
    assert len(g.raw) >= 250
    assert "thẻ tạm trú" in g.expand("temporary residence card")


def test_colloquial_vietnamese_meets_the_official_words(tmp_path):
    path = tmp_path / "glossary.yml"
    path.write_text("""
- vi: [chứng nhận quyền sử dụng đất]
  en: [land use right certificate]
  colloquial: [sổ đỏ, bìa đỏ]
- vi: [hư hỏng]
  colloquial: [mờ chữ, mờ]
""", encoding="utf-8")
    g = Glossary.load(path)
    assert g.expand("sổ đỏ bị mất làm sao") == ["chứng nhận quyền sử dụng đất"]
    assert g.expand("so do bi mat lam sao") == ["chứng nhận quyền sử dụng đất"]  # typed without diacritics
    assert g.expand("sở đó ở đâu") == []  # an accented question meets only the accented word
    assert g.expand("giấy mờ quá") == ["hư hỏng"]
    assert g.expand("xe mo to") == []  # one unaccented syllable is too ambiguous to expand
    assert g.expand("bìa đỏa") == []  # whole words only
    # Index time: an imported procedure's name brings the everyday words into its BM25 document.
    assert "sổ đỏ" in g.foreign_terms("Cấp đổi giấy chứng nhận quyền sử dụng đất")


def test_english_terms_meet_their_inflections(tmp_path):
    path = tmp_path / "glossary.yml"
    path.write_text("""
- vi: [gia hạn]
  en: [extend]
- vi: [cấp lại]
  en: [reissue]
- vi: [thẻ căn cước]
  en: [id card, id]
""", encoding="utf-8")
    g = Glossary.load(path)
    for text in ("extend my stay", "extends", "I extended it", "extending the visa"):
        assert g.expand(text) == ["gia hạn"], text
    assert g.expand("reissuing a card") == ["cấp lại"]
    assert g.expand("lost my ID cards") == ["thẻ căn cước"]
    assert g.expand("a good idea") == [] and g.expand("extendable") == []
