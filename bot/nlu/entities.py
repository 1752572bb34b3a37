"""`LexiconEntities`: channel, language and quantity from word lists (bot.nlu.lexicon), not a tagger.

Placed after the intent classifier, so each entity is kept only where the dialogue uses it: a number
only in a fee question or an answer ("88" is a Chinese goodbye, "第一个" a choice), a language name
only in a change of language ("I'm Korean" is no request to switch), a channel only where it changes
the answer (fee, time, place, an answer). Of several languages named, the last one is the wanted one
("đổi từ tiếng Anh sang tiếng Việt", "英語から日本語に").
Codes (dossier, procedure) come from Rasa's RegexEntityExtractor and data/nlu/regex.yml.
"""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
    EXTRACTOR,
    INTENT,
    INTENT_NAME_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message

from .lexicon import find_entities


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False
)
class LexiconEntities(GraphComponent):
    """Adds channel, language and quantity entities found by bot.nlu.lexicon."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            # Entity type → intents for which it is kept (an empty list: every intent).
            "intents": {
                "quantity": ["ask_fee", "inform"],
                "language": ["change_language"],
                "channel": ["ask_fee", "ask_processing_time", "ask_where", "inform"],
            },
        }

    def __init__(self, config: Dict[Text, Any]) -> None:
        intents = config.get("intents")
        if not isinstance(intents, dict) or not all(isinstance(v, list) for v in intents.values()):
            raise InvalidConfigException("LexiconEntities: 'intents' maps entity types to lists of intents")
        self._intents = {kind: frozenset(names) for kind, names in intents.items()}

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LexiconEntities:
        return cls(config)

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            found = self.extract(message.get(TEXT) or "", (message.get(INTENT) or {}).get(INTENT_NAME_KEY))
            if found:
                message.set(ENTITIES, [*(message.get(ENTITIES) or []), *found], add_to_output=True)
        return messages

    def extract(self, text: str, intent: str | None) -> List[Dict[Text, Any]]:
        kept = [f for f in find_entities(text)
                if not self._intents.get(f.entity) or intent in self._intents[f.entity]]
        languages = [f for f in kept if f.entity == "language"]
        if len(languages) > 1:
            kept = [f for f in kept if f.entity != "language" or f is languages[-1]]
        return [{ENTITY_ATTRIBUTE_TYPE: f.entity, ENTITY_ATTRIBUTE_VALUE: f.value,
                 ENTITY_ATTRIBUTE_START: f.start, ENTITY_ATTRIBUTE_END: f.end,
                 EXTRACTOR: type(self).__name__} for f in kept]
