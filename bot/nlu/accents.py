"""`VietnameseAccents`: the Rasa component that restores the accents of messages typed without any
("lam giay khai sinh o dau"); the model itself is bot.i18n.accents.

The e5 embedding of an unaccented Vietnamese message is far from the accented one (the tokenizer
splits "giay" and "giấy" differently), so the intent classifier sees such messages poorly. Before
embedding, a message that carries no Vietnamese mark at all and whose words read as Vietnamese is
restored with a syllable bigram model:

- the model is built at training time from the project's own Vietnamese text: every accented string
  in `data/procedures/*.yml` and the accented training examples (data/nlu/vi.yml); nothing is
  downloaded and `../shared` is not used. English word counts (the procedures' English fields and the
  unaccented examples that do not read as Vietnamese) keep English messages out;
- each plain syllable can become any accented syllable of the corpus that strips to it (and stays as
  it is when the corpus has it unaccented); Viterbi picks the sequence with the best interpolated
  bigram/unigram score;
- words the model does not know (English words, codes, numbers) are left alone and cut the context;
- messages with any diacritic or an English apostrophe ("that's"), messages where fewer than
  `min_known` of the words are known syllables, and messages whose words are on the whole more
  frequent in the English text than (unaccented) in the Vietnamese text are returned unchanged.
  On the training data: 3 of 1048 English examples are touched ("y", "ta-ta", "r u a bot").
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from ..i18n.accents import AccentRestorer, build_restorer, corpus_from_procedures
from . import ACCENTED_TEXT, code_fingerprint

__all__ = ["ACCENTED_TEXT", "AccentRestorer", "VietnameseAccents", "build_restorer", "corpus_from_procedures"]


def _procedures_dir(config: Dict[Text, Any]) -> Optional[Path]:
    folder = config.get("procedures")
    if not folder:
        return None
    path = Path(folder)
    if not path.is_absolute():
        from ..config import Settings

        path = Path(Settings.from_env().home) / path
    return path


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=True)
class VietnameseAccents(GraphComponent):
    """Restores the accents of unaccented Vietnamese messages for the e5 featurizer.

    Sets `thutuc_accented_text` on a message whose text it restores; `E5Featurizer` embeds that
    text instead of the message text. Tokens, entities and the text itself are not touched.
    """

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            # Accented strings of these procedure files join the accented training examples
            # (relative to the project home; None: the training examples only).
            "procedures": "data/procedures",
            # How often each accented training example counts against the procedure texts.
            "example_weight": 3,
            # The bigram's share in the interpolated bigram/unigram score.
            "bigram_weight": 0.6,
            # Share of a message's words that must be known Vietnamese syllables.
            "min_known": 0.6,
        }

    def __init__(self, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
                 restorer: Optional[AccentRestorer] = None) -> None:
        self._config = {**self.get_default_config(), **config}
        self._storage = model_storage
        self._resource = resource
        self.restorer = restorer

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "VietnameseAccents":
        return cls(config, model_storage, resource)

    @classmethod
    def fingerprint_addon(cls, config: Dict[Text, Any]) -> Optional[str]:
        """Our code (bot.nlu.code_fingerprint) and the procedure files, read outside the graph: a change
        to either must retrain the model."""
        digest = hashlib.sha256(code_fingerprint().encode())
        folder = _procedures_dir(config)
        if folder is None or not folder.is_dir():
            return digest.hexdigest()
        for path in sorted(folder.glob("*.yml")):
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
        return digest.hexdigest()

    def train(self, training_data: TrainingData) -> Resource:
        texts = [m.get(TEXT) for m in training_data.training_examples if isinstance(m.get(TEXT), str)]
        self.restorer = build_restorer(_procedures_dir(self._config), texts,
                                       example_weight=int(self._config["example_weight"]),
                                       min_known=float(self._config["min_known"]),
                                       weight=float(self._config["bigram_weight"]))
        with self._storage.write_to(self._resource) as folder:
            (Path(folder) / "accents.json").write_text(self.restorer.to_json(), encoding="utf-8")
        return self._resource

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> "VietnameseAccents":
        try:
            with model_storage.read_from(resource) as folder:
                restorer = AccentRestorer.from_json((Path(folder) / "accents.json").read_text(encoding="utf-8"))
        except (ValueError, OSError):
            restorer = None  # nothing trained: messages go through unchanged
        return cls(config, model_storage, resource, restorer)

    def _restore(self, messages) -> None:
        if self.restorer is None:
            return
        for message in messages:
            text = message.get(TEXT)
            if isinstance(text, str) and text:
                restored = self.restorer.restore(text)
                if restored != text:
                    # In the parse data too: the actions search with the restored text (on the dev
                    # questions stripped of accents, R@1 0.65 as typed, 0.83 restored; 0.85 accented).
                    message.set(ACCENTED_TEXT, restored, add_to_output=True)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self._restore(training_data.training_examples)
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        self._restore(messages)
        return messages

