"""Follow-up questions: which words only ask about a procedure, and which name one."""

from __future__ import annotations

import pytest

from bot.search.followup import asks_if_required, residue


@pytest.mark.parametrize("text, lang", [
    ("có nộp trực tuyến được không", "vi"),
    ("lệ phí hết bao nhiêu vậy?", "vi"),
    ("cơ quan nào giải quyết", "vi"),
    ("can I apply online?", "en"),
    ("how much does it cost?", "en"),
    ("10 copies how much", "en"),
    ("nộp trực tiếp ở đâu", "vi"),  # in person: "trực tiếp" had picked "... chiết khấu ... trực tiếp"
    ("làm trực tiếp thì mất mấy ngày", "vi"),  # "mất" left alone had picked a reissue "do bị mất"
    ("can I apply in person?", "en"),
    ("可以在网上提交吗", "zh"),
    ("온라인 가능해요?", "ko"),
    ("オンラインで申請できますか", "ja"),
])
def test_a_question_that_only_asks_leaves_nothing(text, lang):
    assert residue(text, lang) == ""


@pytest.mark.parametrize("text, lang, subject", [
    ("làm sổ đỏ lần đầu cần giấy tờ gì", "vi", "sổ đỏ lần đầu"),
    ("phí làm hộ chiếu bao nhiêu", "vi", "hộ chiếu"),
    ("làm lại sổ đỏ bị mất mất mấy ngày", "vi", "lại sổ đỏ bị mất"),  # "lost" stays, "takes" goes
    ("nộp hộ chiếu online được không", "vi", "hộ chiếu"),  # a borrowed English word goes too
    ("I am marrying a Vietnamese woman, what do I need?", "en", "am marrying vietnamese woman"),
    ("临时居留卡需要什么材料", "zh", "临时居留卡"),
    ("임시거주카드 수수료 얼마예요", "ko", "임시거주카드"),
    ("在留カードの手数料はいくら？", "ja", "在留カード"),
])
def test_a_question_that_names_its_procedure_keeps_the_name(text, lang, subject):
    assert residue(text, lang) == subject


def test_vietnamese_syllables_that_are_english_words_stay():
    # "an", "do", "can" are English function words and Vietnamese syllables ("an ninh", "can thiệp").
    assert residue("giấy phép an ninh trật tự cần gì", "vi") == "giấy phép an ninh trật tự"


@pytest.mark.parametrize("text, lang, asks", [
    ("có cần hộ chiếu không", "vi", True),
    ("có cần bản dịch công chứng không", "vi", True),
    ("phí làm hộ chiếu bao nhiêu", "vi", False),
    ("do I need my passport?", "en", True),
    ("is a copy ok", "en", True),
    ("what do I need for a passport", "en", False),
    ("复印件需要公证吗", "zh", True),
    ("사본으로 제출해도 괜찮아요?", "ko", True),
    ("コピーで大丈夫ですか", "ja", True),
    ("在留カードの手数料はいくら？", "ja", False),
])
def test_whether_a_paper_is_required(text, lang, asks):
    assert asks_if_required(text, lang) is asks
