"""Vietnamese accent restoration before the e5 embedding (bot/nlu/accents.py)."""
# ruff: noqa: E402  (the environment is set before rasa is imported)

from __future__ import annotations

import os

os.environ["RASA_TELEMETRY_ENABLED"] = "false"  # before anything imports rasa

from pathlib import Path

import numpy as np
import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.config import PROJECT_ROOT
from bot.nlu.accents import ACCENTED_TEXT, AccentRestorer, VietnameseAccents, build_restorer

PROCEDURES = PROJECT_ROOT / "data" / "procedures"
EXAMPLES = [
    "chào bạn", "xin chào ad", "cảm ơn bạn nhiều", "tạm biệt nhé", "đúng rồi", "không phải",
    "làm giấy khai sinh ở đâu", "hồ sơ của tôi đến đâu rồi", "bạn là người thật hay máy",
    "thank you", "can you help me", "how much is the fee", "is that the right one", "bye for now",
]


@pytest.fixture(scope="module")
def restorer() -> AccentRestorer:
    """Built as in training: the procedure files and every training example (all languages)."""
    from rasa.shared.nlu.training_data.loading import load_data

    texts = [m.get(TEXT) for f in sorted((PROJECT_ROOT / "data" / "nlu").glob("*.yml")) if f.name != "regex.yml"
             for m in load_data(str(f)).intent_examples]
    return build_restorer(PROCEDURES, texts)


@pytest.mark.parametrize("plain, expected", [
    ("lam giay khai sinh o dau", "làm giấy khai sinh ở đâu"),
    ("cam on ban nhieu", "cảm ơn bạn nhiều"),
    ("ho so cua toi den dau roi", "hồ sơ của tôi đến đâu rồi"),
    ("Chao ban, dang ky tam tru can giay to gi?", "Chào bạn, đăng ký tạm trú cần giấy tờ gì?"),
])
def test_restores_unaccented_vietnamese(restorer, plain, expected):
    assert restorer.restore(plain) == expected


@pytest.mark.parametrize("text", [
    "làm giấy khai sinh o dau",  # one mark is enough: typed with accents, left alone
    "can you help me", "how much is the fee", "is that the right one", "that's it", "I don't think so",
    "여권 수수료", "暂住证怎么办理", "在留カード", "H56.14-240823-0001", "1234", "", "   ",
])
def test_leaves_accented_english_and_other_scripts_alone(restorer, text):
    assert restorer.restore(text) == text


def test_unknown_words_and_codes_stay_and_cut_the_context(restorer):
    out = restorer.restore("ho so H56.14-240823-0001 xong chua ad")
    assert out.startswith("hồ sơ H56.14-240823-0001 ") and out.endswith(" ad")
    assert out.split()[3:5] == ["xong", "chưa"]


def test_json_round_trip(restorer):
    again = AccentRestorer.from_json(restorer.to_json())
    for text in ("lam giay khai sinh o dau", "can you help me", "tam biet nhe"):
        assert again.restore(text) == restorer.restore(text)


def test_without_procedures_the_examples_still_teach_it():
    small = build_restorer(None, EXAMPLES)
    assert small.restore("cam on ban nhieu") == "cảm ơn bạn nhiều"


# --- the Rasa component and the featurizer --------------------------------------------------------

def _component(tmp_path: Path, **config) -> tuple[VietnameseAccents, LocalModelStorage, Resource]:
    storage = LocalModelStorage(tmp_path)
    resource = Resource("accents")
    context = ExecutionContext(GraphSchema({}), node_name="accents")
    component = VietnameseAccents.create({**VietnameseAccents.get_default_config(), **config},
                                         storage, resource, context)
    return component, storage, resource


def test_component_trains_persists_loads_and_marks_only_restored_messages(tmp_path):
    component, storage, resource = _component(tmp_path, procedures=None)
    data = TrainingData([Message(data={TEXT: t, INTENT: "x"}) for t in EXAMPLES + ["cam on ban"]])
    component.train(data)
    component.process_training_data(data)
    marked = {m.get(TEXT): m.get(ACCENTED_TEXT) for m in data.training_examples if m.get(ACCENTED_TEXT)}
    assert marked == {"cam on ban": "cảm ơn bạn"}

    context = ExecutionContext(GraphSchema({}), node_name="accents")
    loaded = VietnameseAccents.load({**VietnameseAccents.get_default_config(), "procedures": None},
                                    storage, resource, context)
    messages = [Message(data={TEXT: t}) for t in ("tam biet nhe", "tạm biệt nhé", "thank you")]
    loaded.process(messages)
    assert [m.get(ACCENTED_TEXT) for m in messages] == ["tạm biệt nhé", None, None]
    assert [m.get(TEXT) for m in messages] == ["tam biet nhe", "tạm biệt nhé", "thank you"]
    # The restored text is part of the parse data (the actions search with it).
    assert messages[0].as_dict(only_output_properties=True)[ACCENTED_TEXT] == "tạm biệt nhé"


def test_untrained_component_changes_nothing(tmp_path):
    component, _, _ = _component(tmp_path)
    message = Message(data={TEXT: "tam biet nhe"})
    component.process([message])
    assert message.get(ACCENTED_TEXT) is None


def test_fingerprint_follows_the_procedure_files(tmp_path):
    folder = tmp_path / "procedures"
    folder.mkdir()
    (folder / "a.yml").write_text("name:\n  vi: Đăng ký tạm trú\n", encoding="utf-8")
    first = VietnameseAccents.fingerprint_addon({"procedures": str(folder)})
    (folder / "a.yml").write_text("name:\n  vi: Đăng ký thường trú\n", encoding="utf-8")
    assert VietnameseAccents.fingerprint_addon({"procedures": str(folder)}) != first
    # Without procedure files it still follows the code of the trained components.
    assert VietnameseAccents.fingerprint_addon({"procedures": None}) not in (None, first)


def test_featurizer_embeds_the_restored_text_and_shares_it_under_the_text_embedded(tmp_path):
    from bot.nlu.featurizer import E5Featurizer, embed_queries
    from bot.nlu.tokenizer import MultilingualTokenizer

    class Shared:
        def __init__(self):
            self.put_texts = []

        def put(self, text, vector):
            self.put_texts.append(text)

    context = ExecutionContext(GraphSchema({}), node_name="e5")
    featurizer = E5Featurizer.create({**E5Featurizer.get_default_config(), "share_vectors": False},
                                     None, None, context)
    shared = Shared()
    featurizer._shared = shared
    restored = Message(data={TEXT: "cam on ban", ACCENTED_TEXT: "cảm ơn bạn"})
    typed = Message(data={TEXT: "cảm ơn bạn"})
    MultilingualTokenizer(MultilingualTokenizer.get_default_config()).process([restored, typed])
    featurizer.process([restored, typed])
    vector = lambda m: m.get_dense_features(TEXT)[1].features[0]  # noqa: E731
    assert float(vector(restored) @ embed_queries(["cảm ơn bạn"])[0]) > 0.999
    assert float(vector(restored) @ embed_queries(["cam on ban"])[0]) < 0.99
    assert np.allclose(vector(restored), vector(typed), atol=1e-5)
    # Each vector under the text it is the embedding of: the actions search with the restored text.
    assert shared.put_texts == ["cảm ơn bạn", "cảm ơn bạn"]
