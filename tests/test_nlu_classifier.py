"""bot.nlu.classifier.E5CharIntentClassifier: trained on real e5 features, stored, loaded, parsed."""
# ruff: noqa: E402  (the environment is set before rasa is imported)

from __future__ import annotations

import os

os.environ["RASA_TELEMETRY_ENABLED"] = "false"

import numpy as np
import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.classifier import E5CharIntentClassifier
from bot.nlu.featurizer import E5Featurizer
from bot.nlu.tokenizer import MultilingualTokenizer

EXAMPLES = {
    "ask_fee": ["lệ phí bao nhiêu", "phí làm hộ chiếu bao nhiêu tiền", "how much is the fee", "what does it cost",
                "费用是多少", "办护照要多少钱", "수수료가 얼마예요", "비용은 얼마인가요", "手数料はいくらですか", "費用はいくら"],
    "ask_processing_time": ["mất bao lâu", "bao lâu thì có kết quả", "how long does it take", "when will it be ready",
                            "要多长时间", "几天能办好", "얼마나 걸려요", "며칠 걸리나요", "どのくらいかかりますか", "何日かかる"],
    "greet": ["xin chào", "chào bạn", "hello", "hi there", "你好", "您好", "안녕하세요", "안녕", "こんにちは", "おはようございます"],
}
CONTEXT = ExecutionContext(GraphSchema({}), node_name="intent_classifier")


def featurize(messages):
    MultilingualTokenizer(MultilingualTokenizer.get_default_config()).process(messages)
    featurizer = E5Featurizer.create({**E5Featurizer.get_default_config(), "share_vectors": False}, None, None,
                                     ExecutionContext(GraphSchema({}), node_name="e5"))
    featurizer.process(messages)
    return messages


def training_data() -> TrainingData:
    messages = [Message(data={TEXT: t, INTENT: intent}) for intent, texts in EXAMPLES.items() for t in texts]
    return TrainingData(featurize(messages))


def parse(classifier, *texts):
    messages = featurize([Message(data={TEXT: t}) for t in texts])
    classifier.process(messages)
    return messages


@pytest.fixture(scope="module")
def data() -> TrainingData:
    return training_data()


@pytest.fixture()
def storage(tmp_path) -> LocalModelStorage:
    return LocalModelStorage(tmp_path)


def trained(storage, data, **config) -> E5CharIntentClassifier:
    classifier = E5CharIntentClassifier.create({**E5CharIntentClassifier.get_default_config(), **config},
                                               storage, Resource("intents"), CONTEXT)
    classifier.train(data)
    return classifier


def test_parses_unseen_wordings_in_five_languages(storage, data):
    classifier = trained(storage, data, char_min_df=1)
    cases = {"phí bao nhiêu vậy": "ask_fee", "how long will it take": "ask_processing_time",
             "多少钱": "ask_fee", "처리 기간은 얼마나 걸려요": "ask_processing_time", "こんばんは": "greet"}
    for message in parse(classifier, *cases):
        text = message.get(TEXT)
        assert message.get("intent")["name"] == cases[text], (text, message.get("intent_ranking"))


def test_ranking_is_a_probability_distribution_sorted_and_cut(storage, data):
    classifier = trained(storage, data, ranking_length=2)
    (message,) = parse(classifier, "lệ phí làm hộ chiếu")
    ranking = message.get("intent_ranking")
    assert len(ranking) == 2
    assert ranking[0] == message.get("intent")
    assert ranking[0]["confidence"] >= ranking[1]["confidence"]
    full = classifier.probabilities(parse(classifier, "lệ phí làm hộ chiếu"))
    assert full.shape == (1, 3) and np.isclose(full.sum(), 1.0)
    assert classifier.classes == sorted(EXAMPLES)


def test_stored_model_loads_and_gives_the_same_probabilities(storage, data):
    classifier = trained(storage, data)
    texts = ("how much is it", "얼마나 걸려요", "chào anh")
    before = classifier.probabilities(parse(classifier, *texts))
    loaded = E5CharIntentClassifier.load(E5CharIntentClassifier.get_default_config(), storage,
                                         Resource("intents"), CONTEXT)
    after = loaded.probabilities(parse(loaded, *texts))
    assert np.allclose(before, after, atol=1e-6)
    assert loaded.classes == classifier.classes


def test_training_is_deterministic(tmp_path, data):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = trained(LocalModelStorage(tmp_path / "a"), data)
    second = trained(LocalModelStorage(tmp_path / "b"), data)
    texts = ("phí bao nhiêu", "hello")
    assert np.array_equal(first.probabilities(parse(first, *texts)), second.probabilities(parse(second, *texts)))


def test_one_intent_trains_nothing_and_parses_to_no_intent(storage):
    data = TrainingData(featurize([Message(data={TEXT: t, INTENT: "greet"}) for t in EXAMPLES["greet"]]))
    classifier = trained(storage, data)
    (message,) = parse(classifier, "hello")
    assert message.get("intent") == {"name": None, "confidence": 0.0}
    assert message.get("intent_ranking") == []
    loaded = E5CharIntentClassifier.load(E5CharIntentClassifier.get_default_config(), storage,
                                         Resource("intents"), CONTEXT)
    assert loaded.classes == []


def test_message_without_text_gets_no_intent(storage, data):
    classifier = trained(storage, data)
    empty = Message(data={TEXT: ""})
    classifier.process([empty])
    assert empty.get("intent")["name"] is None


@pytest.mark.parametrize("key,value", [("C", 0), ("C", "high"), ("char_weight", -1), ("char_min_df", 0),
                                       ("ranking_length", True), ("char_ngram_range", [3, 1]),
                                       ("char_ngram_range", [1])])
def test_bad_config_is_refused(storage, key, value):
    with pytest.raises(InvalidConfigException, match=key):
        E5CharIntentClassifier.create({**E5CharIntentClassifier.get_default_config(), key: value},
                                      storage, Resource("intents"), CONTEXT)


def test_trained_components_fingerprint_their_code(tmp_path):
    """Rasa's training cache and `thutuc train --if-stale` follow our components' code, not only
    their config: a changed classifier must retrain."""
    import shutil

    from bot.config import PROJECT_ROOT
    from bot.nlu import TRAINED_CODE, code_fingerprint
    from bot.nlu.accents import VietnameseAccents
    from bot.nlu.featurizer import E5Featurizer
    from bot.nlu.tokenizer import MultilingualTokenizer

    for component in (MultilingualTokenizer, E5Featurizer, E5CharIntentClassifier):
        assert component.fingerprint_addon({}) == code_fingerprint()
    assert VietnameseAccents.fingerprint_addon({"procedures": None}) != code_fingerprint()
    package = tmp_path / "bot"
    for name in TRAINED_CODE:
        (package / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(PROJECT_ROOT / "bot" / name, package / name)
    assert code_fingerprint(package) == code_fingerprint()
    classifier = package / "nlu" / "classifier.py"
    classifier.write_text(classifier.read_text(encoding="utf-8") + "\n# changed\n", encoding="utf-8")
    assert code_fingerprint(package) != code_fingerprint()
