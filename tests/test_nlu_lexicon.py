"""Channel, language and quantity entities from word lists (bot.nlu.lexicon + LexiconEntities)."""

from __future__ import annotations

import os
import unicodedata

os.environ["RASA_TELEMETRY_ENABLED"] = "false"

import pytest

from bot.nlu.lexicon import find_entities, normalise, number_value


def found(text: str) -> set[tuple[str, str]]:
    return {(f.entity, f.value) for f in find_entities(text)}


@pytest.mark.parametrize("text, expected", [
    # quantity with a counter, digits or words, in each language
    ("lệ phí cấp 2 bản sao là bao nhiêu", {("quantity", "2")}),
    ("năm bản sao nộp trực tiếp hết bao nhiêu", {("quantity", "5"), ("channel", "offline")}),
    ("how much for 3 certified copies online", {("quantity", "3"), ("channel", "online")}),
    ("two copies by post", {("quantity", "2"), ("channel", "post")}),
    ("网上提交3份多少钱", {("quantity", "3"), ("channel", "online")}),
    ("两份 现场办", {("quantity", "2"), ("channel", "offline")}),
    ("十二份", {("quantity", "12")}),
    ("コピー3部の認証料はいくら？", {("quantity", "3")}),
    ("ひとつだけならいくら", {("quantity", "1")}),
    ("オンラインで４部お願いしたら", {("quantity", "4"), ("channel", "online")}),
    ("세 부 주세요", {("quantity", "3")}),
    ("사본 5장 인증하면 얼마죠", {("quantity", "5")}),
    ("다섯 장 공증하면 얼마", {("quantity", "5")}),
    ("온라인으로 신청하면 얼마예요", {("channel", "online")}),
    ("비대면으로 돼요?", {("channel", "online")}),  # not "대면" (in person) inside it
    # a reply that is only a number
    ("5", {("quantity", "5")}),
    ("4 please", {("quantity", "4")}),
    ("하나요", {("quantity", "1")}),
    # language names, with particles and without diacritics
    ("chuyển sang tiếng Nhật", {("language", "ja")}),
    ("noi tieng viet di", {("language", "vi")}),
    ("Japaneseでお願い", {("language", "ja")}),
    ("한국어로 해 주세요", {("language", "ko")}),
    ("换成tiếng Việt", {("language", "vi")}),
])
def test_entities_per_language(text, expected):
    assert found(text) == expected


@pytest.mark.parametrize("text", [
    "H56.14-240823-0001",          # a dossier code
    "thủ tục 1.004194",            # a procedure code
    "0392",                        # verification digits
    "1234",
    "hai",                         # English "hi" as often as Vietnamese "two"
    "네",                          # Korean "yes"
    "세부 내용 알려 주세요",         # "details", not three copies
    "일부 서류만 있어요",            # "some documents"
    "一部の書類がありません",         # "some of the documents"
    "mất 3 ngày à",                # three days
    "lệ phí 50.000 đồng",          # an amount
    "3개월 걸려요?",                # three months
    "第一个",                       # "the first one"
    "你好，在线吗",                  # "are you there?"
])
def test_not_entities(text):
    assert not {e for e in found(text) if e[0] in ("quantity", "channel")}


def test_spans_point_into_the_original_text():
    for text in ["Nộp TRỰC TUYẾN ３ bản", "ｏｎｌｉｎｅ please, 2 copies", "3 ba\u0309n nộp tru\u031bc tuyê\u0301n"]:
        for f in find_entities(text):
            assert text[f.start:f.end] == f.text
            assert f.text.strip() == f.text and f.text
    decomposed = unicodedata.normalize("NFD", "nộp trực tuyến 2 bản")
    assert found(decomposed) == {("channel", "online"), ("quantity", "2")}
    assert len(normalise(decomposed)[0]) == len("nộp trực tuyến 2 bản")


def test_each_entity_value_once_in_text_order():
    entities = find_entities("online, online again, then in person")
    assert [(f.entity, f.value) for f in entities] == [("channel", "online"), ("channel", "offline")]


def test_number_words():
    assert [number_value(w) for w in ["7", "twelve", "bốn", "两", "二十", "十五", "여섯", "みっつ"]] == [
        7, 12, 4, 2, 20, 15, 6, 3]
    assert number_value("lots") is None


def test_component_keeps_entities_where_the_dialogue_uses_them():
    from rasa.shared.nlu.training_data.message import Message

    from bot.nlu.entities import LexiconEntities

    component = LexiconEntities.create(LexiconEntities.get_default_config(), None, None, None)

    def entities(text, intent):
        message = Message(data={"text": text, "intent": {"name": intent, "confidence": 0.9}})
        component.process([message])
        return [(e["entity"], e["value"], e["extractor"]) for e in message.get("entities") or []]

    assert entities("2 bản nộp trực tuyến", "ask_fee") == [
        ("quantity", "2", "LexiconEntities"), ("channel", "online", "LexiconEntities")]
    assert entities("88", "goodbye") == []
    assert entities("I'm Korean, how do I get a visa", "search_procedure") == []
    assert entities("có nộp trực tuyến được không", "ask_online_submission") == []
    # Several languages named: the last is the one wanted.
    assert entities("đổi từ tiếng Anh sang tiếng Việt", "change_language") == [
        ("language", "vi", "LexiconEntities")]
    # Entities already found (a code from the regex extractor) stay.
    message = Message(data={"text": "H56.14-240823-0001 2 copies", "intent": {"name": "inform"},
                            "entities": [{"entity": "dossier_code", "value": "H56.14-240823-0001"}]})
    component.process([message])
    assert [e["entity"] for e in message.get("entities")] == ["dossier_code", "quantity"]


def test_component_rejects_bad_config():
    from rasa.shared.exceptions import InvalidConfigException

    from bot.nlu.entities import LexiconEntities

    with pytest.raises(InvalidConfigException):
        LexiconEntities({"intents": ["ask_fee"]})
